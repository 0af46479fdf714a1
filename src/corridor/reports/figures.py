"""The figures of a period, counted by DuckDB over the analytics copy.

Every count of people becomes a keyed value, and every published total a
``Relation`` between keys, so that ``disclosure.protect`` sees exactly what a
reader of the report sees. Keys are tuples whose first element names the table:

- ``("x", corridor, direction, band)``: people crossed; ``"*"`` stands for "all"
  (``("x", 3, "*", "*")`` is corridor 3's total, ``("x", "*", "*", "*")`` the total);
- ``("flag", "unaccompanied_children" | "injured")``;
- ``("reg", "households" | "people")``: registrations;
- ``("reach", place | "*")``: people reached by distributions;
- ``("cons", place | "*", category | "*")``: consultations;
- ``("weap", category | "*")`` and ``("cert", kind | "*")``: the amnesty desk.

Tonnes of aid are quantities of goods, not counts of people: they are not
subject to disclosure control.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb

from corridor.reports.context import Context
from corridor.reports.disclosure import Relation

SEXES = ("female", "male")
AGE_BANDS = ("0_4", "5_17", "18_59", "60_plus")
BANDS = tuple(f"{sex}_{band}" for sex in SEXES for band in AGE_BANDS)
DIRECTIONS = ("outbound", "inbound")
ALL = "*"
DISTRIBUTED = "(kind = 'distribution' OR (kind = 'reversal' AND reversed_kind = 'distribution'))"


@dataclass(frozen=True)
class Period:
    """Local days of the operation, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        length = timedelta(days=self.days)
        return Period(self.first - length, self.last - length)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The UTC instants where the first day starts and the day after the last starts."""
        start = datetime.combine(self.first, time(0), zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(0), zone).astimezone(UTC)
        return start, end

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]


@dataclass
class Figures:
    """The counts of one period, before disclosure control."""

    period: Period
    values: dict[tuple, int] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    tonnes: dict[tuple[int, str], float] = field(default_factory=dict)  # (place, category)

    def relate(self, total: tuple, parts: list[tuple]) -> None:
        self.relations.append(Relation(total, tuple(parts)))


def _range(con: duckdb.DuckDBPyConnection, sql: str, start: datetime, end: datetime) -> list:
    return con.execute(sql, {"start": start, "end": end}).fetchall()


def measure(con: duckdb.DuckDBPyConnection, context: Context, period: Period) -> Figures:
    """Count everything the report shows for ``period`` (views and lookups registered)."""
    zone = ZoneInfo(context.timezone)
    start, end = period.bounds(zone)
    figures = Figures(period)
    _crossings(con, context, figures, start, end)
    _registrations(con, figures, start, end)
    _aid(con, context, figures, start, end)
    _consultations(con, context, figures, period)
    _amnesty(con, figures, start, end)
    return figures


def _crossings(
    con: duckdb.DuckDBPyConnection, context: Context, figures: Figures, start, end
) -> None:
    sums = ", ".join(f"sum({band})" for band in BANDS)
    rows = _range(
        con,
        f"SELECT c.corridor_id, x.direction, {sums}, sum(unaccompanied_children), sum(injured)"
        " FROM crossings x JOIN dim_checkpoints c ON c.id = x.checkpoint_id"
        " WHERE x.slot_start >= $start AND x.slot_start < $end AND c.corridor_id IS NOT NULL"
        " GROUP BY ALL",
        start,
        end,
    )
    found: dict[tuple[int, str], tuple] = {(r[0], r[1]): r[2:] for r in rows}
    values = figures.values
    unaccompanied = injured = 0
    for corridor in context.corridors:
        for direction in DIRECTIONS:
            counts = found.get((corridor, direction))
            for index, band in enumerate(BANDS):
                values[("x", corridor, direction, band)] = int(counts[index]) if counts else 0
            if counts:
                unaccompanied += int(counts[len(BANDS)])
                injured += int(counts[len(BANDS) + 1])
            leaves = [("x", corridor, direction, band) for band in BANDS]
            values[("x", corridor, direction, ALL)] = sum(values[k] for k in leaves)
            figures.relate(("x", corridor, direction, ALL), leaves)
        rows_of = [("x", corridor, d, ALL) for d in DIRECTIONS]
        values[("x", corridor, ALL, ALL)] = sum(values[k] for k in rows_of)
        figures.relate(("x", corridor, ALL, ALL), rows_of)
    corridors = list(context.corridors)
    for band in BANDS:
        parts = [("x", c, d, band) for c in corridors for d in DIRECTIONS]
        values[("x", ALL, ALL, band)] = sum(values[k] for k in parts)
        figures.relate(("x", ALL, ALL, band), parts)
    for direction in DIRECTIONS:
        parts = [("x", c, direction, ALL) for c in corridors]
        values[("x", ALL, direction, ALL)] = sum(values[k] for k in parts)
        figures.relate(("x", ALL, direction, ALL), parts)
    grand = ("x", ALL, ALL, ALL)
    values[grand] = sum(values[("x", c, ALL, ALL)] for c in corridors)
    figures.relate(grand, [("x", c, ALL, ALL) for c in corridors])
    figures.relate(grand, [("x", ALL, ALL, band) for band in BANDS])
    figures.relate(grand, [("x", ALL, d, ALL) for d in DIRECTIONS])
    values[("flag", "unaccompanied_children")] = unaccompanied
    values[("flag", "injured")] = injured


def _registrations(con: duckdb.DuckDBPyConnection, figures: Figures, start, end) -> None:
    households, people = _range(
        con,
        "SELECT count(*), coalesce(sum(household_size), 0) FROM registrations"
        " WHERE NOT deleted AND recorded_at >= $start AND recorded_at < $end",
        start,
        end,
    )[0]
    figures.values[("reg", "households")] = int(households)
    figures.values[("reg", "people")] = int(people)


def _aid(con: duckdb.DuckDBPyConnection, context: Context, figures: Figures, start, end) -> None:
    for place, category, kilograms in _range(
        con,
        "SELECT l.place_id, i.category, sum(-l.quantity * i.kg) FROM ledger l"
        " JOIN dim_items i ON i.id = l.item_id"
        f" WHERE {DISTRIBUTED} AND l.occurred_at >= $start AND l.occurred_at < $end"
        " GROUP BY ALL",
        start,
        end,
    ):
        if kilograms:
            figures.tonnes[(place, category)] = round(float(kilograms) / 1000, 3)
    reached = dict(
        _range(
            con,
            "SELECT place_id, sum(people_count) FROM distributions"
            " WHERE NOT deleted AND distributed_at >= $start AND distributed_at < $end"
            " GROUP BY ALL",
            start,
            end,
        )
    )
    points = [p.id for p in context.places.values() if p.kind == "aid_point"]
    for place in points:
        figures.values[("reach", place)] = int(reached.get(place, 0))
    figures.values[("reach", ALL)] = sum(figures.values[("reach", p)] for p in points)
    figures.relate(("reach", ALL), [("reach", p) for p in points])


def _consultations(
    con: duckdb.DuckDBPyConnection, context: Context, figures: Figures, period: Period
) -> None:
    rows = con.execute(
        "SELECT place_id, category, count(*) FROM consultations"
        " WHERE day >= $first AND day <= $last GROUP BY ALL",
        {"first": period.first, "last": period.last},
    ).fetchall()
    counts: dict[tuple[int, str], int] = {(r[0], r[1]): int(r[2]) for r in rows}
    places = sorted({p for p, _ in counts})
    categories = sorted({c for _, c in counts})
    values = figures.values
    for place in places:
        for category in categories:
            values[("cons", place, category)] = counts.get((place, category), 0)
        parts = [("cons", place, c) for c in categories]
        values[("cons", place, ALL)] = sum(values[k] for k in parts)
        figures.relate(("cons", place, ALL), parts)
    for category in categories:
        parts = [("cons", p, category) for p in places]
        values[("cons", ALL, category)] = sum(values[k] for k in parts)
        figures.relate(("cons", ALL, category), parts)
    values[("cons", ALL, ALL)] = sum(values[("cons", p, ALL)] for p in places)
    figures.relate(("cons", ALL, ALL), [("cons", p, ALL) for p in places])
    figures.relate(("cons", ALL, ALL), [("cons", ALL, c) for c in categories])


def _amnesty(con: duckdb.DuckDBPyConnection, figures: Figures, start, end) -> None:
    for table, sql in (
        (
            "weap",
            "SELECT category, count(*) FROM weapons"
            " WHERE registered_at >= $start AND registered_at < $end GROUP BY ALL",
        ),
        (
            "cert",
            "SELECT kind, count(*) FROM certificates"
            " WHERE issued_at >= $start AND issued_at < $end GROUP BY ALL",
        ),
    ):
        counts = {name: int(n) for name, n in _range(con, sql, start, end)}
        for name, number in counts.items():
            figures.values[(table, name)] = number
        figures.values[(table, ALL)] = sum(counts.values())
        figures.relate((table, ALL), [(table, name) for name in sorted(counts)])


# Series for the charts ----------------------------------------------------------------


def daily_crossings(
    con: duckdb.DuckDBPyConnection, context: Context, period: Period
) -> dict[date, Figures]:
    """Each day's crossings table (for the chart: each day protected as its own report)."""
    zone = ZoneInfo(context.timezone)
    out = {}
    for day in period.each_day():
        one = Period(day, day)
        start, end = one.bounds(zone)
        figures = Figures(one)
        _crossings(con, context, figures, start, end)
        out[day] = figures
    return out


