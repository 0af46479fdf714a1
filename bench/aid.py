"""Aid benchmark: distributions at one aid point under contention, and a balance read.

    python bench/aid.py [--database-url URL] [--smoke] [--json]

Distributions: 8 officers (a load generator in its own process, persistent
connections, API tokens) hand out one blanket at a time at the same aid point
through ``corridor serve``: the ledger's movement and line, the distribution,
the conditional balance update and the audit records in each. The stock is
smaller than what is asked for, so that the last units are fought over.

The baseline is what one would write without a ledger: a FastAPI +
SQLAlchemy app that reads the balance through the ORM, checks it, writes it
back lowered, and inserts the distribution (read-modify-write without
locking). Both start from the same stock and get the same requests in the
same run. ``baseline_oversold`` counts the units it gave beyond its stock
(the balance it should show, below zero); ``negative_balances`` and
``ledger_mismatches`` are Corridor's and must be 0.

Balance read: the stock overview of a place with 100,000 movements on the
ledger (``corridor.aid.ledger.stock``), against summing the ledger's lines
for that place, which is what a ledger without kept balances would do.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Body, FastAPI, Response
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import Session

from corridor.accounts import service as accounts
from corridor.accounts.models import Role
from corridor.aid import catalogue, ledger, places, stock
from corridor.aid.models import (
    Balance,
    Batch,
    Distribution,
    Movement,
    MovementKind,
    MovementLine,
    PlaceKind,
    PlaceStatus,
)
from corridor.config import Settings
from corridor.crossings.field_clients import ServerProcess, free_port
from corridor.db.engine import make_engine
from corridor.db.migrate import upgrade
from corridor.db.session import Actor, unit_of_work
from corridor.db.types import utcnow
from corridor.operations import service as operations
from corridor.runtime import build_runtime

OFFICERS = 8

# The baseline: read-modify-write through the ORM, no locking ------------------------

_baseline_metadata = MetaData()
_stock_table = Table(
    "baseline_stock",
    _baseline_metadata,
    Column("id", Integer, primary_key=True),
    Column("quantity", Integer),
)
_given_table = Table(
    "baseline_distributions",
    _baseline_metadata,
    Column("id", String(36), primary_key=True),
    Column("quantity", Integer),
)


class _Stock:
    pass


def baseline_app() -> Any:
    """What one would write without a ledger: check the balance, lower it, record.

    SQLAlchemy's own engine with its defaults (no ``BEGIN IMMEDIATE``, no row
    lock), and a synchronous route, so requests run side by side in the pool.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.orm import registry

    engine = create_engine(os.environ["BASELINE_DATABASE_URL"])
    mapper = registry()
    mapper.map_imperatively(_Stock, _stock_table)
    app = FastAPI()

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/distributions")
    def distribute(body: Annotated[dict[str, Any], Body()]) -> Response:
        wanted = int(body["quantity"])
        with Session(engine) as session:
            row = session.get(_Stock, 1)
            if row is None or row.quantity < wanted:  # type: ignore[attr-defined]
                return Response(status_code=409)
            row.quantity = row.quantity - wanted  # type: ignore[attr-defined]
            session.execute(insert(_given_table).values(id=body["id"], quantity=wanted))
            session.commit()
        return Response(status_code=201)

    return app


# Setting up ---------------------------------------------------------------------------


