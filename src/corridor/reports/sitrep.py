"""Assemble a situation report: figures, disclosure control, lists, series, map.

The result is a plain JSON-able dict (``content``): what a published report
freezes, and what the HTML page, the PDF and the data files are all made from.
A withheld count appears as the string ``"small"`` (below the threshold) or
``"withheld"`` (withheld so that a small one cannot be worked out), never as a
number.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.db.types import utcnow
from corridor.errors import InvalidInput
from corridor.operations.models import CorridorStatusChange, Operation
from corridor.reports import analytics, figures
from corridor.reports.context import Context, next_window
from corridor.reports.context import load as load_context
from corridor.reports.disclosure import Relation, protect
from corridor.reports.figures import ALL, BANDS, DIRECTIONS, Figures, Period
from corridor.routing.models import Hazard, Incident, IncidentStatus

FORMAT = 1
CHART_DAYS = 14
SMALL = "small"
WITHHELD = "withheld"

# The key figures at the top of the report, in order: (id, key, counts people).
KEY_FIGURES: tuple[tuple[str, tuple], ...] = (
    ("crossed", ("x", ALL, ALL, ALL)),
    ("registered_households", ("reg", "households")),
    ("registered_people", ("reg", "people")),
    ("unaccompanied_children", ("flag", "unaccompanied_children")),
    ("injured_crossing", ("flag", "injured")),
    ("people_reached", ("reach", ALL)),
    ("consultations", ("cons", ALL, ALL)),
    ("weapons_handed_in", ("weap", ALL)),
    ("certificates_issued", ("cert", ALL)),
)


def parse_period(first: date, last: date | None, *, max_days: int) -> Period:
    last = last or first
    if last < first:
        raise InvalidInput("to", "must not be before from")
    period = Period(first, last)
    if period.days > max_days:
        raise InvalidInput(
            "to", f"the period is {period.days} days; at most {max_days} are allowed"
        )
    return period


def protected(
    con: duckdb.DuckDBPyConnection, context: Context, measured: Figures, threshold: int
) -> set[tuple]:
    """The keys of ``measured`` to withhold, consistent with every day's own report.

    A report over several days is linked to the one-day reports of its days
    (each may have been published): its totals are sums of theirs, so the
    days' withheld counts must stay unrecoverable from it as well.
    """
    period = measured.period
    if period.days == 1:
        return protect(measured.values, measured.relations, threshold=threshold)
    values: dict[tuple, int] = {("P", *k): v for k, v in measured.values.items()}
    relations = [
        Relation(("P", *r.total), tuple(("P", *p) for p in r.parts)) for r in measured.relations
    ]
    fixed: dict[tuple, bool] = {}
    by_day: dict[tuple, list[tuple]] = {}
    for day in period.each_day():
        one = figures.measure(con, context, Period(day, day))
        hidden = protect(one.values, one.relations, threshold=threshold)
        tag = day.isoformat()
        for key, value in one.values.items():
            values[(tag, *key)] = value
            fixed[(tag, *key)] = key in hidden
            by_day.setdefault(key, []).append((tag, *key))
        relations += [
            Relation((tag, *r.total), tuple((tag, *p) for p in r.parts)) for r in one.relations
        ]
    for key in measured.values:
        if by_day.get(key):
            relations.append(Relation(("P", *key), tuple(by_day[key])))
    hidden = protect(values, relations, threshold=threshold, fixed=fixed)
    return {key[1:] for key in hidden if key[0] == "P"}


class Shown:
    """How a count is published: the number, or why it is withheld."""

    def __init__(self, measured: Figures, withheld: set[tuple], threshold: int) -> None:
        self.values = measured.values
        self.withheld = withheld
        self.threshold = threshold

    def __call__(self, key: tuple) -> int | str | None:
        if key not in self.values:
            return None
        value = self.values[key]
        if key in self.withheld:
            return SMALL if 0 < value < self.threshold else WITHHELD
        return value


def build(
    session: Session,
    *,
    operation: Operation,
    period: Period,
    threshold: int,
    refresh: bool = True,
) -> dict[str, Any]:
    """The content of the situation report of ``operation`` for ``period``."""
    root = analytics.session_store_dir(session, operation.id)
    if refresh:
        analytics.refresh(session, operation_id=operation.id, root=root)
    context = load_context(session, operation)
    con = analytics.open_views(root)
    try:
        context.register(con)
        return _assemble(session, con, context, operation, period, threshold, root)
    finally:
        con.close()


def _assemble(
    session: Session,
    con: duckdb.DuckDBPyConnection,
    context: Context,
    operation: Operation,
    period: Period,
    threshold: int,
    root: Any,
) -> dict[str, Any]:
    zone = ZoneInfo(context.timezone)
    current = figures.measure(con, context, period)
    before = figures.measure(con, context, period.previous())
    shown = Shown(current, protected(con, context, current, threshold), threshold)
    shown_before = Shown(before, protected(con, context, before, threshold), threshold)
    start, end = period.bounds(zone)
    as_of = analytics.as_of(root)
    return {
        "format": FORMAT,
        "operation": {
            "slug": context.slug,
            "name": context.name,
            "timezone": context.timezone,
            "lead": context.lead,
        },
        "period": {"first": period.first.isoformat(), "last": period.last.isoformat()},
        "previous": {
            "first": before.period.first.isoformat(),
            "last": before.period.last.isoformat(),
        },
        "threshold": threshold,
        "data_as_of": as_of.isoformat() if as_of else None,
        "key_figures": _key_figures(shown, shown_before, current, before, context),
        "crossings": _crossings_table(context, shown),
        "aid": _aid(context, current, shown),
        "consultations": _consultations(context, current, shown),
        "amnesty": _amnesty(current, shown) if context.has_amnesty else None,
        "corridors": _corridors(session, context, start, end),
        "incidents": _incidents(session, context, start, end),
        "hazards": _hazards(session, context, start, end),
        "series": _series(con, context, period, threshold),
        "map": _map(session, operation, context, end),
    }


def _change(now: int | str | None, then: int | str | None) -> int | None:
    if isinstance(now, int) and isinstance(then, int):
        return now - then
    return None  # a withheld side would let the change give it away


def _key_figures(
    shown: Shown, shown_before: Shown, current: Figures, before: Figures, context: Context
) -> list[dict[str, Any]]:
    out = []
    for name, key in KEY_FIGURES:
        if key[0] in ("weap", "cert") and not context.has_amnesty:
            continue
        now, then = shown(key), shown_before(key)
        out.append({"id": name, "value": now, "previous": then, "change": _change(now, then)})
    # Tonnes of goods are not counts of people: shown whole, with their change.
    tonnes_now = round(sum(current.tonnes.values()), 3)
    tonnes_then = round(sum(before.tonnes.values()), 3)
    out.insert(
        5,
        {
            "id": "aid_tonnes",
            "value": tonnes_now,
            "previous": tonnes_then,
            "change": round(tonnes_now - tonnes_then, 3),
        },
    )
    return out


def _crossings_table(context: Context, shown: Shown) -> dict[str, Any]:
    rows = []
    for corridor in context.corridors.values():
        code, name_en, name_ar = context.area(corridor.pcode)
        for direction in DIRECTIONS:
            rows.append(
                {
                    "corridor_id": corridor.id,
                    "corridor": corridor.name,
                    "adm1": code,
                    "adm1_name": name_en,
                    "adm1_name_ar": name_ar,
                    "direction": direction,
                    "cells": {b: shown(("x", corridor.id, direction, b)) for b in BANDS},
                    "total": shown(("x", corridor.id, direction, ALL)),
                }
            )
    return {
        "bands": list(BANDS),
        "rows": rows,
        "corridor_totals": {str(c): shown(("x", c, ALL, ALL)) for c in context.corridors},
        "band_totals": {b: shown(("x", ALL, ALL, b)) for b in BANDS},
        "direction_totals": {d: shown(("x", ALL, d, ALL)) for d in DIRECTIONS},
        "total": shown(("x", ALL, ALL, ALL)),
        "unaccompanied_children": shown(("flag", "unaccompanied_children")),
        "injured": shown(("flag", "injured")),
        "registered_households": shown(("reg", "households")),
        "registered_people": shown(("reg", "people")),
    }


def _aid(context: Context, current: Figures, shown: Shown) -> dict[str, Any]:
    rows = []
    for (place_id, category), tonnes in sorted(current.tonnes.items()):
        place = context.places.get(place_id)
        code, name_en, _ = context.area(place.pcode if place else "")
        rows.append(
            {
                "place_id": place_id,
                "place": place.name if place else str(place_id),
                "organisation": place.organisation if place else "",
                "adm1": code,
                "adm1_name": name_en,
                "category": category,
                "tonnes": tonnes,
            }
        )
    by_category: dict[str, float] = {}
    for (_, category), tonnes in current.tonnes.items():
        by_category[category] = round(by_category.get(category, 0.0) + tonnes, 3)
    reached = []
    for place in context.places.values():
        if place.kind != "aid_point":
            continue
        code, name_en, _ = context.area(place.pcode)
        reached.append(
            {
                "place_id": place.id,
                "place": place.name,
                "organisation": place.organisation,
                "adm1": code,
                "adm1_name": name_en,
                "people": shown(("reach", place.id)),
            }
        )
    return {
        "rows": rows,
        "by_category": dict(sorted(by_category.items())),
        "total_tonnes": round(sum(current.tonnes.values()), 3),
        "reached": reached,
        "reached_total": shown(("reach", ALL)),
    }


def _consultations(context: Context, current: Figures, shown: Shown) -> dict[str, Any]:
    places = sorted({k[1] for k in current.values if k[0] == "cons" and k[1] != ALL})
    categories = sorted({k[2] for k in current.values if k[0] == "cons" and k[2] != ALL})
    rows = []
    for place_id in places:
        place = context.places.get(place_id)
        code, name_en, _ = context.area(place.pcode if place else "")
        rows.append(
            {
                "place_id": place_id,
                "place": place.name if place else str(place_id),
                "organisation": place.organisation if place else "",
                "adm1": code,
                "adm1_name": name_en,
                "cells": {c: shown(("cons", place_id, c)) for c in categories},
                "total": shown(("cons", place_id, ALL)),
            }
        )
    return {
        "categories": categories,
        "rows": rows,
        "category_totals": {c: shown(("cons", ALL, c)) for c in categories},
        "total": shown(("cons", ALL, ALL)),
    }


def _amnesty(current: Figures, shown: Shown) -> dict[str, Any]:
    weapons = sorted(k[1] for k in current.values if k[0] == "weap" and k[1] != ALL)
    kinds = sorted(k[1] for k in current.values if k[0] == "cert" and k[1] != ALL)
    return {
        "weapons": {c: shown(("weap", c)) for c in weapons},
        "weapons_total": shown(("weap", ALL)),
        "certificates": {k: shown(("cert", k)) for k in kinds},
        "certificates_total": shown(("cert", ALL)),
    }


def _corridors(
    session: Session, context: Context, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Each corridor's status at the end of the period, and its changes during it."""
    changes: dict[int, list[dict[str, Any]]] = {}
    status_at_end: dict[int, str] = {}
    for change in session.scalars(
        select(CorridorStatusChange)
        .where(
            CorridorStatusChange.operation_id == context.operation_id,
            CorridorStatusChange.changed_at < end,
        )
        .order_by(CorridorStatusChange.changed_at, CorridorStatusChange.id)
    ):
        status_at_end[change.corridor_id] = change.to_status
        if change.changed_at >= start:
            changes.setdefault(change.corridor_id, []).append(
                {
                    "at": change.changed_at.isoformat(),
                    "from": change.from_status,
                    "to": change.to_status,
                }
            )
    out = []
    for corridor in context.corridors.values():
        code, name_en, _ = context.area(corridor.pcode)
        out.append(
            {
                "id": corridor.id,
                "name": corridor.name,
                "status": status_at_end.get(corridor.id, corridor.status),
                "adm1": code,
                "adm1_name": name_en,
                "changes": changes.get(corridor.id, []),
                "next_window": next_window(corridor.windows, min(end, utcnow())),
            }
        )
    return out