def cumulative_tonnes(
    con: duckdb.DuckDBPyConnection, context: Context, period: Period
) -> dict[str, list[float]]:
    """Tonnes distributed since the start, per item category, at the end of each day."""
    zone = ZoneInfo(context.timezone)
    _, end = period.bounds(zone)
    con.execute(f"SET TimeZone = '{zone.key}'")
    try:
        rows = con.execute(
            "SELECT CAST(l.occurred_at AS DATE) AS day, i.category, sum(-l.quantity * i.kg)"
            f" FROM ledger l JOIN dim_items i ON i.id = l.item_id WHERE {DISTRIBUTED}"
            " AND l.occurred_at < $end GROUP BY ALL ORDER BY 1",
            {"end": end},
        ).fetchall()
    finally:
        con.execute("SET TimeZone = 'UTC'")
    per_day: dict[str, dict[date, float]] = defaultdict(dict)
    for day, category, kilograms in rows:
        per_day[category][day] = float(kilograms or 0) / 1000
    series: dict[str, list[float]] = {}
    for category, by_day in sorted(per_day.items()):
        before = sum(t for d, t in by_day.items() if d < period.first)
        running, points = before, []
        for day in period.each_day():
            running += by_day.get(day, 0.0)
            points.append(round(running, 3))
        if any(points):
            series[category] = points
    return series


