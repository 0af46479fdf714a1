"""Hazard polygons as received: checked, repaired with a note, or refused by name."""

from __future__ import annotations

import pytest
from shapely.geometry import Point

from corridor.errors import InvalidInput
from corridor.routing.geo import polygon_from_geojson

SQUARE = [[1.5, 42.5], [1.51, 42.5], [1.51, 42.51], [1.5, 42.51], [1.5, 42.5]]


def _polygon(*ring: list) -> dict:
    return {"type": "Polygon", "coordinates": [list(ring)]}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"type": "Point", "coordinates": [1, 2]}, "must be a GeoJSON Polygon"),
        ({"type": "Polygon", "coordinates": []}, "is empty"),
        ({"type": "Polygon", "coordinates": "1,2,3"}, "malformed coordinates"),
        (_polygon([1.5, 42.5], [1.51, 42.5]), "malformed"),
        (_polygon([1.5, 42.5], [1.51, "x"], [1.5, 42.6]), "malformed"),
        (_polygon([1.5, 42.5], [1.6, 42.5], [1.5, float("nan")]), "malformed"),
        ({"type": "MultiPolygon", "coordinates": [[SQUARE], []]}, "malformed"),
        (_polygon([200, 42], [201, 42], [201, 43], [200, 42]), "WGS 84"),
        (_polygon([1, 42], [2, 42], [3, 42], [1, 42]), "cannot be repaired"),
    ],
)
def test_bad_polygons_are_refused_naming_the_field(value: dict, problem: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        polygon_from_geojson(value, field="zone")
    assert raised.value.field == "zone" and problem in str(raised.value)


def test_a_polygon_crossing_itself_is_repaired_with_a_note() -> None:
    bowtie = [[1.5, 42.5], [1.51, 42.51], [1.51, 42.5], [1.5, 42.51], [1.5, 42.5]]
    checked = polygon_from_geojson({"type": "Polygon", "coordinates": [bowtie]})
    assert checked.geometry.is_valid and checked.geometry.area > 0
    assert checked.note and "repaired" in checked.note
    assert checked.geojson["type"] in ("Polygon", "MultiPolygon")


def test_a_valid_polygon_is_kept_as_given_with_its_holes() -> None:
    hole = [[1.502, 42.502], [1.504, 42.502], [1.504, 42.504], [1.502, 42.502]]
    value = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [SQUARE, hole]}}
    checked = polygon_from_geojson(value)
    assert checked.note is None
    assert checked.geojson == value["geometry"]
    assert len(checked.geometry.interiors) == 1
    assert not checked.geometry.contains(Point(1.5035, 42.5025))

