"""Server-side SVG maps for printed reports.

PDFs are made with WeasyPrint, which runs no JavaScript, so the Leaflet map of
the browser cannot be printed. This module draws the same GeoJSON layers as a
static SVG, styled from the same ``map_styles.json`` that the browser bundle
imports, so a situation report looks like the screen it came from.

It is pure Python on purpose: no tile server (the field may have no internet),
no new dependency, and the output is plain SVG 1.1 that WeasyPrint renders
inline in HTML (the string has no XML declaration) or as an image.

Example::

    from corridor.web.svgmap import OSM_ATTRIBUTION, MapLayer, render_svg

    svg = render_svg(
        [MapLayer("area", {"type": "Polygon", "coordinates": [[[36.1, 33.4], ...]]})],
        attribution=OSM_ATTRIBUTION,
    )
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "LAYER_KINDS",
    "OSM_ATTRIBUTION",
    "STYLES_PATH",
    "MapLayer",
    "load_styles",
    "render_svg",
    "style_for",
]

STYLES_PATH = Path(__file__).with_name("map_styles.json")
"""One style file for browser and PDF, so both maps read the same."""

OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL"
"""Required wherever OpenStreetMap-derived data is shown (ODbL §4.3)."""

SVG_NS = "http://www.w3.org/2000/svg"
FONT_STACK = (
    '"Noto Sans", "Noto Sans Arabic", "Noto Naskh Arabic", Amiri, "DejaVu Sans", sans-serif'
)
BACKGROUND = "#e8eef2"  # same calm ground as the browser map without tiles
TEXT_COLOR = "#1f2933"
# Web Mercator is undefined at the poles; clamp like every slippy map does.
MAX_LATITUDE = 85.0511287798
# Smallest extent (as a fraction of the world's width, ~800 m) shown around a
# single point, so one checkpoint is not blown up to an infinite scale.
MIN_SPAN = 2e-5

# Characters XML 1.0 cannot carry at all; escaping does not help, so drop them.
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_GEOMETRY_TYPES = frozenset(
    {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
)

Point = tuple[float, float]


@dataclass(frozen=True)
class MapLayer:
    """One layer to draw: a layer kind from ``map_styles.json`` and its GeoJSON.

    ``geojson`` is a FeatureCollection, a Feature or a bare geometry;
    ``label`` is the (translated) name shown in the legend, defaulting to the
    English label of the kind in the styles file.
    """

    kind: str
    geojson: Mapping[str, Any]
    label: str | None = None


@cache
def load_styles() -> dict[str, Any]:
    """The shared layer styles (cached: the file ships with the package and does not change)."""
    with STYLES_PATH.open(encoding="utf-8") as handle:
        styles: dict[str, Any] = json.load(handle)
    return styles


LAYER_KINDS: tuple[str, ...] = tuple(load_styles()["order"])


def _check_kind(kind: str) -> None:
    layers = load_styles()["layers"]
    if kind not in layers:
        known = ", ".join(load_styles()["order"])
        raise ValueError(f"unknown map layer kind {kind!r} (known kinds: {known})")


def style_for(kind: str, properties: Mapping[str, Any], geometry: str) -> dict[str, Any]:
    """Resolve the Leaflet-style path options of one feature, like ``styleFor`` in map.js.

    ``geometry`` is ``"point"``, ``"line"`` or ``"polygon"``; lines never get a
    fill. Raises ``ValueError`` for a layer kind the styles file does not know,
    because a typo would otherwise print a silently mis-styled map.
    """
    styles = load_styles()
    _check_kind(kind)
    spec: dict[str, Any] = {**styles["defaults"], **styles["layers"][kind]}
    weight_by = spec.get("weightBy")
    if weight_by:
        value = properties.get(weight_by["property"])
        weight = weight_by["values"].get(value) if isinstance(value, str) else None
        if isinstance(weight, int | float):
            spec["weight"] = weight
    for rule in spec.get("styleBy", []):
        raw = properties.get(rule["property"])
        key = str(raw).lower() if isinstance(raw, bool) else str(raw)
        spec.update(rule["values"].get(key, {}))
    if geometry == "line":
        spec["fill"] = False
    spec.setdefault("fillColor", spec["color"])
    return spec


# --------------------------------------------------------------------- parsing


@dataclass
class _Feature:
    """A feature's properties and its geometry, already projected to [0, 1]²."""

    properties: Mapping[str, Any]
    points: list[Point] = field(default_factory=list)
    lines: list[list[Point]] = field(default_factory=list)
    polygons: list[list[list[Point]]] = field(default_factory=list)

    def coordinates(self) -> list[Point]:
        out = list(self.points)
        for line in self.lines:
            out.extend(line)
        for polygon in self.polygons:
            for ring in polygon:
                out.extend(ring)
        return out


