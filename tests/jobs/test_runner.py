"""The job runner: leases, retries, progress, several workers."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from corridor.db.session import unit_of_work
from corridor.db.types import utcnow
from corridor.jobs import notifications, runner
from corridor.jobs.models import Job, JobStatus
from corridor.runtime import Runtime
from tests.factories import Factory

CALLS: list[tuple[str, Any]] = []
_lock = threading.Lock()


@runner.handler("test.echo")
def _echo(ctx: runner.JobContext) -> dict[str, Any]:
    with _lock:
        CALLS.append(("echo", ctx.payload["n"]))
    return {"n": ctx.payload["n"]}


@runner.handler("test.flaky")
def _flaky(ctx: runner.JobContext) -> dict[str, Any]:
    job = ctx.session.get(Job, ctx.job_id)
    assert job is not None
    if job.attempts < 2:
        raise RuntimeError("transient failure with no personal data")
    return {"ok": True}


@runner.handler("test.always_fails")
def _always_fails(ctx: runner.JobContext) -> None:
    raise RuntimeError("permanent")


@runner.handler("test.progress")
def _progress(ctx: runner.JobContext) -> dict[str, Any]:
    for step in range(4):
        ctx.progress(step / 4, f"step {step}")
    return {"steps": 4}


def _enqueue(
    runtime: Runtime, kind: str, payload: dict[str, Any] | None = None, **kwargs: Any
) -> int:
    with unit_of_work(runtime.factory) as session:
        return runner.enqueue(session, kind=kind, payload=payload, **kwargs).id


def _job(runtime: Runtime, job_id: int) -> Job:
    with unit_of_work(runtime.factory) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def test_a_job_runs_once_and_records_its_result(runtime: Runtime) -> None:
    job_id = _enqueue(runtime, "test.echo", {"n": 7})
    assert runner.run_pending(runtime.factory) == 1
    job = _job(runtime, job_id)
    assert job.status == JobStatus.SUCCEEDED and job.result == {"n": 7} and job.progress == 1.0
    assert runner.run_pending(runtime.factory) == 0


def test_failures_are_retried_with_backoff_then_give_up(runtime: Runtime) -> None:
    flaky = _enqueue(runtime, "test.flaky")
    doomed = _enqueue(runtime, "test.always_fails", max_attempts=2)
    for _ in range(4):
        runner.run_pending(runtime.factory)
        with unit_of_work(runtime.factory) as session:  # skip the back-off wait
            session.execute(
                update(Job)
                .where(Job.status == JobStatus.QUEUED)
                .values(run_after=utcnow() - timedelta(seconds=1))
            )
    assert _job(runtime, flaky).status == JobStatus.SUCCEEDED
    assert _job(runtime, flaky).attempts == 2
    failed = _job(runtime, doomed)
    assert failed.status == JobStatus.FAILED and failed.attempts == 2
    assert failed.error == "RuntimeError"  # type only: messages may hold personal data


def test_an_expired_lease_is_claimed_again(runtime: Runtime) -> None:
    job_id = _enqueue(runtime, "test.echo", {"n": 1})
    assert runner.claim(runtime.factory, "worker-that-dies") == job_id
    assert runner.claim(runtime.factory, "other") is None
    with unit_of_work(runtime.factory) as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert runner.claim(runtime.factory, "other") == job_id


def test_progress_is_visible_and_committed(runtime: Runtime) -> None:
    job_id = _enqueue(runtime, "test.progress")
    runner.run_pending(runtime.factory)
    job = _job(runtime, job_id)
    assert job.status == JobStatus.SUCCEEDED and job.result == {"steps": 4}


def test_several_workers_never_run_a_job_twice(runtime: Runtime) -> None:
    CALLS.clear()
    ids = [_enqueue(runtime, "test.echo", {"n": n}) for n in range(30)]
    threads = [
        threading.Thread(target=runner.run_pending, args=(runtime.factory,)) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(n for _, n in CALLS) == list(range(30))
    with unit_of_work(runtime.factory) as session:
        statuses = set(session.scalars(select(Job.status).where(Job.id.in_(ids))))
    assert statuses == {JobStatus.SUCCEEDED}


def test_the_background_runner_thread_picks_up_jobs(runtime: Runtime) -> None:
    job_id = _enqueue(runtime, "test.echo", {"n": 99})
    thread = runner.JobRunner(runtime.factory, poll_seconds=0.05)
    thread.start()
    try:
        for _ in range(100):
            if _job(runtime, job_id).status == JobStatus.SUCCEEDED:
                break
            threading.Event().wait(0.05)
    finally:
        thread.stop()
        thread.join(timeout=5)
    assert _job(runtime, job_id).status == JobStatus.SUCCEEDED


def test_notifications_for_users_and_organisations(runtime: Runtime, factory: Factory) -> None:
    org = factory.organisation()
    user = factory.user(org)
    with unit_of_work(runtime.factory) as session:
        notifications.notify(session, kind="stock.low", title="Stock low", organisation_id=org.id)
        notifications.notify(session, kind="export.ready", title="Export ready", user_id=user.id)
    with unit_of_work(runtime.factory) as session:
        notes = notifications.for_user(session, user_id=user.id, organisation_ids=[org.id])
        assert {n.kind for n in notes} == {"stock.low", "export.ready"}
        notifications.mark_read(session, notification=notes[0])
    with unit_of_work(runtime.factory) as session:
        unread = notifications.for_user(
            session, user_id=user.id, organisation_ids=[org.id], unread_only=True
        )
        assert len(unread) == 1
