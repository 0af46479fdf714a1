"""A deconfliction notice as the parties receive it: a PDF and a GeoJSON file.

Both come from the notice's frozen content. The PDF (A4, WeasyPrint) lists every
site and movement with coordinates and times (UTC) and draws them on the
server-side SVG map; the GeoJSON carries the same points and routes.
"""

from __future__ import annotations

from typing import Any

import orjson
from markupsafe import Markup

from corridor.web import i18n
from corridor.web.svgmap import OSM_ATTRIBUTION, MapLayer, render_svg
from corridor.web.templating import render_document


def notice_geojson(content: dict[str, Any]) -> bytes:
    features: list[dict[str, Any]] = []
    for site in content["sites"]:
        if site["lon"] is None or site["lat"] is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [site["lon"], site["lat"]]},
                "properties": {
                    "layer": "site",
                    "name": site["name"],
                    "kind": site["kind"],
                    "organisation": site["organisation"],
                },
            }
        )
    for movement in content["movements"]:
        if not movement["route"]:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": movement["route"],
                "properties": {
                    "layer": "movement",
                    "reference": movement["reference"],
                    "corridor": movement["corridor"],
                    "departs_at": movement["departs_at"],
                    "arrives_at": movement["arrives_at"],
                    "vehicles": movement["vehicles"],
                    "vehicle_kind": movement["vehicle_kind"],
                    "organisations": movement["organisations"],
                    "status": movement["status"],
                },
            }
        )
    collection = {
        "type": "FeatureCollection",
        "properties": {
            "operation": content["operation"]["name"],
            "notice": content["number"],
            "version": content["version"],
            "issued_at": content["issued_at"],
            "expires_at": content["expires_at"],
        },
        "features": features,
    }
    return orjson.dumps(collection)


def _map(content: dict[str, Any]) -> Markup:
    _ = i18n.gettext
    points = {"checkpoint": [], "other": []}
    for site in content["sites"]:
        if site["lon"] is None:
            continue
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [site["lon"], site["lat"]]},
            "properties": {"name": site["name"]},
        }
        points["checkpoint" if site["kind"] == "checkpoint" else "other"].append(feature)
    routes = [
        {"type": "Feature", "geometry": m["route"], "properties": {"name": m["reference"]}}
        for m in content["movements"]
        if m["route"]
    ]
    layers = []
    if routes:
        layers.append(
            MapLayer(
                "routes",
                {"type": "FeatureCollection", "features": routes},
                label=_("Planned movements"),
            )
        )
    if points["checkpoint"]:
        layers.append(
            MapLayer(
                "checkpoints",
                {"type": "FeatureCollection", "features": points["checkpoint"]},
                label=_("Checkpoints"),
            )
        )
    if points["other"]:
        layers.append(
            MapLayer(
                "aid_points",
                {"type": "FeatureCollection", "features": points["other"]},
                label=_("Humanitarian sites"),
            )
        )
    return Markup(
        render_svg(
            layers, width=760, height=460, attribution=OSM_ATTRIBUTION, empty_text=_("No data")
        )
    )


def notice_html(content: dict[str, Any], *, language: str = "en") -> str:
    previous = i18n.current_language()
    i18n.set_language(language)
    try:
        map_svg = _map(content)
    finally:
        i18n.set_language(previous)
    return render_document(
        "operations/notice_print.html", language=language, notice=content, map_svg=map_svg
    )


def notice_pdf(content: dict[str, Any], *, language: str = "en") -> bytes:
    from weasyprint import HTML  # imported when printing: it loads Pango at import

    return HTML(string=notice_html(content, language=language)).write_pdf()