def prepare(settings: Settings, stock_units: int) -> dict[str, Any]:
    """An operation with an open aid point holding ``stock_units`` blankets, 8 officers."""
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    slug = f"aid-bench-{uuid.uuid4().hex[:8]}"
    with unit_of_work(runtime.factory, Actor(label="bench")) as session:
        org = accounts.create_organisation(session, name=f"Bench {slug}", type="ngo")
        operation = operations.create_operation(
            session, slug=slug, name="Aid benchmark", lead_organisation=org
        )
        point = places.create_place(
            session,
            operation_id=operation.id,
            organisation_id=org.id,
            kind=PlaceKind.AID_POINT,
            name="Aid point",
            lon=1.5,
            lat=42.5,
            status=PlaceStatus.OPEN,
        )
        blankets = catalogue.item_by_code(session, operation_id=operation.id, code="BLANKET")
        stock.receive(
            session,
            place=point,
            entries=[stock.Entry(blankets.id, stock_units)],
            recorded_by_id=None,
        )
        tokens = []
        for index in range(OFFICERS):
            officer = accounts.create_user(
                session,
                login=f"{slug}-officer-{index}",
                display_name=f"Officer {index}",
                password=f"bench-{uuid.uuid4().hex}",
                organisation=org,
                role=Role.FIELD_OFFICER,
            )
            tokens.append(accounts.create_token(session, user=officer, name="bench")[0])
        ids = {
            "operation_id": operation.id,
            "organisation_id": org.id,
            "place_id": point.id,
            "item_id": blankets.id,
        }
    runtime.dispose()
    return {"slug": slug, "tokens": tokens, **ids}


def _officer(
    base_url: str, path: str, token: str, bodies: list[bytes], results: list[tuple[int, float]]
) -> None:
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for body in bodies:
        started = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        results.append((answer.status, (time.perf_counter() - started) * 1000))
    conn.close()


def _drive(base_url: str, path: str, tokens: list[str], plans: list[list[bytes]]) -> dict[str, Any]:
    """Runs in the load generator's own process: 8 officers at once."""
    results: list[list[tuple[int, float]]] = [[] for _ in tokens]
    threads = [
        threading.Thread(target=_officer, args=(base_url, path, token, plan, out))
        for token, plan, out in zip(tokens, plans, results, strict=True)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    flat = [r for out in results for r in out]
    return {
        "elapsed": elapsed,
        "statuses": sorted({status for status, _ in flat}),
        "given": sum(1 for status, _ in flat if status == 201),
        "refused": sum(1 for status, _ in flat if status == 409),
        "failed": sum(1 for status, _ in flat if status not in (201, 409)),
        "latencies": [ms for status, ms in flat if status in (201, 409)],
    }


def drive(base_url: str, path: str, tokens: list[str], plans: list[list[bytes]]) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1) as pool:
        return pool.submit(_drive, base_url, path, tokens, plans).result()


def _plans(setup: dict[str, Any], per_officer: int) -> list[list[bytes]]:
    return [
        [
            json.dumps(
                {
                    "id": str(uuid.uuid4()),
                    "place_id": setup["place_id"],
                    "recipient": {"kind": "anonymous", "people_count": 1},
                    "items": [{"item_id": setup["item_id"], "quantity": 1}],
                    # the baseline reads these two
                    "quantity": 1,
                }
            ).encode()
            for _ in range(per_officer)
        ]
        for _ in range(OFFICERS)
    ]


def _server(command: list[str], env: dict[str, str], log: Path) -> ServerProcess:
    port = free_port()
    return ServerProcess([*command, "--port", str(port)], env, port, log)


# The balance read ---------------------------------------------------------------------


