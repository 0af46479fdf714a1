"""Submissions benchmark: realistic registrations from 8 field devices over OpenRosa.

    python bench/submissions.py [--database-url URL] [--smoke] [--json]

Corridor (``corridor serve``, device credentials, XML parsing, checks, the
encrypted submission, the registration and its members, the audit chain) is
measured against the baseline a developer would otherwise write: a plain
FastAPI + SQLAlchemy app that inserts the posted XML into one table. Both are
served by uvicorn in a child process and loaded by the same generator, in a
process of its own (8 concurrent devices, persistent connections). The
integrity figures (``lost``: acknowledged but not stored; ``duplicates``:
stored more than once) must be 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table, func, select

from corridor.accounts import service as accounts
from corridor.accounts.models import Role
from corridor.config import Settings
from corridor.crossings import devices, forms
from corridor.crossings.collect import build_instance
from corridor.crossings.field_clients import ServerProcess, free_port, run_devices
from corridor.crossings.models import Registration, Submission
from corridor.db.engine import make_engine
from corridor.db.migrate import upgrade
from corridor.db.session import Actor, unit_of_work
from corridor.db.types import utcnow
from corridor.operations import service as operations
from corridor.operations.models import Checkpoint
from corridor.runtime import build_runtime

DEVICES = 8
NAMES = [("أحمد", "Ahmad"), ("فاطمة", "Fatima"), ("خالد", "Khaled"), ("مريم", "Maryam")]

# The baseline: what one would write without Corridor ----------------------------------

_baseline_metadata = MetaData()
_baseline_table = Table(
    "baseline_submissions",
    _baseline_metadata,
    Column("id", Integer, primary_key=True),
    Column("instance_id", String(100), unique=True),
    Column("xml", LargeBinary),
    Column("received_at", DateTime(timezone=True)),
)


def baseline_app() -> Any:
    """A FastAPI + SQLAlchemy app that stores each posted instance in one table."""
    engine = make_engine(os.environ["BASELINE_DATABASE_URL"])
    _baseline_metadata.create_all(engine)
    app = FastAPI()

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/openrosa/baseline/submission")
    async def submission(request: Request) -> Response:
        form = await request.form()
        xml = await form["xml_submission_file"].read()  # type: ignore[union-attr]
        found = re.search(rb"<instanceID>([^<]+)</instanceID>", xml)
        with engine.begin() as conn:
            conn.execute(
                _baseline_table.insert().values(
                    instance_id=found.group(1).decode() if found else str(uuid.uuid4()),
                    xml=xml,
                    received_at=utcnow(),
                )
            )
        return Response(status_code=201)

    return app


# Setting up ---------------------------------------------------------------------------


def prepare(settings: Settings, per_device: int, seed: int) -> dict[str, Any]:
    """An operation, officers with device credentials, and the registrations to send."""
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    rng = random.Random(seed)
    slug = f"bench-{rng.randrange(10**9)}"
    with unit_of_work(runtime.factory, Actor(label="bench")) as session:
        org = accounts.create_organisation(session, name=f"Bench {slug}", type="ngo")
        operation = operations.create_operation(
            session, slug=slug, name="Benchmark", lead_organisation=org
        )
        checkpoint = Checkpoint(operation_id=operation.id, name="Gate", lon=1.5, lat=42.5)
        session.add(checkpoint)
        session.flush()
        forms.ensure_shipped_forms(session, operation_id=operation.id)
        xform = forms.current_version(
            session,
            form=forms.get_form(session, operation_id=operation.id, xml_form_id="registration"),
        ).xform
        credentials = []
        for index in range(DEVICES):
            officer = accounts.create_user(
                session,
                login=f"{slug}-officer-{index}",
                display_name=f"Officer {index}",
                password=f"bench-{uuid.uuid4().hex}",
                organisation=org,
                role=Role.FIELD_OFFICER,
            )
            secret, credential = devices.issue(
                session,
                operation_id=operation.id,
                user_id=officer.id,
                name=f"Phone {index}",
                created_by_id=None,
            )
            credentials.append((credential.username, secret))
        operation_id, checkpoint_id = operation.id, checkpoint.id
    runtime.dispose()
    plans = []
    for _device in range(DEVICES):
        plan = []
        for _item in range(per_device):
            members = []
            for position in range(rng.randint(1, 6)):
                name_ar, name_lat = rng.choice(NAMES)
                members.append(
                    {
                        "relationship": "head" if position == 0 else "son",
                        "given_name_ar": name_ar,
                        "father_name_ar": rng.choice(NAMES)[0],
                        "family_name_ar": "الحسن",
                        "given_name_lat": name_lat,
                        "family_name_lat": "Al-Hassan",
                        "sex": "male",
                        "dob_precision": "year",
                        "dob": f"{rng.randint(1950, 2020)}-01-01",
                        "wg_walking": str(rng.randint(1, 4)),
                    }
                )
            now = utcnow().isoformat()
            xml, instance_id = build_instance(
                xform,
                {
                    "checkpoint": str(checkpoint_id),
                    "start": now,
                    "end": now,
                    "deviceid": "bench",
                    "consent/explained": "purpose sharing rights",
                    "consent/given": "yes",
                    "destination_text": "Encamp",
                },
                {"member": members},
            )
            plan.append((instance_id, xml))
        plans.append(plan)
    return {
        "slug": slug,
        "operation_id": operation_id,
        "credentials": credentials,
        "plans": plans,
    }


def _drive(base_url: str, credentials: list[tuple[str, str]], plans: list[Any]) -> dict[str, Any]:
    """Runs in the load generator's own process."""
    started = time.perf_counter()
    outcomes = run_devices(base_url, credentials, plans, retry=False, timeout_s=600)
    elapsed = time.perf_counter() - started
    return {
        "elapsed": elapsed,
        "acknowledged": [o.instance_id for o in outcomes if o.acknowledged],
        "statuses": sorted({o.status for o in outcomes}),
        "latencies": [o.latency_ms for o in outcomes if o.acknowledged],
    }