def stock_levels(
    con: duckdb.DuckDBPyConnection, context: Context, period: Period, *, items: int = 5
) -> dict[int, list[int]]:
    """Closing stock (all places) at the end of each day, for the items given out most."""
    zone = ZoneInfo(context.timezone)
    _, end = period.bounds(zone)
    top = [
        row[0]
        for row in con.execute(
            f"SELECT item_id FROM ledger WHERE {DISTRIBUTED} AND occurred_at < $end"
            " GROUP BY 1 ORDER BY sum(-quantity) DESC, 1 LIMIT $n",
            {"end": end, "n": items},
        ).fetchall()
    ]
    if not top:
        return {}
    con.execute(f"SET TimeZone = '{zone.key}'")
    try:
        rows = con.execute(
            "SELECT item_id, CAST(occurred_at AS DATE), sum(quantity) FROM ledger"
            " WHERE occurred_at < $end AND list_contains($top, item_id) GROUP BY ALL",
            {"end": end, "top": top},
        ).fetchall()
    finally:
        con.execute("SET TimeZone = 'UTC'")
    changes: dict[int, dict[date, int]] = defaultdict(dict)
    for item, day, quantity in rows:
        changes[item][day] = int(quantity)
    series = {}
    for item in top:
        by_day = changes.get(item, {})
        running = sum(q for d, q in by_day.items() if d < period.first)
        points = []
        for day in period.each_day():
            running += by_day.get(day, 0)
            points.append(running)
        series[item] = points
    return series