def _incidents(
    session: Session, context: Context, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Incidents of the period; never their description or source (they may name people)."""
    found = session.scalars(
        select(Incident)
        .where(
            Incident.operation_id == context.operation_id,
            Incident.occurred_at >= start,
            Incident.occurred_at < end,
            Incident.status != IncidentStatus.DISCOUNTED,
        )
        .order_by(Incident.occurred_at, Incident.id)
    )
    return [
        {
            "occurred_at": i.occurred_at.isoformat(),
            "kind": i.kind.value,
            "status": i.status.value,
            "corridor": context.corridors[i.corridor_id].name
            if i.corridor_id in context.corridors
            else "",
            "injured": i.injured,
            "killed": i.killed,
            "lon": round(i.lon, 5),
            "lat": round(i.lat, 5),
        }
        for i in found
    ]


def _hazards(
    session: Session, context: Context, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Hazards that came into force during the period."""
    found = session.scalars(
        select(Hazard)
        .where(
            Hazard.operation_id == context.operation_id,
            Hazard.valid_from >= start,
            Hazard.valid_from < end,
        )
        .order_by(Hazard.valid_from, Hazard.id)
    )
    return [
        {
            "name": h.name,
            "kind": h.kind.value,
            "severity": h.severity,
            "factor": h.factor,
            "valid_from": h.valid_from.isoformat(),
            "valid_until": h.valid_until.isoformat() if h.valid_until else None,
            "withdrawn": h.withdrawn_at is not None and h.withdrawn_at < end,
        }
        for h in found
    ]


def chart_period(period: Period) -> Period:
    """The days the charts show: the period, or the fortnight up to a single day."""
    if period.days >= 7:
        return period
    return Period(period.last - timedelta(days=CHART_DAYS - 1), period.last)


def _series(
    con: duckdb.DuckDBPyConnection, context: Context, period: Period, threshold: int
) -> dict[str, Any]:
    window = chart_period(period)
    days = window.each_day()
    crossings: dict[str, list[int | str | None]] = {str(c): [] for c in context.corridors}
    for day, measured in figures.daily_crossings(con, context, window).items():
        del day
        one = Shown(
            measured, protect(measured.values, measured.relations, threshold=threshold), threshold
        )
        for corridor in context.corridors:
            crossings[str(corridor)].append(one(("x", corridor, ALL, ALL)))
    stock = figures.stock_levels(con, context, window)
    return {
        "days": [d.isoformat() for d in days],
        "crossings": crossings,
        "tonnes_cumulative": figures.cumulative_tonnes(con, context, window),
        "stock": {
            str(item): {
                "name": context.items[item].name if item in context.items else str(item),
                "unit": context.items[item].unit if item in context.items else "",
                "levels": levels,
            }
            for item, levels in stock.items()
        },
    }


def _map(session: Session, operation: Operation, context: Context, end: datetime) -> dict[str, Any]:
    """GeoJSON of the map layers: area, corridors, hazards in force, checkpoints, aid points."""
    at = min(end, utcnow()) - timedelta(microseconds=1)
    hazards = [
        {
            "type": "Feature",
            "geometry": h.effective_geometry,
            "properties": {"name": h.name, "kind": h.kind.value, "severity": h.severity},
        }
        for h in session.scalars(select(Hazard).where(Hazard.operation_id == operation.id))
        if h.in_force(at)
    ]
    corridors = [
        {
            "type": "Feature",
            "geometry": c.route,
            "properties": {"name": c.name, "status": c.status},
        }
        for c in context.corridors.values()
        if c.route
    ]
    aid_points = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
            "properties": {"name": p.name, "kind": p.kind, "status": p.status},
        }
        for p in context.places.values()
    ]
    layers = {
        "corridors": corridors,
        "hazards": hazards,
        "checkpoints": context.checkpoint_points,
        "aid_points": aid_points,
    }
    if operation.area:
        layers["area"] = [
            {"type": "Feature", "geometry": operation.area, "properties": {"name": operation.name}}
        ]
    return {
        kind: {"type": "FeatureCollection", "features": features}
        for kind, features in layers.items()
    }
