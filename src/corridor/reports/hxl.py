"""The report's figures as HXL-tagged data: CSV, JSON and GeoJSON.

One row per published figure, in the long layout partners load into their
own tools (HDX, HXL Proxy, spreadsheets): when and where, who, which sector
and indicator, the breakdown, and one number. A withheld count is left blank
and flagged in ``#meta+suppressed``; amounts of goods are never tagged
``#value``, which HXL keeps for money.

The columns are a contract for the tools that read these files: add new ones
at the end, never rename or reorder.
"""

from __future__ import annotations

import csv
import io
from importlib import resources
from typing import Any

import orjson

COLUMNS: tuple[tuple[str, str], ...] = (
    ("Date", "#date"),
    ("End date", "#date+end"),
    ("Admin 1 P-code", "#adm1+code"),
    ("Admin 1", "#adm1+name"),
    ("Organisation", "#org"),
    ("Sector", "#sector"),
    ("Indicator", "#indicator+code"),
    ("Corridor", "#loc+corridor+name"),
    ("Place", "#loc+name"),
    ("Direction", "#meta+direction"),
    ("Sex", "#meta+sex"),
    ("Age", "#meta+age"),
    ("Category", "#meta+category"),
    ("Item", "#item+name"),
    ("Unit", "#meta+unit"),
    ("People crossed", "#affected+crossed"),
    ("People reached", "#reached"),
    ("Number", "#output+num"),
    ("Tonnes", "#output+tonnes"),
    ("Suppressed", "#meta+suppressed"),
)
TAGS = tuple(tag for _, tag in COLUMNS)

SECTORS = {
    "food": "Food Security",
    "wash": "WASH",
    "shelter_nfi": "Shelter/NFI",
    "medical": "Health",
    "nutrition": "Nutrition",
    "education": "Education",
    "other": "Multi-sector",
}
SCHEMA_FILE = "hxl_schema.csv"
ALL_LABEL = "all"  # a total over a breakdown (sex, age, category)


def _number(value: int | str | None) -> tuple[int | str, str]:
    """(the cell, the suppressed flag) of a count as the report shows it."""
    if isinstance(value, int):
        return value, "no"
    return "", "yes"