def _project(lon: float, lat: float) -> Point:
    """Web Mercator, normalised so the world is the unit square, y growing southwards."""
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    sin = math.sin(math.radians(lat))
    x = (lon + 180.0) / 360.0
    y = 0.5 - math.log((1.0 + sin) / (1.0 - sin)) / (4.0 * math.pi)
    return x, y


def _is_array(value: Any) -> bool:
    # GeoJSON arrays arrive as lists from json, as tuples from shapely.geometry.mapping.
    return isinstance(value, list | tuple)


def _position(value: Any, where: str) -> Point:
    if not _is_array(value) or len(value) < 2:
        raise ValueError(f"{where}: a position must be [longitude, latitude], got {value!r}")
    lon, lat = value[0], value[1]
    for number in (lon, lat):
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ValueError(f"{where}: coordinates must be numbers, got {value!r}")
        if not math.isfinite(number):
            raise ValueError(f"{where}: coordinates must be finite, got {value!r}")
    if not -180.0 <= lon <= 180.0 or not -90.0 <= lat <= 90.0:
        raise ValueError(
            f"{where}: [{lon}, {lat}] is not a WGS 84 longitude/latitude "
            "(projected coordinates, or latitude and longitude swapped?)"
        )
    return _project(float(lon), float(lat))


def _positions(value: Any, where: str) -> list[Point]:
    if not _is_array(value):
        raise ValueError(f"{where}: expected an array of positions, got {value!r}")
    return [_position(item, f"{where}[{i}]") for i, item in enumerate(value)]


def _line(value: Any, where: str) -> list[Point]:
    line = _positions(value, where)
    if len(line) == 1:
        raise ValueError(f"{where}: a LineString needs at least 2 positions")
    return line


def _polygon(value: Any, where: str) -> list[list[Point]]:
    if not _is_array(value):
        raise ValueError(f"{where}: expected an array of linear rings, got {value!r}")
    rings = []
    for i, ring_value in enumerate(value):
        ring = _positions(ring_value, f"{where}[{i}]")
        if len(ring) < 3:
            raise ValueError(f"{where}[{i}]: a polygon ring needs at least 3 positions")
        rings.append(ring)
    return rings


def _array(value: Any, where: str) -> Sequence[Any]:
    if not _is_array(value):
        raise ValueError(f"{where}: expected an array, got {value!r}")
    return value


def _geometry(geometry: Any, where: str, into: _Feature) -> None:
    """Validate one geometry and add its projected parts to ``into``."""
    if not isinstance(geometry, Mapping):
        raise ValueError(f"{where}: expected a GeoJSON geometry object, got {geometry!r}")
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        members = _array(geometry.get("geometries"), f"{where}.geometries")
        for i, member in enumerate(members):
            _geometry(member, f"{where}.geometries[{i}]", into)
        return
    if kind not in _GEOMETRY_TYPES:
        raise ValueError(f"{where}: unsupported GeoJSON type {kind!r}")
    if "coordinates" not in geometry:
        raise ValueError(f"{where}: {kind} has no 'coordinates'")
    coords = geometry["coordinates"]
    at = f"{where}.coordinates"
    if kind == "Point":
        if _is_array(coords) and len(coords) == 0:
            return  # an empty point, as shapely writes it
        into.points.append(_position(coords, at))
    elif kind == "MultiPoint":
        into.points.extend(_positions(coords, at))
    elif kind == "LineString":
        line = _line(coords, at)
        if line:
            into.lines.append(line)
    elif kind == "MultiLineString":
        for i, part in enumerate(_array(coords, at)):
            line = _line(part, f"{at}[{i}]")
            if line:
                into.lines.append(line)
    elif kind == "Polygon":
        polygon = _polygon(coords, at)
        if polygon:
            into.polygons.append(polygon)
    else:  # MultiPolygon
        for i, part in enumerate(_array(coords, at)):
            polygon = _polygon(part, f"{at}[{i}]")
            if polygon:
                into.polygons.append(polygon)


