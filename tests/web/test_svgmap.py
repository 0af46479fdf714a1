"""The server-side SVG map used in PDFs (corridor.web.svgmap).

Every test parses the output with xml.etree, so a rendering that is not
well-formed XML fails before any assertion.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from corridor.web.svgmap import (
    LAYER_KINDS,
    OSM_ATTRIBUTION,
    STYLES_PATH,
    MapLayer,
    load_styles,
    render_svg,
    style_for,
)

NS = "{http://www.w3.org/2000/svg}"
REPO = Path(__file__).resolve().parents[2]

SQUARE = [[36.0, 33.0], [36.5, 33.0], [36.5, 33.5], [36.0, 33.5], [36.0, 33.0]]
HOLE = [[36.1, 33.1], [36.2, 33.1], [36.2, 33.2], [36.1, 33.2], [36.1, 33.1]]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def find(root: ET.Element, tag: str) -> list[ET.Element]:
    return list(root.iter(f"{NS}{tag}"))


def layer_group(root: ET.Element, kind: str) -> ET.Element:
    groups = [g for g in find(root, "g") if g.get("data-layer") == kind]
    assert len(groups) == 1, f"expected one group for layer {kind}"
    return groups[0]


def path_points(d: str) -> list[tuple[float, float]]:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


# ------------------------------------------------------------ geometry types


def test_point_and_multipoint_become_circles() -> None:
    svg = render_svg(
        [
            MapLayer("checkpoints", {"type": "Point", "coordinates": [36.2, 33.2]}),
            MapLayer(
                "aid_points", {"type": "MultiPoint", "coordinates": [[36.3, 33.3], [36.4, 33.1]]}
            ),
        ]
    )
    root = parse(svg)
    assert len(find(layer_group(root, "checkpoints"), "circle")) == 1
    circles = find(layer_group(root, "aid_points"), "circle")
    assert len(circles) == 2
    aid = load_styles()["layers"]["aid_points"]
    assert circles[0].get("fill") == aid["fillColor"]
    assert circles[0].get("r") == str(aid["radius"])


def test_linestring_and_multilinestring_become_unfilled_paths() -> None:
    multi = {
        "type": "MultiLineString",
        "coordinates": [[[36.0, 33.0], [36.1, 33.1]], [[36.2, 33.2], [36.3, 33.3], [36.4, 33.2]]],
    }
    root = parse(
        render_svg(
            [
                MapLayer(
                    "routes", {"type": "LineString", "coordinates": [[36.0, 33.0], [36.5, 33.5]]}
                ),
                MapLayer("roads", multi),
            ]
        )
    )
    routes = find(layer_group(root, "routes"), "path")
    roads = find(layer_group(root, "roads"), "path")
    assert len(routes) == 1
    assert len(roads) == 2
    for path in routes + roads:
        assert path.get("fill") == "none"
        assert "Z" not in path.get("d", "")
    assert len(path_points(roads[1].get("d", ""))) == 3


def test_polygon_with_hole_is_one_evenodd_path() -> None:
    root = parse(render_svg([MapLayer("area", {"type": "Polygon", "coordinates": [SQUARE, HOLE]})]))
    (path,) = find(layer_group(root, "area"), "path")
    d = path.get("d", "")
    assert d.count("M") == 2
    assert d.count("Z") == 2
    assert path.get("fill-rule") == "evenodd"
    assert path.get("fill") == load_styles()["layers"]["area"]["fillColor"]


def test_multipolygon_geometrycollection_feature_and_collection() -> None:
    other = [[[37.0, 34.0], [37.2, 34.0], [37.2, 34.2], [37.0, 34.0]]]
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature({"type": "MultiPolygon", "coordinates": [[SQUARE], other]}, name="zones"),
            feature(
                {
                    "type": "GeometryCollection",
                    "geometries": [
                        {"type": "Point", "coordinates": [36.7, 33.7]},
                        {"type": "LineString", "coordinates": [[36.0, 33.0], [37.0, 34.0]]},
                    ],
                },
                name="mixed",
            ),
            {"type": "Feature", "properties": None, "geometry": None},
        ],
    }
    root = parse(render_svg([MapLayer("hazards", collection)]))
    group = layer_group(root, "hazards")
    features = group.findall(f"{NS}g")
    assert len(features) == 3
    assert len(features[0].findall(f"{NS}path")) == 2
    assert len(features[1].findall(f"{NS}path")) == 1
    assert len(features[1].findall(f"{NS}circle")) == 1
    assert list(features[2]) == []
    titles = [t.text for t in find(group, "title")]
    assert titles == ["zones", "mixed"]
    # Hazard polygons are dashed; the GeometryCollection's line is never filled.
    assert features[0].find(f"{NS}path").get("stroke-dasharray") == "6 4"  # type: ignore[union-attr]
    assert features[1].find(f"{NS}path").get("fill") == "none"  # type: ignore[union-attr]


def test_shapely_mapping_tuples_are_accepted() -> None:
    from shapely.geometry import Polygon, mapping

    polygon = Polygon(SQUARE, [HOLE])
    root = parse(render_svg([MapLayer("area", mapping(polygon))]))
    assert len(find(layer_group(root, "area"), "path")) == 1


# ------------------------------------------------------------------ viewport


@pytest.mark.parametrize(("width", "height"), [(800, 500), (400, 600), (300, 300)])
def test_polygon_fits_inside_the_viewport_keeping_aspect_ratio(width: int, height: int) -> None:
    # A 1°×1° square at the equator is (almost exactly) square in Web Mercator.
    square = [[10.0, -0.5], [11.0, -0.5], [11.0, 0.5], [10.0, 0.5], [10.0, -0.5]]
    root = parse(
        render_svg(
            [MapLayer("area", {"type": "Polygon", "coordinates": [square]})],
            width=width,
            height=height,
        )
    )
    assert root.get("viewBox") == f"0 0 {width} {height}"
    (path,) = find(root, "path")
    points = path_points(path.get("d", ""))
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    assert 0 < min(xs) < max(xs) < width
    assert 0 < min(ys) < max(ys) < height
    drawn_w, drawn_h = max(xs) - min(xs), max(ys) - min(ys)
    assert drawn_w == pytest.approx(drawn_h, rel=0.01)
    # Fitted: the limiting dimension is used almost fully, with a margin.
    assert min(width, height) * 0.8 < drawn_w < min(width, height)
    # Centred.
    assert (min(xs) + max(xs)) / 2 == pytest.approx(width / 2, abs=1)


def test_north_is_up_and_east_is_right() -> None:
    route = {"type": "LineString", "coordinates": [[36.0, 33.0], [36.5, 33.5]]}
    (path,) = find(parse(render_svg([MapLayer("routes", route)])), "path")
    (x0, y0), (x1, y1) = path_points(path.get("d", ""))
    assert x1 > x0  # east is further right
    assert y1 < y0  # north is higher up (smaller y)


def test_mercator_stretches_latitude() -> None:
    # 10° of latitude at 60°N is about twice as tall as 10° of longitude is wide.
    box = [[0.0, 55.0], [10.0, 55.0], [10.0, 65.0], [0.0, 65.0], [0.0, 55.0]]
    (path,) = find(
        parse(render_svg([MapLayer("area", {"type": "Polygon", "coordinates": [box]})])), "path"
    )
    points = path_points(path.get("d", ""))
    width = max(x for x, _ in points) - min(x for x, _ in points)
    height = max(y for _, y in points) - min(y for _, y in points)
    assert 1.8 < height / width < 2.2


def test_single_point_is_centred_not_infinitely_zoomed() -> None:
    root = parse(
        render_svg([MapLayer("incidents", {"type": "Point", "coordinates": [36.2, 33.2]})])
    )
    (circle,) = find(layer_group(root, "incidents"), "circle")
    assert float(circle.get("cx", "nan")) == pytest.approx(400, abs=1)
    assert float(circle.get("cy", "nan")) == pytest.approx(250, abs=1)


def test_layers_are_stacked_in_the_styles_order() -> None:
    layers = [
        MapLayer("incidents", {"type": "Point", "coordinates": [36.2, 33.2]}),
        MapLayer("area", {"type": "Polygon", "coordinates": [SQUARE]}),
        MapLayer("roads", {"type": "LineString", "coordinates": [[36.0, 33.0], [36.5, 33.5]]}),
    ]
    root = parse(render_svg(layers))
    drawn = [g.get("data-layer") for g in find(root, "g") if g.get("data-layer")]
    assert drawn == ["area", "roads", "incidents"]


def test_road_width_follows_highway_class() -> None:
    roads = {
        "type": "FeatureCollection",
        "features": [
            feature(
                {"type": "LineString", "coordinates": [[36.0, 33.0], [36.5, 33.5]]}, highway=kind
            )
            for kind in ("primary", "track", "no-such-class")
        ],
    }
    widths = [
        p.get("stroke-width") for p in find(parse(render_svg([MapLayer("roads", roads)])), "path")
    ]
    values = load_styles()["layers"]["roads"]["weightBy"]["values"]
    default = load_styles()["layers"]["roads"]["weight"]
    assert widths == [str(values["primary"]), str(values["track"]), str(default)]


# -------------------------------------------------------------- text & escaping


def test_attribution_title_and_legend_text() -> None:
    svg = render_svg(
        [
            MapLayer(
                "aid_points", {"type": "Point", "coordinates": [36.2, 33.2]}, label="نقاط المساعدة"
            )
        ],
        attribution=OSM_ATTRIBUTION,
        title="Situation report",
    )
    root = parse(svg)
    texts = [t.text for t in find(root, "text")]
    assert OSM_ATTRIBUTION in texts
    assert "© OpenStreetMap contributors, ODbL" in texts
    assert "Situation report" in texts
    assert "نقاط المساعدة" in texts  # the translated legend label
    assert root.find(f"{NS}title").text == "Situation report"  # type: ignore[union-attr]
    attribution = next(t for t in find(root, "text") if t.text == OSM_ATTRIBUTION)
    assert float(attribution.get("y", "0")) > 450  # bottom corner
    assert attribution.get("text-anchor") == "end"


def test_no_attribution_unless_asked() -> None:
    svg = render_svg([MapLayer("area", {"type": "Polygon", "coordinates": [SQUARE]})])
    assert "OpenStreetMap" not in svg


def test_text_is_escaped_not_markup() -> None:
    evil = '<script>alert("x")</script> & </svg>'
    layers = [
        MapLayer(
            "checkpoints",
            feature({"type": "Point", "coordinates": [36.2, 33.2]}, name=evil, kind="<b>bold</b>"),
            label="<i>label</i>",
        )
    ]
    svg = render_svg(layers, title="<title>x</title>", attribution="A & B <c>")
    root = parse(svg)
    tags = {element.tag for element in root.iter()}
    assert f"{NS}script" not in tags
    assert f"{NS}b" not in tags
    assert f"{NS}i" not in tags
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    titles = [t.text for t in find(root, "title")]
    assert f"{evil} (<b>bold</b>)" in titles
    texts = [t.text for t in find(root, "text")]
    assert evil in texts  # checkpoints print their names on the PDF map
    assert "<i>label</i>" in texts
    assert "A & B <c>" in texts


def test_control_characters_are_dropped() -> None:
    point = feature({"type": "Point", "coordinates": [36.2, 33.2]}, name="Gate\x00 1\x1b")
    root = parse(render_svg([MapLayer("checkpoints", point)]))
    assert "Gate 1" in [t.text for t in find(root, "title")]


# --------------------------------------------------------------------- empty


@pytest.mark.parametrize(
    "layers",
    [
        [],
        [MapLayer("roads", {"type": "FeatureCollection", "features": []})],
        [MapLayer("area", {"type": "Feature", "properties": {}, "geometry": None})],
        [MapLayer("routes", {"type": "MultiLineString", "coordinates": []})],
    ],
)
def test_empty_layers_give_a_valid_svg_saying_no_data(layers: list[MapLayer]) -> None:
    root = parse(render_svg(layers, width=640, height=480, attribution=OSM_ATTRIBUTION))
    assert root.get("width") == "640"
    texts = [t.text for t in find(root, "text")]
    assert "No data" in texts
    assert find(root, "circle") == []
    assert find(root, "path") == []


def test_empty_text_can_be_translated() -> None:
    root = parse(render_svg([], empty_text="لا توجد بيانات"))
    assert "لا توجد بيانات" in [t.text for t in find(root, "text")]


# ----------------------------------------------------------------- malformed


@pytest.mark.parametrize(
    ("geojson", "message"),
    [
        ({"type": "Circle", "coordinates": [1, 2]}, "unsupported GeoJSON type 'Circle'"),
        ({"coordinates": [1, 2]}, "unsupported GeoJSON type None"),
        ({"type": "Point"}, "no 'coordinates'"),
        ({"type": "Point", "coordinates": ["36", 33]}, "must be numbers"),
        ({"type": "Point", "coordinates": [True, 33]}, "must be numbers"),
        ({"type": "Point", "coordinates": [36.0]}, "position must be"),
        ({"type": "Point", "coordinates": [float("nan"), 1.0]}, "finite"),
        ({"type": "Point", "coordinates": [4000000.0, 3900000.0]}, "not a WGS 84"),
        ({"type": "Point", "coordinates": [33.0, 136.0]}, "not a WGS 84"),
        ({"type": "LineString", "coordinates": [[36.0, 33.0]]}, "at least 2 positions"),
        ({"type": "LineString", "coordinates": [36.0, 33.0]}, "position must be"),
        ({"type": "Polygon", "coordinates": [[[36.0, 33.0], [36.1, 33.0]]]}, "at least 3"),
        ({"type": "Polygon", "coordinates": SQUARE}, "position must be"),
        ({"type": "MultiPolygon", "coordinates": [SQUARE]}, "position must be"),
        ({"type": "MultiPolygon", "coordinates": 5}, "expected an array"),
        ({"type": "GeometryCollection"}, "geometries: expected an array"),
        ({"type": "FeatureCollection", "features": {}}, "features: expected an array"),
        ({"type": "FeatureCollection", "features": [{"type": "Point"}]}, "expected a Feature"),
        (
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [1, 2]},
                "properties": 3,
            },
            "properties",
        ),
    ],
)
def test_malformed_geojson_raises_value_error(geojson: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        render_svg([MapLayer("hazards", geojson)])


def test_error_message_says_where() -> None:
    bad = {
        "type": "FeatureCollection",
        "features": [
            feature({"type": "Point", "coordinates": [1, 2]}),
            feature({"type": "LineString", "coordinates": [[1, 2], [1, "x"]]}),
        ],
    }
    with pytest.raises(
        ValueError, match=r"layer 1 \(roads\)\.features\[1\]\.geometry\.coordinates\[1\]"
    ):
        render_svg(
            [MapLayer("area", {"type": "Point", "coordinates": [1, 2]}), MapLayer("roads", bad)]
        )


def test_not_an_object_and_unknown_kind_raise() -> None:
    with pytest.raises(ValueError, match="expected a GeoJSON object"):
        render_svg([MapLayer("area", [1, 2])])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown map layer kind 'road'"):
        render_svg([MapLayer("road", {"type": "Point", "coordinates": [1, 2]})])
    with pytest.raises(ValueError, match="positive"):
        render_svg([], width=0)


# ------------------------------------------------------------ shared styles


def test_styles_file_covers_every_layer_kind() -> None:
    styles = json.loads(STYLES_PATH.read_text(encoding="utf-8"))
    assert LAYER_KINDS == (
        "area",
        "roads",
        "reachability",
        "corridors",
        "routes",
        "hazards",
        "checkpoints",
        "aid_points",
        "incidents",
    )
    assert set(styles["layers"]) == set(LAYER_KINDS)
    for kind in LAYER_KINDS:
        spec = style_for(kind, {}, "polygon")
        assert re.fullmatch(r"#[0-9a-f]{6}", spec["color"]), kind
        assert re.fullmatch(r"#[0-9a-f]{6}", spec["fillColor"]), kind
        assert spec["label"], kind
        assert style_for(kind, {}, "line")["fill"] is False


def test_browser_bundle_imports_the_same_styles_file() -> None:
    map_js = (REPO / "frontend" / "src" / "map.js").read_text(encoding="utf-8")
    assert "src/corridor/web/map_styles.json" in map_js


def test_corridors_are_coloured_by_status_and_flagged_ones_stand_out() -> None:
    from corridor.web.svgmap import style_for

    open_style = style_for("corridors", {"status": "open", "flagged": False}, "line")
    suspended = style_for("corridors", {"status": "suspended", "flagged": False}, "line")
    flagged = style_for("corridors", {"status": "open", "flagged": True}, "line")
    assert open_style["color"] != suspended["color"]
    assert flagged["color"] != open_style["color"] and flagged["weight"] > open_style["weight"]
