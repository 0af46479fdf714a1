"""The job runner each server worker starts, with its periodic duties."""

from __future__ import annotations

import logging
from collections.abc import Callable

from corridor.audit.chain import checkpoint_stale_heads
from corridor.db.session import SYSTEM, unit_of_work
from corridor.jobs.runner import PERIODIC, JobRunner, Periodic
from corridor.runtime import Runtime

log = logging.getLogger(__name__)


def _in_unit_of_work(runtime: Runtime, duty: Periodic) -> Callable[[], None]:
    def run() -> None:
        with unit_of_work(runtime.factory, SYSTEM) as session:
            duty.run(session)

    return run


def start_runner(runtime: Runtime) -> JobRunner:
    """Start this worker's job thread; it also signs a daily audit checkpoint and
    runs the duties capabilities registered (``corridor.jobs.runner.periodic``)."""

    def daily_checkpoints() -> None:
        with runtime.engine.begin() as conn:
            checkpoint_stale_heads(conn, runtime.signer)

    duties: list[tuple[float, Callable[[], None]]] = [(3600.0, daily_checkpoints)]
    for duty in PERIODIC.values():
        duties.append((float(duty.seconds(runtime.settings)), _in_unit_of_work(runtime, duty)))
    runner = JobRunner(runtime.factory, periodic=duties)
    runner.start()
    return runner