def _properties(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}.properties: expected an object or null, got {value!r}")
    return value


def _feature(feature: Any, where: str) -> _Feature:
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        kind = feature.get("type") if isinstance(feature, Mapping) else type(feature).__name__
        raise ValueError(f"{where}: expected a Feature, got {kind!r}")
    out = _Feature(_properties(feature.get("properties"), where))
    geometry = feature.get("geometry")
    if geometry is not None:  # a Feature without geometry is valid and draws nothing
        _geometry(geometry, f"{where}.geometry", out)
    return out


def _features(geojson: Any, where: str) -> list[_Feature]:
    """Validate any GeoJSON object and return its features, projected."""
    if not isinstance(geojson, Mapping):
        raise ValueError(f"{where}: expected a GeoJSON object, got {type(geojson).__name__}")
    kind = geojson.get("type")
    if kind == "FeatureCollection":
        members = _array(geojson.get("features"), f"{where}.features")
        return [_feature(member, f"{where}.features[{i}]") for i, member in enumerate(members)]
    if kind == "Feature":
        return [_feature(geojson, where)]
    bare = _Feature({})
    _geometry(geojson, where, bare)
    return [bare]


# ------------------------------------------------------------------- rendering


def _num(value: float) -> str:
    """Compact coordinates: a tenth of a pixel is plenty and keeps PDFs small."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(value: Any) -> str:
    """Text fit for XML: ElementTree escapes markup, this drops what XML cannot hold."""
    return _XML_INVALID.sub("", str(value))


def _paint(spec: Mapping[str, Any], geometry: str) -> dict[str, str]:
    """SVG presentation attributes for Leaflet-style options."""
    attrs = {
        "stroke": str(spec["color"]),
        "stroke-width": _num(float(spec["weight"])),
        "stroke-opacity": str(spec["opacity"]),
        "stroke-linecap": str(spec.get("lineCap", "round")),
        "stroke-linejoin": str(spec.get("lineJoin", "round")),
    }
    if spec.get("dashArray"):
        attrs["stroke-dasharray"] = str(spec["dashArray"])
    if spec.get("fill") and geometry != "line":
        attrs["fill"] = str(spec["fillColor"])
        attrs["fill-opacity"] = str(spec["fillOpacity"])
    else:
        attrs["fill"] = "none"
    if geometry == "polygon":
        attrs["fill-rule"] = "evenodd"  # holes stay holes whatever their winding
    return attrs


def _approx_text_width(text: str, size: float) -> float:
    # No font metrics here; an average glyph is a little over half the size.
    return len(text) * size * 0.58


@dataclass(frozen=True)
class _Viewport:
    """Maps the projected unit square onto the drawing frame, keeping aspect ratio."""

    scale: float
    offset_x: float
    offset_y: float

    def __call__(self, point: Point) -> Point:
        return point[0] * self.scale + self.offset_x, point[1] * self.scale + self.offset_y


def _fit(points: Sequence[Point], frame: tuple[float, float, float, float]) -> _Viewport:
    left, top, right, bottom = frame
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    span_x = max(max(xs) - min(xs), MIN_SPAN)
    span_y = max(max(ys) - min(ys), MIN_SPAN)
    scale = min((right - left) / span_x, (bottom - top) / span_y)
    centre_x = (min(xs) + max(xs)) / 2
    centre_y = (min(ys) + max(ys)) / 2
    return _Viewport(
        scale=scale,
        offset_x=(left + right) / 2 - centre_x * scale,
        offset_y=(top + bottom) / 2 - centre_y * scale,
    )


def _path_data(rings: Sequence[Sequence[Point]], close: bool) -> str:
    parts = []
    for ring in rings:
        head, *tail = ring
        segment = f"M{_num(head[0])} {_num(head[1])}"
        segment += "".join(f"L{_num(x)} {_num(y)}" for x, y in tail)
        parts.append(segment + ("Z" if close else ""))
    return "".join(parts)


def _feature_title(properties: Mapping[str, Any]) -> str | None:
    name = properties.get("name")
    kind = properties.get("kind")
    bits = [str(v) for v in (name, kind) if v not in (None, "")]
    if not bits:
        return None
    return bits[0] if len(bits) == 1 else f"{bits[0]} ({bits[1]})"


def _draw_feature(
    parent: ET.Element, kind: str, feature: _Feature, view: _Viewport, labels: ET.Element
) -> None:
    group = ET.SubElement(parent, "g", {"class": "feature"})
    title = _feature_title(feature.properties)
    if title:
        ET.SubElement(group, "title").text = _text(title)
    for polygon in feature.polygons:
        spec = style_for(kind, feature.properties, "polygon")
        rings = [[view(p) for p in ring] for ring in polygon]
        attrs = {"d": _path_data(rings, close=True), **_paint(spec, "polygon")}
        ET.SubElement(group, "path", attrs)
    for line in feature.lines:
        spec = style_for(kind, feature.properties, "line")
        attrs = {"d": _path_data([[view(p) for p in line]], close=False), **_paint(spec, "line")}
        ET.SubElement(group, "path", attrs)
    for point in feature.points:
        spec = style_for(kind, feature.properties, "point")
        x, y = view(point)
        radius = float(spec["radius"])
        attrs = {"cx": _num(x), "cy": _num(y), "r": _num(radius), **_paint(spec, "point")}
        ET.SubElement(group, "circle", attrs)
        name = feature.properties.get("name")
        if spec.get("svgLabels") and name not in (None, ""):
            _halo_text(labels, _text(name), x + radius + 3, y + 4, size=11)


def _halo_text(
    parent: ET.Element,
    text: str,
    x: float,
    y: float,
    *,
    size: float,
    extra: Mapping[str, str] | None = None,
) -> None:
    """Text with a white halo so it stays legible over lines and fills.

    Drawn twice (halo, then text) rather than with paint-order, which not every
    SVG renderer of PDF tools supports.
    """
    common = {"x": _num(x), "y": _num(y), "font-size": _num(size), **(extra or {})}
    halo = {**common, "fill": "#ffffff", "stroke": "#ffffff", "stroke-width": "3"}
    halo["stroke-linejoin"] = "round"
    ET.SubElement(parent, "text", {"class": "halo", **halo}).text = text
    ET.SubElement(parent, "text", {**common, "fill": TEXT_COLOR}).text = text


def _legend(
    root: ET.Element, entries: Sequence[tuple[str, str, str]], x: float, bottom: float
) -> None:
    """A small key of the drawn layers; a printed map has no layer control to explain it."""
    size, row, pad = 11.0, 16.0, 6.0
    width = pad * 3 + 18 + max(_approx_text_width(label, size) for _, label, _ in entries)
    height = pad * 2 + row * len(entries)
    top = bottom - height
    group = ET.SubElement(root, "g", {"class": "legend", "font-size": _num(size)})
    box = {"x": _num(x), "y": _num(top), "width": _num(width), "height": _num(height)}
    box |= {"fill": "#ffffff", "fill-opacity": "0.85", "stroke": "#9aa5b1", "rx": "3"}
    ET.SubElement(group, "rect", box)
    for i, (kind, label, geometry) in enumerate(entries):
        cy = top + pad + row * i + row / 2
        sx = x + pad
        spec = style_for(kind, {}, geometry)
        paint = _paint(spec, geometry)
        if geometry == "polygon":
            shape = {"x": _num(sx), "y": _num(cy - 5), "width": "18", "height": "10"}
            ET.SubElement(group, "rect", {**shape, **paint, "fill-rule": "nonzero"})
        elif geometry == "line":
            line = {"x1": _num(sx), "y1": _num(cy), "x2": _num(sx + 18), "y2": _num(cy)}
            ET.SubElement(group, "line", {**line, **paint})
        else:
            radius = min(float(spec["radius"]), 6.0)
            circle = {"cx": _num(sx + 9), "cy": _num(cy), "r": _num(radius)}
            ET.SubElement(group, "circle", {**circle, **paint})
        text = {"x": _num(sx + 18 + pad), "y": _num(cy + 4), "fill": TEXT_COLOR}
        ET.SubElement(group, "text", text).text = _text(label)


def render_svg(
    layers: Sequence[MapLayer],
    *,
    width: int = 800,
    height: int = 500,
    attribution: str | None = None,
    title: str | None = None,
    legend: bool = True,
    empty_text: str = "No data",
) -> str:
    """Draw ``layers`` as a standalone SVG document (a string, no XML declaration).

    The bounds of all layers are fitted into the viewport with a margin, in Web
    Mercator like the browser map, keeping the aspect ratio. Layers are drawn
    in the order of ``map_styles.json`` (area below, points on top), whatever
    the order given. ``attribution`` is written in the bottom corner (pass
    ``OSM_ATTRIBUTION`` whenever OpenStreetMap data is drawn); ``title`` is
    written at the top and used as the accessible name; ``empty_text`` (pass a
    translation) is shown when no layer has any geometry.

    Raises ``ValueError`` for malformed GeoJSON or an unknown layer kind, with
    the layer and the JSON path of the problem in the message.
    """
    if not (width > 0 and height > 0):
        raise ValueError(f"width and height must be positive, got {width}x{height}")
    styles = load_styles()
    order = {kind: i for i, kind in enumerate(styles["order"])}

    parsed: list[tuple[MapLayer, list[_Feature]]] = []
    for index, layer in enumerate(layers):
        _check_kind(layer.kind)
        where = f"layer {index} ({layer.kind})"
        parsed.append((layer, _features(layer.geojson, where)))
    parsed.sort(key=lambda item: order[item[0].kind])

    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "version": "1.1",
            "width": str(width),
            "height": str(height),
            "viewBox": f"0 0 {width} {height}",
            "font-family": FONT_STACK,
            "role": "img",
        },
    )
    if title:
        root.set("aria-label", _text(title))
        ET.SubElement(root, "title").text = _text(title)
    background = {"x": "0", "y": "0", "width": str(width), "height": str(height)}
    ET.SubElement(root, "rect", {**background, "fill": BACKGROUND, "class": "background"})

    margin = max(16.0, 0.05 * min(width, height))
    title_band = 28.0 if title else 0.0
    attribution_band = 16.0 if attribution else 0.0
    frame = (margin, margin + title_band, width - margin, height - margin - attribution_band)

    everything = [p for _, features in parsed for f in features for p in f.coordinates()]
    if everything and frame[2] > frame[0] and frame[3] > frame[1]:
        view = _fit(everything, frame)
        labels = ET.Element("g", {"class": "labels"})
        entries: list[tuple[str, str, str]] = []
        for layer, features in parsed:
            group = ET.SubElement(root, "g", {"class": f"layer layer-{layer.kind}"})
            group.set("data-layer", layer.kind)
            for feature in features:
                _draw_feature(group, layer.kind, feature, view, labels)
            drawn = [f for f in features if f.coordinates()]
            if drawn:
                geometry = (
                    "polygon"
                    if any(f.polygons for f in drawn)
                    else "line"
                    if any(f.lines for f in drawn)
                    else "point"
                )
                label = layer.label or styles["layers"][layer.kind].get("label") or layer.kind
                entries.append((layer.kind, label, geometry))
        if len(labels):
            root.append(labels)
        if legend and entries:
            _legend(root, entries, x=8.0, bottom=height - 8.0 - attribution_band)
    else:
        text = {"x": _num(width / 2), "y": _num(height / 2), "font-size": "16"}
        text |= {"text-anchor": "middle", "fill": "#52606d", "class": "empty"}
        ET.SubElement(root, "text", text).text = _text(empty_text)

    if title:
        bold = {"font-weight": "bold"}
        _halo_text(root, _text(title), margin, margin + 14, size=16, extra=bold)
        root[-1].set("class", "title")
    if attribution:
        size = 10.0
        text_width = _approx_text_width(attribution, size)
        box = {"x": _num(width - text_width - 8), "y": _num(height - 15)}
        box |= {"width": _num(text_width + 8), "height": "15"}
        ET.SubElement(root, "rect", {**box, "fill": "#ffffff", "fill-opacity": "0.8"})
        attrs = {"x": _num(width - 4), "y": _num(height - 4), "font-size": _num(size)}
        attrs |= {"text-anchor": "end", "fill": TEXT_COLOR, "class": "attribution"}
        ET.SubElement(root, "text", attrs).text = _text(attribution)

    return ET.tostring(root, encoding="unicode")
