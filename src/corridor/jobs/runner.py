"""A job runner with leases, safe with several server workers.

A worker claims one job at a time by leasing it: ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL (workers never wait on each other's candidate rows), and on SQLite
the ``BEGIN IMMEDIATE`` transaction serialises claims. A job whose worker died
is claimed again when its lease expires; a failing job is retried with
back-off up to ``max_attempts``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from corridor.db.session import SYSTEM, unit_of_work
from corridor.db.types import utcnow
from corridor.errors import CorridorError, NotFound
from corridor.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)


@dataclass
class JobContext:
    """What a handler gets: its own session, the job's payload, a progress reporter."""

    session: Session
    job_id: int
    operation_id: int | None
    payload: dict[str, Any]
    report: Callable[[float, str], None] = field(repr=False)

    def progress(self, fraction: float, message: str = "") -> None:
        """Record progress and renew the lease. This commits the work done so
        far: handlers work in idempotent chunks and report between them."""
        self.report(fraction, message)


Handler = Callable[[JobContext], dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind``."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


@dataclass(frozen=True)
class Periodic:
    """A duty each server worker's runner does every ``seconds(settings)``, in its
    own unit of work (capabilities register theirs; the foundation imports none)."""

    name: str
    seconds: Callable[[Any], float]
    run: Callable[[Session], None]


PERIODIC: dict[str, Periodic] = {}


def periodic(name: str, seconds: Callable[[Any], float]) -> Callable[[Callable], Callable]:
    """Register ``fn(session)`` to run every ``seconds(settings)`` in each server worker."""

    def register(fn: Callable[[Session], None]) -> Callable[[Session], None]:
        PERIODIC[name] = Periodic(name, seconds, fn)
        return fn

    return register


def enqueue_once(
    session: Session, *, kind: str, operation_id: int | None, payload: dict[str, Any] | None = None
) -> Job | None:
    """Queue a job unless one of the same kind waits for the same operation already."""
    waiting = session.scalar(
        select(Job.id)
        .where(
            Job.kind == kind,
            Job.operation_id == operation_id,
            Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
        )
        .limit(1)
    )
    if waiting is not None:
        return None
    return enqueue(session, kind=kind, payload=payload, operation_id=operation_id)


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any] | None = None,
    operation_id: int | None = None,
    requested_by_id: int | None = None,
    max_attempts: int = 3,
) -> Job:
    """Queue a job in the caller's transaction (it runs only if that commits)."""
    if kind not in HANDLERS:
        raise NotFound(f"no job handler named {kind!r}")
    job = Job(
        kind=kind,
        payload=payload or {},
        operation_id=operation_id,
        requested_by_id=requested_by_id,
        max_attempts=max_attempts,
        run_after=utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def claim(factory: sessionmaker[Session], worker: str) -> int | None:
    """Lease the next runnable job to ``worker``; its id, or None when idle."""
    with unit_of_work(factory, SYSTEM) as session:
        now = utcnow()
        runnable = or_(
            and_(Job.status == JobStatus.QUEUED, Job.run_after <= now),
            and_(Job.status == JobStatus.RUNNING, Job.lease_expires_at < now),
        )
        job_id = session.scalars(
            select(Job.id)
            .where(runnable)
            .order_by(Job.run_after, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if job_id is None:
            return None
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status=JobStatus.RUNNING,
                lease_owner=worker,
                lease_expires_at=now + LEASE,
                attempts=Job.attempts + 1,
                started_at=now,
            )
        )
        return job_id


def _report(session: Session, job_id: int, worker: str) -> Callable[[float, str], None]:
    def report(fraction: float, message: str) -> None:
        # Written and committed through the handler's own session: on SQLite a
        # second transaction would wait for the handler's write lock.
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.lease_owner == worker)
            .values(
                progress=max(0.0, min(1.0, fraction)),
                progress_message=message[:200],
                lease_expires_at=utcnow() + LEASE,
            )
        )
        session.commit()

    return report


def run_job(factory: sessionmaker[Session], job_id: int, worker: str) -> JobStatus:
    """Run a claimed job and record its outcome."""
    with unit_of_work(factory, SYSTEM) as session:
        job = session.get(Job, job_id)
        assert job is not None
        kind, payload, operation_id = job.kind, dict(job.payload or {}), job.operation_id
        attempts, max_attempts = job.attempts, job.max_attempts
    fn = HANDLERS.get(kind)
    try:
        if fn is None:
            raise NotFound(f"no job handler named {kind!r}")
        with unit_of_work(factory, SYSTEM) as session:
            result = fn(
                JobContext(session, job_id, operation_id, payload, _report(session, job_id, worker))
            )
    except Exception as exc:
        # Our own errors carry no personal data; others are named by type only.
        message = str(exc) if isinstance(exc, CorridorError) else type(exc).__name__
        log.warning("job %s (%s) failed: %s", job_id, kind, message)
        log.debug("job failure", exc_info=True)
        retry = attempts < max_attempts
        with unit_of_work(factory, SYSTEM) as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(
                    status=JobStatus.QUEUED if retry else JobStatus.FAILED,
                    error=message[:2000],
                    run_after=utcnow() + timedelta(seconds=2**attempts),
                    lease_owner=None,
                    lease_expires_at=None,
                    finished_at=None if retry else utcnow(),
                )
            )
        return JobStatus.QUEUED if retry else JobStatus.FAILED
    with unit_of_work(factory, SYSTEM) as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status=JobStatus.SUCCEEDED,
                result=result or {},
                progress=1.0,
                lease_owner=None,
                lease_expires_at=None,
                finished_at=utcnow(),
                error=None,
            )
        )
    return JobStatus.SUCCEEDED


def run_pending(factory: sessionmaker[Session], *, limit: int = 100) -> int:
    """Run runnable jobs until none is left (or ``limit``); how many ran."""
    worker = worker_name()
    ran = 0
    while ran < limit:
        job_id = claim(factory, worker)
        if job_id is None:
            break
        run_job(factory, job_id, worker)
        ran += 1
    return ran


class JobRunner(threading.Thread):
    """The background thread each server worker runs."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        poll_seconds: float = 1.0,
        periodic: list[tuple[float, Callable[[], None]]] | None = None,
    ) -> None:
        super().__init__(name="corridor-jobs", daemon=True)
        self._factory = factory
        self._poll = poll_seconds
        self._stop_event = threading.Event()
        self._periodic = [[interval, 0.0, fn] for interval, fn in (periodic or [])]

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        import time

        while not self._stop_event.is_set():
            try:
                for entry in self._periodic:
                    interval, last, fn = entry
                    if time.monotonic() - last >= interval:
                        entry[1] = time.monotonic()
                        fn()
                run_pending(self._factory, limit=10)
            except Exception:
                log.exception("job runner loop failed")
            self._stop_event.wait(self._poll)