def rows(content: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure of ``content`` as a row keyed by hashtag."""
    period = content["period"]
    lead = content["operation"]["lead"]
    out: list[dict[str, Any]] = []

    def add(count_tag: str, value: int | float | str | None, **fields: Any) -> None:
        row = dict.fromkeys(TAGS, "")
        row["#date"], row["#date+end"] = period["first"], period["last"]
        row["#org"] = lead
        row.update({k: v for k, v in fields.items() if v is not None})
        if count_tag == "#output+tonnes":
            row[count_tag], row["#meta+suppressed"] = value, "no"
        else:
            row[count_tag], row["#meta+suppressed"] = _number(value)  # type: ignore[arg-type]
        out.append(row)

    crossings = content["crossings"]
    for row in crossings["rows"]:
        place = {
            "#adm1+code": row["adm1"],
            "#adm1+name": row["adm1_name"],
            "#loc+corridor+name": row["corridor"],
            "#meta+direction": row["direction"],
        }
        for band, value in row["cells"].items():
            sex, age = band.split("_", 1)
            add(
                "#affected+crossed",
                value,
                **place,
                **{"#sector": "Protection", "#indicator+code": "crossed"},
                **{"#meta+sex": sex, "#meta+age": age},
            )
        add(
            "#affected+crossed",
            row["total"],
            **place,
            **{"#sector": "Protection", "#indicator+code": "crossed"},
            **{"#meta+sex": ALL_LABEL, "#meta+age": ALL_LABEL},
        )
    protection = {"#sector": "Protection"}
    add(
        "#affected+crossed",
        crossings["total"],
        **protection,
        **{"#indicator+code": "crossed", "#meta+sex": ALL_LABEL, "#meta+age": ALL_LABEL},
    )
    for indicator in (
        "unaccompanied_children",
        "injured",
        "registered_households",
        "registered_people",
    ):
        code = "injured_crossing" if indicator == "injured" else indicator
        add("#output+num", crossings[indicator], **protection, **{"#indicator+code": code})

    aid = content["aid"]
    for row in aid["rows"]:
        add(
            "#output+tonnes",
            row["tonnes"],
            **{
                "#adm1+code": row["adm1"],
                "#adm1+name": row["adm1_name"],
                "#org": row["organisation"] or lead,
                "#sector": SECTORS.get(row["category"], "Multi-sector"),
                "#indicator+code": "aid_distributed",
                "#loc+name": row["place"],
                "#meta+category": row["category"],
            },
        )
    for row in aid["reached"]:
        add(
            "#reached",
            row["people"],
            **{
                "#adm1+code": row["adm1"],
                "#adm1+name": row["adm1_name"],
                "#org": row["organisation"] or lead,
                "#sector": "Multi-sector",
                "#indicator+code": "people_reached",
                "#loc+name": row["place"],
            },
        )
    add(
        "#reached",
        aid["reached_total"],
        **{"#sector": "Multi-sector", "#indicator+code": "people_reached"},
    )

    consultations = content["consultations"]
    for row in consultations["rows"]:
        where = {
            "#adm1+code": row["adm1"],
            "#adm1+name": row["adm1_name"],
            "#org": row["organisation"] or lead,
            "#sector": "Health",
            "#indicator+code": "consultations",
            "#loc+name": row["place"],
        }
        for category, value in row["cells"].items():
            add("#output+num", value, **where, **{"#meta+category": category})
        add("#output+num", row["total"], **where, **{"#meta+category": ALL_LABEL})
    health = {"#sector": "Health", "#indicator+code": "consultations"}
    for category, value in consultations["category_totals"].items():
        add("#output+num", value, **health, **{"#meta+category": category})
    add("#output+num", consultations["total"], **health, **{"#meta+category": ALL_LABEL})

    amnesty = content.get("amnesty")
    if amnesty:
        for indicator, breakdown, total in (
            ("weapons_handed_in", amnesty["weapons"], amnesty["weapons_total"]),
            ("certificates_issued", amnesty["certificates"], amnesty["certificates_total"]),
        ):
            fields = {"#sector": "Protection", "#indicator+code": indicator}
            for category, value in breakdown.items():
                add("#output+num", value, **fields, **{"#meta+category": category})
            add("#output+num", total, **fields, **{"#meta+category": ALL_LABEL})

    for indicator, entries, key in (
        ("incidents", content["incidents"], "kind"),
        ("new_hazards", content["hazards"], "kind"),
    ):
        counts: dict[str, int] = {}
        for entry in entries:
            counts[entry[key]] = counts.get(entry[key], 0) + 1
        fields = {"#sector": "Coordination", "#indicator+code": indicator}
        for kind, number in sorted(counts.items()):
            add("#output+num", number, **fields, **{"#meta+category": kind})
        add("#output+num", sum(counts.values()), **fields, **{"#meta+category": ALL_LABEL})

    for stock in content["series"]["stock"].values():
        levels = stock["levels"]
        add(
            "#output+num",
            levels[-1] if levels else 0,
            **{
                "#sector": "Logistics",
                "#indicator+code": "stock_closing",
                "#item+name": stock["name"],
                "#meta+unit": stock["unit"],
            },
        )
    return out


def to_csv(content: dict[str, Any]) -> str:
    """HXL CSV: a row of headers, a row of hashtags, then the figures."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([header for header, _ in COLUMNS])
    writer.writerow(TAGS)
    for row in rows(content):
        writer.writerow([row[tag] for tag in TAGS])
    return buffer.getvalue()


def to_json(content: dict[str, Any]) -> bytes:
    """HXL JSON: the figures as objects keyed by hashtag, under ``data``, with the
    report's identity under ``meta`` (read it with libhxl's ``json_selector="data"``)."""
    meta = {
        "operation": content["operation"]["slug"],
        "first_day": content["period"]["first"],
        "last_day": content["period"]["last"],
        "version": content.get("version"),
        "data_as_of": content.get("data_as_of"),
        "suppression_threshold": content["threshold"],
        "corridors": [
            {"name": c["name"], "status": c["status"], "changes": c["changes"]}
            for c in content["corridors"]
        ],
    }
    return orjson.dumps({"meta": meta, "data": rows(content)}, option=orjson.OPT_INDENT_2)


def to_geojson(content: dict[str, Any]) -> bytes:
    """The map layers as one FeatureCollection (each feature says its ``layer``)."""
    features = []
    for layer, collection in content["map"].items():
        for feature in collection["features"]:
            properties = {"layer": layer, **(feature.get("properties") or {})}
            features.append({**feature, "properties": properties})
    for incident in content["incidents"]:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [incident["lon"], incident["lat"]]},
                "properties": {
                    "layer": "incidents",
                    "kind": incident["kind"],
                    "occurred_at": incident["occurred_at"],
                    "status": incident["status"],
                },
            }
        )
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def schema_csv(adm1_codes: list[str] | None = None) -> str:
    """The committed HXL schema, with the operation's admin-1 P-codes as the
    allowed values of ``#adm1+code`` when given."""
    text = resources.files("corridor.reports").joinpath(SCHEMA_FILE).read_text("utf-8")
    if adm1_codes:
        reader = csv.reader(io.StringIO(text))
        header, tags = next(reader), next(reader)
        rule = dict.fromkeys(tags, "")
        rule["#valid_tag"] = "#adm1+code"
        rule["#valid_value+list"] = " | ".join(adm1_codes)
        rule["#description"] = "Admin 1 P-codes of the operation's gazetteer"
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerow(tags)
        for row in reader:
            writer.writerow(row)
        writer.writerow([rule[t] for t in tags])
        return buffer.getvalue()
    return text