def fill_ledger(settings: Settings, setup: dict[str, Any], movements: int) -> int:
    """Add ``movements`` receipts and distributions of one unit at a warehouse (Core inserts:
    what is measured is the read). Returns the warehouse's id."""
    runtime = build_runtime(settings)
    with unit_of_work(runtime.factory, Actor(label="bench")) as session:
        warehouse = places.create_place(
            session,
            operation_id=setup["operation_id"],
            organisation_id=setup["organisation_id"],
            kind=PlaceKind.WAREHOUSE,
            name="Warehouse",
            lon=1.5,
            lat=42.5,
            status=PlaceStatus.OPEN,
        )
        batch_ids = [
            session.scalar(
                select(Batch.id).where(Batch.item_id == setup["item_id"], Batch.code == "-")
            )
        ]
        items = catalogue.list_items(session, operation_id=setup["operation_id"])
        for item in items[:20]:  # twenty items held, as at a real warehouse
            batch_ids.append(
                catalogue.batch_for(session, item, code="B-1", expires_on=None, field="b").id
            )
        item_of = dict(session.execute(select(Batch.id, Batch.item_id)).all())
        place_id = warehouse.id
    now = utcnow()
    totals: dict[int, int] = {}
    with runtime.engine.begin() as conn:
        first = (conn.scalar(select(func.max(Movement.id))) or 0) + 1
        rows, lines = [], []
        for index in range(movements):
            batch = batch_ids[index % len(batch_ids)]
            quantity = 1 if index % 3 else -1 if totals.get(batch, 0) > 0 else 1
            totals[batch] = totals.get(batch, 0) + quantity
            kind = MovementKind.RECEIPT if quantity > 0 else MovementKind.DISTRIBUTION
            rows.append(
                {
                    "id": first + index,
                    "operation_id": setup["operation_id"],
                    "kind": kind,
                    "place_id": place_id,
                    "occurred_at": now,
                    "recorded_at": now,
                    "reference": "",
                    "counterpart": "",
                    "reason": "",
                }
            )
            lines.append(
                {
                    "operation_id": setup["operation_id"],
                    "movement_id": first + index,
                    "place_id": place_id,
                    "item_id": item_of[batch],
                    "batch_id": batch,
                    "quantity": quantity,
                }
            )
        conn.execute(insert(Movement.__table__), rows)
        conn.execute(insert(MovementLine.__table__), lines)
        conn.execute(
            insert(Balance.__table__),
            [
                {
                    "operation_id": setup["operation_id"],
                    "place_id": place_id,
                    "item_id": item_of[batch],
                    "batch_id": batch,
                    "quantity": total,
                }
                for batch, total in totals.items()
            ],
        )
    runtime.dispose()
    return place_id


def time_reads(settings: Settings, place_id: int, rounds: int = 21) -> dict[str, float]:
    runtime = build_runtime(settings)
    ours, summed = [], []
    with unit_of_work(runtime.factory) as session:
        for _ in range(rounds):
            started = time.perf_counter()
            held = ledger.stock(session, place_id=place_id)
            ledger.alerts(session, place_id=place_id, held=held)
            ours.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            session.execute(
                select(MovementLine.batch_id, func.sum(MovementLine.quantity))
                .where(MovementLine.place_id == place_id)
                .group_by(MovementLine.batch_id)
            ).all()
            summed.append((time.perf_counter() - started) * 1000)
    runtime.dispose()
    return {"ours": statistics.median(ours), "summed": statistics.median(summed)}


# Running ------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        database_url = args.database_url or f"sqlite:///{data_dir / 'bench.sqlite3'}"
        settings = Settings(data_dir=data_dir, database_url=database_url, run_jobs=False)
        attempts = OFFICERS * args.per_officer
        stock_units = attempts - attempts // 10  # the last tenth is refused
        setup = prepare(settings, stock_units)
        plans = _plans(setup, args.per_officer)
        env = dict(os.environ)
        env.update(
            {
                "CORRIDOR_DATABASE_URL": database_url,
                "CORRIDOR_DATA_DIR": str(data_dir),
                "CORRIDOR_LOG_LEVEL": "warning",
                "CORRIDOR_RUN_JOBS": "false",
            }
        )
        server = _server(
            [sys.executable, "-m", "corridor.cli", "serve", "--workers", str(args.workers)],
            env,
            data_dir / "serve.log",
        )
        server.start()
        try:
            path = f"/api/v1/operations/{setup['slug']}/aid/distributions"
            ours = drive(server.base_url, path, setup["tokens"], plans)
        finally:
            server.stop()

        runtime = build_runtime(settings)
        with unit_of_work(runtime.factory) as session:
            stored = session.scalar(
                select(func.count())
                .select_from(Distribution)
                .where(Distribution.operation_id == setup["operation_id"])
            )
            negative = session.scalar(
                select(func.count()).select_from(Balance).where(Balance.quantity < 0)
            )
            mismatches = len(ledger.mismatches(session, operation_id=setup["operation_id"]))
            left = session.scalar(
                select(func.sum(Balance.quantity)).where(Balance.place_id == setup["place_id"])
            )
        runtime.dispose()

        baseline_url = args.database_url or f"sqlite:///{data_dir / 'baseline.sqlite3'}"
        engine = make_engine(baseline_url)
        _baseline_metadata.drop_all(engine)
        _baseline_metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(insert(_stock_table).values(id=1, quantity=stock_units))
        baseline = _server(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "--app-dir",
                str(Path(__file__).parent),
                "aid:baseline_app",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            {**env, "BASELINE_DATABASE_URL": baseline_url},
            data_dir / "baseline.log",
        )
        baseline.start()
        try:
            theirs = drive(baseline.base_url, "/distributions", setup["tokens"], plans)
        finally:
            baseline.stop()
        with engine.begin() as conn:
            given_by_baseline = conn.scalar(select(func.sum(_given_table.c.quantity))) or 0
        if args.database_url:
            _baseline_metadata.drop_all(engine)
        engine.dispose()

        place_id = fill_ledger(settings, setup, args.movements)
        reads = time_reads(settings, place_id)

    return {
        "database": make_engine(database_url).dialect.name,
        "officers": OFFICERS,
        "workers": args.workers,
        "attempts": attempts,
        "stock": stock_units,
        "given": ours["given"],
        "refused": ours["refused"],
        "failed": ours["failed"],
        "stored": stored,
        "distributions_per_s": round((ours["given"] + ours["refused"]) / ours["elapsed"], 1),
        "p50_ms": round(statistics.median(ours["latencies"]), 2) if ours["latencies"] else None,
        "baseline_distributions_per_s": round(
            (theirs["given"] + theirs["refused"]) / theirs["elapsed"], 1
        ),
        "baseline_given": theirs["given"],
        "baseline_failed": theirs["failed"],
        "baseline_oversold": max(0, given_by_baseline - stock_units),
        "negative_balances": int(negative or 0) + (1 if (left or 0) < 0 else 0),
        "ledger_mismatches": mismatches,
        "lost": max(0, ours["given"] - (stored or 0)),
        "movements_at_place": args.movements,
        "balance_query_ms": round(reads["ours"], 3),
        "ledger_sum_ms": round(reads["summed"], 3),
    }


