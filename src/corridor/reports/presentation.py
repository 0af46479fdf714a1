"""What the report page and the PDF draw from a report's content: charts and map.

Both come from the frozen content alone (never from the database), so a
published report looks the same every time it is opened or printed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from corridor.reports import charts
from corridor.web.svgmap import OSM_ATTRIBUTION, MapLayer, render_svg
from corridor.web.templating import N_

Translate = Callable[[str], str]

# The key figures' names (the ids are a contract of the data files; these are
# what a reader sees, translated).
FIGURE_LABELS = {
    "crossed": N_("People crossed"),
    "registered_households": N_("Households registered"),
    "registered_people": N_("People registered"),
    "unaccompanied_children": N_("Unaccompanied children"),
    "injured_crossing": N_("Injured people crossing"),
    "aid_tonnes": N_("Aid distributed (tonnes)"),
    "people_reached": N_("People reached by distributions"),
    "consultations": N_("Medical consultations"),
    "weapons_handed_in": N_("Weapons and items handed in"),
    "certificates_issued": N_("Certificates issued"),
}


def chart_svgs(content: dict[str, Any], _: Translate) -> dict[str, Markup]:
    series = content["series"]
    days = series["days"]
    names = {str(c["id"]): c["name"] for c in content["corridors"]}
    withheld = _("withheld")
    crossings = charts.line_chart(
        days,
        {names.get(k, k): v for k, v in series["crossings"].items()},
        title=_("People crossed per day, by corridor"),
        y_label=_("people"),
        withheld_label=withheld,
    )
    tonnes = charts.line_chart(
        days,
        {_(category): values for category, values in series["tonnes_cumulative"].items()},
        title=_("Aid distributed since the start (tonnes)"),
        y_label=_("tonnes"),
        withheld_label=withheld,
    )
    stock = charts.line_chart(
        days,
        {f"{s['name']} ({_(s['unit'])})": s["levels"] for s in series["stock"].values()},
        title=_("Stock of the items given out most (all places, end of day)"),
        y_label=_("in stock"),
        withheld_label=withheld,
    )
    # Our own SVG (ElementTree-escaped text), safe to place in the page as is.
    return {"crossings": Markup(crossings), "tonnes": Markup(tonnes), "stock": Markup(stock)}


def map_svg(
    content: dict[str, Any], _: Translate, *, width: int = 760, height: int = 430
) -> Markup:
    labels = {
        "area": _("Operation area"),
        "corridors": _("Corridors"),
        "hazards": _("Hazards in force"),
        "checkpoints": _("Checkpoints"),
        "aid_points": _("Aid points and warehouses"),
        "incidents": _("Incidents"),
    }
    layers = [
        MapLayer(kind, collection, label=labels.get(kind))
        for kind, collection in content["map"].items()
        if collection["features"]
    ]
    incidents = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [i["lon"], i["lat"]]},
            "properties": {"name": _(i["kind"])},
        }
        for i in content["incidents"]
    ]
    if incidents:
        layers.append(
            MapLayer(
                "incidents",
                {"type": "FeatureCollection", "features": incidents},
                label=labels["incidents"],
            )
        )
    svg = render_svg(
        layers,
        width=width,
        height=height,
        attribution=OSM_ATTRIBUTION,
        empty_text=_("No data"),
    )
    return Markup(svg)


def cell(value: Any, threshold: int) -> str:
    """A count as printed: the number, "<5" when small, "–" when withheld to protect one."""
    if isinstance(value, bool) or value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if value == "small":
        return f"<{threshold}"
    return "–"


def change(value: Any) -> str:
    if isinstance(value, float) and not isinstance(value, bool):
        text = f"{value:,.3f}".rstrip("0").rstrip(".")
        return f"+{text}" if value > 0 else text
    if not isinstance(value, int) or isinstance(value, bool):
        return ""
    return f"+{value:,}" if value > 0 else f"{value:,}"
