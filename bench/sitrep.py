"""Situation report benchmark: one day's report over a large operation.

    python bench/sitrep.py [--database-url URL] [--smoke] [--json]

An operation with 10 million crossing records (headcounts) and 1 million
distributions (each a ledger movement, its line and the distribution) over 60
days, written straight into the tables. Measured:

- ``refresh_s``: bringing the analytics copy (Parquet, ``corridor.reports.analytics``)
  up to date after one more day of new records (the first, full copy is
  ``initial_copy_s``);
- ``day_s``: the data of one day's report from the copy with DuckDB
  (``corridor.reports.sitrep.build``: the day and the day before, disclosure
  control, 14 days of crossings per corridor, cumulative tonnes, stock levels,
  corridor changes, incidents, map layers);
- ``pdf_s``: that report as an A4 PDF with WeasyPrint;
- ``baseline_day_s``: the same aggregation as one would write it with SQLAlchemy
  queries summed in Python (the figures of the day and the day before, the
  14-day series per corridor, the cumulative tonnes and stock series).

``mismatches`` compares every count of the two (crossing cells, tonnes per
aid point and category, people reached, the daily series): it must be 0.
Targets: ``day_s`` ≤ 2 s, ``pdf_s`` ≤ 30 s.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session, aliased

from corridor.accounts import service as accounts
from corridor.aid import catalogue, places, stock
from corridor.aid.models import (
    Batch,
    Distribution,
    Item,
    Movement,
    MovementKind,
    MovementLine,
    PlaceKind,
    PlaceStatus,
)
from corridor.config import Settings
from corridor.crossings.models import COUNT_FIELDS, Headcount
from corridor.db.migrate import upgrade
from corridor.db.session import Actor, unit_of_work
from corridor.operations import service as operations
from corridor.operations.models import Checkpoint, Corridor, CorridorStatus, Operation
from corridor.reports import analytics, figures, pdf, sitrep
from corridor.reports.context import load as load_context
from corridor.reports.figures import BANDS, Period
from corridor.runtime import Runtime, build_runtime

ZONE = "Asia/Damascus"  # UTC+3 all year
DAYS = 60
CORRIDORS = 4
CHECKPOINTS_PER_CORRIDOR = 2
AID_POINTS = 3
ITEM_CODES = ("FOOD-PARCEL", "BLANKET", "WATER-1.5L", "HYGIENE-KIT", "HEB")
CHUNK = 200_000


# Building the operation --------------------------------------------------------------


def prepare(runtime: Runtime) -> dict[str, Any]:
    upgrade(runtime.engine)
    slug = f"sitrep-bench-{uuid.uuid4().hex[:8]}"
    with unit_of_work(runtime.factory, Actor(label="bench")) as session:
        org = accounts.create_organisation(session, name=f"Bench {slug}", type="ngo", acronym="BEN")
        operation = operations.create_operation(
            session, slug=slug, name="Sitrep benchmark", lead_organisation=org, timezone=ZONE
        )
        checkpoint_ids = []
        for c in range(CORRIDORS):
            lon = 36.0 + 0.05 * c
            corridor = Corridor(
                operation_id=operation.id,
                name=f"Corridor {c + 1}",
                profile="foot",
                origin=[lon, 33.4],
                destination=[lon, 33.6],
                route={"type": "LineString", "coordinates": [[lon, 33.4], [lon, 33.6]]},
                distance_m=20_000.0,
                duration_s=15_000.0,
                status=CorridorStatus.OPEN,
                windows=[],
            )
            session.add(corridor)
            session.flush()
            for k in range(CHECKPOINTS_PER_CORRIDOR):
                checkpoint = Checkpoint(
                    operation_id=operation.id,
                    corridor_id=corridor.id,
                    name=f"Corridor {c + 1} gate {k + 1}",
                    position=k,
                    lon=lon,
                    lat=33.45 + 0.1 * k,
                )
                session.add(checkpoint)
                session.flush()
                checkpoint_ids.append(checkpoint.id)
        points = []
        for p in range(AID_POINTS):
            points.append(
                places.create_place(
                    session,
                    operation_id=operation.id,
                    organisation_id=org.id,
                    kind=PlaceKind.AID_POINT,
                    name=f"Aid point {p + 1}",
                    lon=36.02 + 0.05 * p,
                    lat=33.5,
                    status=PlaceStatus.OPEN,
                    services=["food"],
                )
            )
        items = [
            catalogue.item_by_code(session, operation_id=operation.id, code=code)
            for code in ITEM_CODES
        ]
        started = datetime.now(UTC) - timedelta(days=DAYS + 2)
        for point in points:
            stock.receive(
                session,
                place=point,
                entries=[
                    stock.Entry(item.id, 10_000_000, batch="B-1" if item.batch_tracked else None)
                    for item in items
                ],
                recorded_by_id=None,
                occurred_at=started,
            )
        batches = {
            b.item_id: b.id
            for b in session.scalars(select(Batch).where(Batch.operation_id == operation.id))
        }
        return {
            "slug": slug,
            "operation_id": operation.id,
            "organisation_id": org.id,
            "checkpoints": checkpoint_ids,
            "points": [p.id for p in points],
            "items": [(i.id, batches[i.id]) for i in items],
        }


def _stamp(moments: np.ndarray) -> list[datetime]:
    return [datetime.fromtimestamp(float(m), UTC) for m in moments]


class Writer:
    """Rows straight into the tables: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, runtime: Runtime) -> None:
        self.engine = runtime.engine
        self.postgres = runtime.engine.dialect.name == "postgresql"

    def value(self, v: Any) -> Any:
        if isinstance(v, uuid.UUID):
            return v if self.postgres else v.hex
        if isinstance(v, datetime):
            return v if self.postgres else v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(v, bool) and not self.postgres:
            return int(v)
        return v

    def write(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        with self.engine.begin() as conn:
            raw = conn.connection.driver_connection
            if self.postgres:
                with (
                    raw.cursor() as cursor,
                    cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor = raw.cursor()
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    [tuple(self.value(v) for v in row) for row in rows],
                )

    def next_id(self, table: str) -> int:
        with self.engine.begin() as conn:
            return (conn.execute(text(f"SELECT max(id) FROM {table}")).scalar() or 0) + 1

    def fix_sequences(self) -> None:
        if not self.postgres:
            return
        with self.engine.begin() as conn:
            for table in ("aid_movements", "aid_movement_lines"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
                )


def write_days(
    writer: Writer,
    setup: dict[str, Any],
    first: date,
    days: int,
    crossings: int,
    distributions: int,
    rng: np.random.Generator,
    *,
    arrived_now: bool,
) -> None:
    """``crossings`` headcounts and ``distributions`` distributions spread over ``days``;
    written when they happened, or (``arrived_now``) just now, like a day's new records."""
    zone = ZoneInfo(ZONE)
    start = datetime.combine(first, datetime.min.time(), zone).timestamp()
    span = days * 86_400
    now = datetime.now(UTC)
    op, org = setup["operation_id"], setup["organisation_id"]
    head_columns = [
        "id", "operation_id", "checkpoint_id", "organisation_id", "slot_start", "slot_minutes",
        "direction", "means", *COUNT_FIELDS, "unaccompanied_children", "injured", "disabled",
        "pregnant", "device_id", "form_version", "recorded_at", "received_at", "updated_at",
        "version",
    ]  # fmt: skip
    for offset in range(0, crossings, CHUNK):
        n = min(CHUNK, crossings - offset)
        slots = start + np.floor(rng.random(n) * span / 3600) * 3600
        counts = rng.integers(0, 6, size=(n, len(COUNT_FIELDS)))
        flags = rng.integers(0, 2, size=(n, 2))
        gates = rng.choice(setup["checkpoints"], size=n)
        directions = np.where(rng.random(n) < 0.75, "outbound", "inbound")
        moments = _stamp(slots)
        rows = [
            (
                uuid.uuid4(),
                op,
                int(gates[i]),
                org,
                moments[i],
                60,
                str(directions[i]),
                "foot",
                *map(int, counts[i]),
                int(flags[i, 0]),
                int(flags[i, 1]),
                0,
                0,
                "bench",
                "1",
                moments[i],
                now if arrived_now else moments[i],
                now if arrived_now else moments[i],
                1,
            )
            for i in range(n)
        ]
        writer.write("headcounts", head_columns, rows)
    movement_id = writer.next_id("aid_movements")
    line_id = writer.next_id("aid_movement_lines")
    for offset in range(0, distributions, CHUNK):
        n = min(CHUNK, distributions - offset)
        moments = _stamp(start + rng.random(n) * span)
        points = rng.choice(setup["points"], size=n)
        picks = rng.integers(0, len(setup["items"]), size=n)
        quantities = rng.integers(1, 4, size=n)
        people = rng.integers(1, 8, size=n)
        movements, lines, given = [], [], []
        for i in range(n):
            item, batch = setup["items"][int(picks[i])]
            movements.append(
                (
                    movement_id,
                    op,
                    "distribution",
                    int(points[i]),
                    moments[i],
                    now if arrived_now else moments[i],
                    "",
                    "",
                    "",
                )
            )
            lines.append(
                (line_id, op, movement_id, int(points[i]), item, batch, -int(quantities[i]))
            )
            given.append(
                (
                    uuid.uuid4(),
                    1,
                    moments[i],
                    now if arrived_now else moments[i],
                    "aid_distribution",
                    "vital_interest",
                    op,
                    org,
                    int(points[i]),
                    "anonymous",
                    int(people[i]),
                    moments[i],
                    movement_id,
                    "0" * 64,
                    "[]",
                    False,
                    "",
                    "",
                )
            )
            movement_id += 1
            line_id += 1
        writer.write(
            "aid_movements",
            ["id", "operation_id", "kind", "place_id", "occurred_at", "recorded_at", "reference",
             "counterpart", "reason"],
            movements,
        )  # fmt: skip
        writer.write(
            "aid_movement_lines",
            ["id", "operation_id", "movement_id", "place_id", "item_id", "batch_id", "quantity"],
            lines,
        )
        writer.write(
            "aid_distributions",
            ["id", "version", "created_at", "updated_at", "purpose", "lawful_basis",
             "operation_id", "organisation_id", "place_id", "recipient_kind", "people_count",
             "distributed_at", "movement_id", "content_sha256", "flags", "flagged",
             "recipient_reference", "review_note"],
            given,
        )  # fmt: skip
    writer.fix_sequences()


# The baseline: SQLAlchemy queries, summed in Python ------------------------------------


def baseline_day(session: Session, operation: Operation, period: Period) -> dict[str, Any]:
    zone = ZoneInfo(operation.timezone)
    corridor_of = dict(
        session.execute(
            select(Checkpoint.id, Checkpoint.corridor_id).where(
                Checkpoint.operation_id == operation.id
            )
        ).all()
    )
    weight = {
        i.id: (i.category.value, i.unit_weight_kg)
        for i in session.scalars(select(Item).where(Item.operation_id == operation.id))
    }

    def crossings(p: Period) -> dict[tuple, int]:
        start, end = p.bounds(zone)
        cells: dict[tuple, int] = defaultdict(int)
        rows = session.execute(
            select(
                Headcount.checkpoint_id,
                Headcount.direction,
                *(getattr(Headcount, b) for b in BANDS),
            ).where(
                Headcount.operation_id == operation.id,
                Headcount.slot_start >= start,
                Headcount.slot_start < end,
            )
        )
        for checkpoint, direction, *counts in rows:
            corridor = corridor_of.get(checkpoint)
            for band, value in zip(BANDS, counts, strict=True):
                cells[(corridor, direction.value, band)] += value
        return dict(cells)

    def aid(p: Period) -> tuple[dict, dict]:
        start, end = p.bounds(zone)
        reversed_kind = aliased(Movement)
        tonnes: dict[tuple, float] = defaultdict(float)
        for place, item, quantity, _kind, _reversed in session.execute(
            select(
                MovementLine.place_id,
                MovementLine.item_id,
                MovementLine.quantity,
                Movement.kind,
                reversed_kind.kind,
            )
            .join(Movement, Movement.id == MovementLine.movement_id)
            .outerjoin(reversed_kind, reversed_kind.id == Movement.reverses_id)
            .where(
                Movement.operation_id == operation.id,
                Movement.occurred_at >= start,
                Movement.occurred_at < end,
                (Movement.kind == MovementKind.DISTRIBUTION)
                | (
                    (Movement.kind == MovementKind.REVERSAL)
                    & (reversed_kind.kind == MovementKind.DISTRIBUTION)
                ),
            )
        ):
            category, kg = weight[item]
            tonnes[(place, category)] += -quantity * kg / 1000
        reached: dict[int, int] = defaultdict(int)
        for place, people in session.execute(
            select(Distribution.place_id, Distribution.people_count).where(
                Distribution.operation_id == operation.id,
                Distribution.deleted_at.is_(None),
                Distribution.distributed_at >= start,
                Distribution.distributed_at < end,
            )
        ):
            reached[place] += people
        return dict(tonnes), dict(reached)

    today, before = crossings(period), crossings(period.previous())
    tonnes, reached = aid(period)
    aid(period.previous())
    window = sitrep.chart_period(period)
    series: dict[tuple, int] = defaultdict(int)
    for day in window.each_day():
        for (corridor, _d, _b), value in crossings(Period(day, day)).items():
            series[(day, corridor)] += value
    # Cumulative tonnes and stock levels: every ledger line up to the end, in Python.
    _, end = window.bounds(zone)
    cumulative: dict[tuple, float] = defaultdict(float)
    levels: dict[tuple, int] = defaultdict(int)
    for occurred, item, quantity, kind in session.execute(
        select(Movement.occurred_at, MovementLine.item_id, MovementLine.quantity, Movement.kind)
        .join(Movement, Movement.id == MovementLine.movement_id)
        .where(Movement.operation_id == operation.id, Movement.occurred_at < end)
    ):
        day = occurred.astimezone(zone).date()
        levels[(item, day)] += quantity
        if kind == MovementKind.DISTRIBUTION:
            cumulative[(weight[item][0], day)] += -quantity * weight[item][1] / 1000
    return {
        "crossings": today,
        "before": before,
        "tonnes": tonnes,
        "reached": reached,
        "series": dict(series),
    }


def mismatches(ours: dict[str, Any], theirs: dict[str, Any]) -> int:
    """Counts that differ between DuckDB's figures and the baseline's."""
    wrong = 0
    for (c, d, b), value in theirs["crossings"].items():
        wrong += ours["figures"].values.get(("x", c, d, b), 0) != value
    total = sum(theirs["crossings"].values())
    wrong += ours["figures"].values[("x", "*", "*", "*")] != total
    for key, tonnes in theirs["tonnes"].items():
        wrong += abs(ours["figures"].tonnes.get(key, 0.0) - tonnes) > 0.002
    for place, people in theirs["reached"].items():
        wrong += ours["figures"].values.get(("reach", place), 0) != people
    for (day, corridor), value in theirs["series"].items():
        wrong += ours["series"][day].values.get(("x", corridor, "*", "*"), 0) != value
    return wrong


# Running ------------------------------------------------------------------------------


def _cleanup(runtime: Runtime, operation_id: int) -> None:
    """Remove the benchmark's rows from a database that outlives the run.

    Foreign keys that point at movements without an index (a reversal's, a
    discrepancy's) make a plain delete of a million movements scan the tables
    once per row; the delete runs with the triggers that check them off, which
    needs a superuser. Otherwise the rows stay, and the run says so.
    """
    try:
        with runtime.engine.begin() as conn:
            if runtime.engine.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in (
                "aid_distributions",
                "aid_movement_lines",
                "aid_balances",
                "aid_movements",
                "headcounts",
            ):
                conn.execute(
                    text(f"DELETE FROM {table} WHERE operation_id = :o"), {"o": operation_id}
                )
            conn.execute(text("DELETE FROM operations WHERE id = :o"), {"o": operation_id})
    except Exception as error:  # noqa: BLE001  (a leftover is not a failed measurement)
        print(
            f"note: the benchmark's operation {operation_id} stays in the database: {error}",
            file=sys.stderr,
        )


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = np.random.default_rng(2026)
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        database_url = args.database_url or f"sqlite:///{data_dir / 'bench.sqlite3'}"
        runtime = build_runtime(
            Settings(data_dir=data_dir, database_url=database_url, run_jobs=False)
        )
        setup = prepare(runtime)
        writer = Writer(runtime)
        today = datetime.now(ZoneInfo(ZONE)).date()
        first = today - timedelta(days=DAYS)
        per_day_crossings = args.crossings // DAYS
        per_day_distributions = args.distributions // DAYS
        began = time.perf_counter()
        write_days(
            writer, setup, first, DAYS - 1, per_day_crossings * (DAYS - 1),
            per_day_distributions * (DAYS - 1), rng, arrived_now=False,
        )  # fmt: skip
        loaded_s = time.perf_counter() - began
        try:
            with unit_of_work(runtime.factory, Actor(label="bench")) as session:
                began = time.perf_counter()
                analytics.refresh(session, operation_id=setup["operation_id"])
                initial_copy_s = time.perf_counter() - began
            # One more day of records arrives (yesterday's), then the copy catches up.
            write_days(
                writer, setup, today - timedelta(days=1), 1, per_day_crossings,
                per_day_distributions, rng, arrived_now=True,
            )  # fmt: skip
            with unit_of_work(runtime.factory, Actor(label="bench")) as session:
                began = time.perf_counter()
                refreshed = analytics.refresh(session, operation_id=setup["operation_id"])
                refresh_s = time.perf_counter() - began
            day = today - timedelta(days=1)
            period = Period(day, day)
            with unit_of_work(runtime.factory, Actor(label="bench")) as session:
                operation = session.get_one(Operation, setup["operation_id"])
                timings = []
                for _ in range(args.repeat):
                    began = time.perf_counter()
                    content = sitrep.build(
                        session, operation=operation, period=period, threshold=5, refresh=False
                    )
                    timings.append(time.perf_counter() - began)
                day_s = min(timings)
                began = time.perf_counter()
                document = pdf.sitrep_pdf(content)
                pdf_s = time.perf_counter() - began
                baseline_timings = []
                for _ in range(args.repeat):
                    began = time.perf_counter()
                    theirs = baseline_day(session, operation, period)
                    baseline_timings.append(time.perf_counter() - began)
                baseline_day_s = min(baseline_timings)
                # The raw figures (before disclosure control) to compare, count by count.
                context = load_context(session, operation)
                con = analytics.open_views(analytics.session_store_dir(session, operation.id))
                context.register(con)
                ours = {
                    "figures": figures.measure(con, context, period),
                    "series": figures.daily_crossings(con, context, sitrep.chart_period(period)),
                }
                con.close()
                wrong = mismatches(ours, theirs)
        finally:
            if args.database_url:
                _cleanup(runtime, setup["operation_id"])
            runtime.dispose()
    return {
        "database": runtime.engine.dialect.name,
        "crossings": per_day_crossings * DAYS,
        "distributions": per_day_distributions * DAYS,
        "days": DAYS,
        "load_s": round(loaded_s, 1),
        "initial_copy_s": round(initial_copy_s, 2),
        "refresh_s": round(refresh_s, 3),
        "refresh_rows": sum(refreshed.rows.values()),
        "day_s": round(day_s, 3),
        "baseline_day_s": round(baseline_day_s, 3),
        "pdf_s": round(pdf_s, 2),
        "pdf_bytes": len(document),
        "mismatches": wrong,
    }


def table(result: dict[str, Any]) -> str:
    ratio = result["baseline_day_s"] / result["day_s"] if result["day_s"] else 0.0
    rows = [
        ("database", result["database"]),
        (
            "operation",
            f"{result['crossings']:,} crossing records, {result['distributions']:,} "
            f"distributions over {result['days']} days (written in {result['load_s']} s)",
        ),
        ("analytics copy, first (full)", f"{result['initial_copy_s']} s"),
        (
            "analytics copy, after a day of new records",
            f"{result['refresh_s']} s ({result['refresh_rows']:,} rows)",
        ),
        ("one day's report data, DuckDB (day_s)", f"{result['day_s']} s (target ≤ 2 s)"),
        ("the same with SQLAlchemy in Python", f"{result['baseline_day_s']} s"),
        ("baseline / Corridor", f"{ratio:.1f}×"),
        ("PDF (pdf_s)", f"{result['pdf_s']} s, {result['pdf_bytes']:,} bytes (target ≤ 30 s)"),
        ("mismatches", str(result["mismatches"])),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--crossings", type=int, default=10_000_000)
    parser.add_argument("--distributions", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many timings")
    parser.add_argument("--smoke", action="store_true", help="small run for CI")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.smoke:
        args.crossings, args.distributions, args.repeat = 60_000, 6_000, 1
    result = run(args)
    print(json.dumps(result) if args.json else table(result))
    if result["mismatches"]:
        print(f"error: {result['mismatches']} figures differ from the baseline", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