def table(result: dict[str, Any]) -> str:
    ratio = (
        result["distributions_per_s"] / result["baseline_distributions_per_s"]
        if result["baseline_distributions_per_s"]
        else 0
    )
    rows = [
        ("database / server workers", f"{result['database']} / {result['workers']}"),
        (
            "attempts (8 officers) / stock",
            f"{result['attempts']:,} / {result['stock']:,}",
        ),
        (
            "Corridor",
            f"{result['distributions_per_s']} /s, p50 {result['p50_ms']} ms, "
            f"{result['given']:,} given, {result['refused']:,} refused (409), "
            f"{result['failed']} failed",
        ),
        (
            "baseline (ORM read-modify-write)",
            f"{result['baseline_distributions_per_s']} /s, {result['baseline_given']:,} given, "
            f"{result['baseline_oversold']} units oversold, {result['baseline_failed']} failed",
        ),
        ("Corridor / baseline", f"{ratio:.2f}×"),
        (
            "negative balances / ledger mismatches / lost",
            f"{result['negative_balances']} / {result['ledger_mismatches']} / {result['lost']}",
        ),
        (
            f"stock read, {result['movements_at_place']:,} movements",
            f"{result['balance_query_ms']} ms (summing the ledger: {result['ledger_sum_ms']} ms)",
        ),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--per-officer", type=int, default=250)
    parser.add_argument("--movements", type=int, default=100_000)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server worker processes (default: 1 on SQLite, which has one writer; 2 otherwise)",
    )
    parser.add_argument("--smoke", action="store_true", help="small run for CI")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.workers is None:
        args.workers = 2 if args.database_url and not args.database_url.startswith("sqlite") else 1
    if args.smoke:
        args.per_officer, args.movements = 20, 5_000
    result = run(args)
    print(json.dumps(result) if args.json else table(result))
    failures = []
    if result["negative_balances"] or result["ledger_mismatches"] or result["lost"]:
        failures.append(
            f"{result['negative_balances']} negative balances, "
            f"{result['ledger_mismatches']} ledger mismatches, {result['lost']} lost"
        )
    if result["failed"] or result["given"] != result["stock"]:
        failures.append(f"{result['given']} given of {result['stock']}, {result['failed']} failed")
    if failures:
        print("error: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
