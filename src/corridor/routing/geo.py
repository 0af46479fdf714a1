"""Metric geometry in the operation's UTM zone (pyproj), never in degrees.

Buffers, lengths and areas in degrees are wrong by a factor that depends on
latitude; every metric computation here projects to the UTM zone of the
operation's area first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely import make_valid
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from corridor.errors import InvalidInput


def utm_epsg(lon: float, lat: float) -> int:
    zone = int((lon + 180) // 6) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


@dataclass(frozen=True)
class Projection:
    """Forward and inverse transforms between WGS 84 and one UTM zone."""

    epsg: int

    @property
    def _forward(self) -> Transformer:
        return _transformer(4326, self.epsg)

    @property
    def _inverse(self) -> Transformer:
        return _transformer(self.epsg, 4326)

    def to_metric(self, geometry: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geometry, self._transform_xy(self._forward))

    def to_metric_many(self, geometries: np.ndarray) -> np.ndarray:
        """Project an array of geometries with one call to pyproj."""
        return shapely.transform(geometries, self._transform_xy(self._forward))

    def to_lonlat(self, geometry: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geometry, self._transform_xy(self._inverse))

    @staticmethod
    def _transform_xy(transformer: Transformer) -> Any:
        def apply(coords: np.ndarray) -> np.ndarray:
            x, y = transformer.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        return apply

    def xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._forward.transform(lon, lat)
        return np.asarray(x), np.asarray(y)


@lru_cache(maxsize=32)
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(source), CRS.from_epsg(target), always_xy=True)


def projection_for(lon: float, lat: float) -> Projection:
    return Projection(utm_epsg(lon, lat))


@dataclass(frozen=True)
class CheckedPolygon:
    geometry: BaseGeometry
    note: str | None
    geojson: dict[str, Any]  # what to store: the input as given unless it was repaired


def polygon_from_geojson(value: Any, *, field: str = "geometry") -> CheckedPolygon:
    """A GeoJSON Polygon/MultiPolygon; self-intersections are repaired with a note."""
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidInput(field, "must be a GeoJSON Polygon or MultiPolygon")
    if not value.get("coordinates"):
        raise InvalidInput(field, "is empty")
    try:
        with np.errstate(invalid="ignore"):  # NaN is refused below, by name
            geometry = polygon_of(value)
    except Exception:  # noqa: BLE001 - NumPy and shapely raise several types for bad coordinates
        raise InvalidInput(field, "has malformed coordinates") from None
    if geometry.is_empty:
        raise InvalidInput(field, "is empty")
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        raise InvalidInput(field, "has malformed coordinates")
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise InvalidInput(field, "coordinates must be longitude, latitude in degrees (WGS 84)")
    note = None
    geojson = {"type": value["type"], "coordinates": value["coordinates"]}
    if not geometry.is_valid:
        repaired = make_valid(geometry)
        polygons = [
            g
            for g in getattr(repaired, "geoms", [repaired])
            if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty
        ]
        if not polygons:
            raise InvalidInput(field, "is not a valid polygon and cannot be repaired")
        geometry = unary_union(polygons)
        note = "the polygon crossed itself and was repaired"
        geojson = to_geojson(geometry)
    if geometry.area == 0:
        raise InvalidInput(field, "has no surface")
    return CheckedPolygon(geometry, note, geojson)


def polygon_of(geojson: dict[str, Any]) -> BaseGeometry:
    """A stored (already checked) GeoJSON polygon as a shapely geometry, quickly.

    Builds rings from NumPy arrays: about half the time of ``shape()``, which
    matters when a batch of new hazards must reach the router in milliseconds.
    """

    def polygon(rings: list[Any]) -> BaseGeometry:
        arrays = [np.asarray(ring, dtype=np.float64)[:, :2] for ring in rings]
        return shapely.polygons(arrays[0], holes=arrays[1:] or None)

    if geojson["type"] == "Polygon":
        return polygon(geojson["coordinates"])
    if geojson["type"] == "MultiPolygon":
        return shapely.multipolygons([polygon(part) for part in geojson["coordinates"]])
    return shape(geojson)


def to_geojson(geometry: BaseGeometry) -> dict[str, Any]:
    return dict(mapping(geometry))
