"""The job runner each server worker starts, with its periodic duties."""

from __future__ import annotations

from corridor.audit.chain import checkpoint_stale_heads
from corridor.jobs.runner import JobRunner
from corridor.runtime import Runtime


def start_runner(runtime: Runtime) -> JobRunner:
    """Start this worker's job thread; it also signs a daily audit checkpoint."""

    def daily_checkpoints() -> None:
        with runtime.engine.begin() as conn:
            checkpoint_stale_heads(conn, runtime.signer)

    runner = JobRunner(runtime.factory, periodic=[(3600.0, daily_checkpoints)])
    runner.start()
    return runner