def drive(base_url: str, credentials: list[tuple[str, str]], plans: list[Any]) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1) as pool:
        return pool.submit(_drive, base_url, credentials, plans).result()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        database_url = args.database_url or f"sqlite:///{data_dir / 'bench.sqlite3'}"
        settings = Settings(data_dir=data_dir, database_url=database_url, run_jobs=False)
        setup = prepare(settings, args.per_device, args.seed)
        env = dict(os.environ)
        env.update(
            {
                "CORRIDOR_DATABASE_URL": database_url,
                "CORRIDOR_DATA_DIR": str(data_dir),
                "CORRIDOR_LOG_LEVEL": "warning",
                "CORRIDOR_RUN_JOBS": "false",
            }
        )
        port = free_port()
        server = ServerProcess(
            [
                sys.executable,
                "-m",
                "corridor.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            env,
            port,
            data_dir / "serve.log",
        )
        server.start()
        try:
            ours = drive(
                f"{server.base_url}/openrosa/{setup['slug']}", setup["credentials"], setup["plans"]
            )
        finally:
            server.stop()
        runtime = build_runtime(settings)
        with unit_of_work(runtime.factory) as session:
            stored = set(
                session.scalars(
                    select(Submission.instance_id).where(
                        Submission.operation_id == setup["operation_id"]
                    )
                )
            )
            registrations = session.execute(
                select(Registration.instance_id, func.count())
                .where(Registration.operation_id == setup["operation_id"])
                .group_by(Registration.instance_id)
            ).all()
        runtime.dispose()
        lost = len(set(ours["acknowledged"]) - stored) + len(
            set(ours["acknowledged"]) - {instance for instance, _n in registrations}
        )
        duplicates = sum(n - 1 for _instance, n in registrations if n > 1)

        baseline_url = (
            args.database_url if args.database_url else f"sqlite:///{data_dir / 'baseline.sqlite3'}"
        )
        port = free_port()
        baseline = ServerProcess(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "--app-dir",
                str(Path(__file__).parent),
                "submissions:baseline_app",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            {**env, "BASELINE_DATABASE_URL": baseline_url},
            port,
            data_dir / "baseline.log",
        )
        baseline.start()
        try:
            theirs = drive(
                f"{baseline.base_url}/openrosa/baseline", setup["credentials"], setup["plans"]
            )
        finally:
            baseline.stop()
        if args.database_url:  # leave the shared database as it was
            engine = make_engine(baseline_url)
            _baseline_metadata.drop_all(engine)
            engine.dispose()
    sent = DEVICES * args.per_device
    return {
        "database": make_engine(database_url).dialect.name,
        "devices": DEVICES,
        "submissions": sent,
        "workers": args.workers,
        "acknowledged": len(ours["acknowledged"]),
        "statuses": ours["statuses"],
        "submissions_per_s": round(len(ours["acknowledged"]) / ours["elapsed"], 1),
        "p50_ms": round(statistics.median(ours["latencies"]), 2) if ours["latencies"] else None,
        "p99_ms": round(percentile(ours["latencies"], 0.99), 2),
        "baseline_submissions_per_s": round(len(theirs["acknowledged"]) / theirs["elapsed"], 1),
        "baseline_p50_ms": round(statistics.median(theirs["latencies"]), 2)
        if theirs["latencies"]
        else None,
        "lost": lost,
        "duplicates": duplicates,
    }


def table(result: dict[str, Any]) -> str:
    ratio = (
        result["submissions_per_s"] / result["baseline_submissions_per_s"]
        if result["baseline_submissions_per_s"]
        else 0
    )
    rows = [
        ("database / server workers", f"{result['database']} / {result['workers']}"),
        (
            "submissions (8 devices)",
            f"{result['acknowledged']:,} acknowledged of {result['submissions']:,}",
        ),
        (
            "Corridor",
            f"{result['submissions_per_s']} /s, p50 {result['p50_ms']} ms, "
            f"p99 {result['p99_ms']} ms",
        ),
        (
            "baseline (FastAPI + SQLAlchemy insert)",
            f"{result['baseline_submissions_per_s']} /s, p50 {result['baseline_p50_ms']} ms",
        ),
        ("Corridor / baseline", f"{ratio:.2f}×"),
        ("lost / duplicates", f"{result['lost']} / {result['duplicates']}"),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--per-device", type=int, default=250)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server worker processes (default: 1 on SQLite, which has one writer; 2 otherwise)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="small run for CI")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.workers is None:
        args.workers = 2 if args.database_url and not args.database_url.startswith("sqlite") else 1
    if args.smoke:
        args.per_device = 15
    result = run(args)
    print(json.dumps(result) if args.json else table(result))
    failures = []
    if result["lost"] or result["duplicates"]:
        failures.append(f"{result['lost']} lost, {result['duplicates']} duplicates")
    if result["acknowledged"] != result["submissions"]:
        failures.append(f"only {result['acknowledged']} of {result['submissions']} acknowledged")
    if failures:
        print("error: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
