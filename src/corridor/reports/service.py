"""Situation reports: drafts, publication as frozen versions, revisions.

A draft is built from the data as it is now. Publishing freezes it: the
content (after disclosure control) and the PDF are stored and never change.
When data that arrives late (a phone that was offline) changes the figures of
a published period, the refresh job publishes the period again as a new
version marked revised; partners see both, and which one is current.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, timedelta
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from corridor.config import Settings
from corridor.db.types import utcnow
from corridor.errors import NotFound
from corridor.jobs.runner import JobContext, enqueue_once, handler, periodic
from corridor.operations.models import Operation, OperationStatus
from corridor.reports import analytics, pdf, sitrep
from corridor.reports.figures import Period
from corridor.reports.models import PublishedSitrep

log = logging.getLogger(__name__)

REFRESH_JOB = "reports.refresh"
# Sections whose change makes a revision (not the map or a corridor's next window,
# which move with time, not with late data).
FIGURE_SECTIONS = (
    "key_figures",
    "crossings",
    "aid",
    "consultations",
    "amnesty",
    "incidents",
    "hazards",
    "series",
)
REVISION_WINDOW_DAYS = 30


def _settings(session: Session) -> Settings:
    return session.info["settings"]


def threshold(session: Session) -> int:
    return _settings(session).report_suppression_threshold


def period(session: Session, first: date, last: date | None = None) -> Period:
    """The period from ``first`` to ``last``, refused when longer than configured."""
    return sitrep.parse_period(first, last, max_days=_settings(session).report_max_days)


def draft(
    session: Session, *, operation: Operation, period: Period, refresh: bool = True
) -> dict[str, Any]:
    """The report of ``period`` from the data as it is now (not stored)."""
    return sitrep.build(
        session,
        operation=operation,
        period=period,
        threshold=threshold(session),
        refresh=refresh,
    )


def file_stem(slug: str, first: date, last: date) -> str:
    """``sitrep-<slug>-<date>`` (``<first>_<last>`` for a period of several days)."""
    days = first.isoformat() if first == last else f"{first.isoformat()}_{last.isoformat()}"
    return f"sitrep-{slug}-{days}"


def figures_sha256(content: dict[str, Any]) -> str:
    figures = {k: content.get(k) for k in FIGURE_SECTIONS}
    return hashlib.sha256(orjson.dumps(figures, option=orjson.OPT_SORT_KEYS)).hexdigest()


def latest(
    session: Session, *, operation_id: int, first: date, last: date
) -> PublishedSitrep | None:
    return session.scalar(
        select(PublishedSitrep)
        .where(
            PublishedSitrep.operation_id == operation_id,
            PublishedSitrep.first_day == first,
            PublishedSitrep.last_day == last,
        )
        .order_by(PublishedSitrep.version.desc())
        .limit(1)
    )


def publish(
    session: Session,
    *,
    operation: Operation,
    period: Period,
    published_by_id: int | None,
    content: dict[str, Any] | None = None,
) -> tuple[PublishedSitrep, bool]:
    """Freeze the report of ``period``; (the version, whether it is new).

    Publishing figures identical to the current version returns that version.
    """
    content = content or draft(session, operation=operation, period=period)
    digest = figures_sha256(content)
    current = latest(session, operation_id=operation.id, first=period.first, last=period.last)
    if current is not None and current.content_sha256 == digest:
        return current, False
    version = current.version + 1 if current else 1
    content = {**content, "version": version, "revised": version > 1}
    row = PublishedSitrep(
        operation_id=operation.id,
        first_day=period.first,
        last_day=period.last,
        version=version,
        revises_id=current.id if current else None,
        threshold=content["threshold"],
        content=content,
        content_sha256=digest,
        pdf=pdf.sitrep_pdf(content, version=version),
        data_as_of=analytics.as_of(analytics.session_store_dir(session, operation.id)) or utcnow(),
        published_by_id=published_by_id,
    )
    session.add(row)
    session.flush()
    return row, True


def list_published(
    session: Session, *, operation_id: int, limit: int = 200
) -> list[PublishedSitrep]:
    return list(
        session.scalars(
            select(PublishedSitrep)
            .where(PublishedSitrep.operation_id == operation_id)
            .order_by(
                PublishedSitrep.last_day.desc(),
                PublishedSitrep.first_day.desc(),
                PublishedSitrep.version.desc(),
            )
            .limit(limit)
        )
    )


def get_published(session: Session, *, operation_id: int, sitrep_id: int) -> PublishedSitrep:
    row = session.get(PublishedSitrep, sitrep_id)
    if row is None or row.operation_id != operation_id:
        raise NotFound("no such published situation report")
    return row


def is_current(session: Session, row: PublishedSitrep) -> bool:
    newest = session.scalar(
        select(func.max(PublishedSitrep.version)).where(
            PublishedSitrep.operation_id == row.operation_id,
            PublishedSitrep.first_day == row.first_day,
            PublishedSitrep.last_day == row.last_day,
        )
    )
    return newest == row.version


def revise(session: Session, *, operation: Operation) -> list[PublishedSitrep]:
    """Publish again every recent period whose figures changed since it was published."""
    since = utcnow().date() - timedelta(days=REVISION_WINDOW_DAYS)
    newest = (
        select(
            PublishedSitrep.first_day,
            PublishedSitrep.last_day,
            func.max(PublishedSitrep.version).label("version"),
        )
        .where(PublishedSitrep.operation_id == operation.id, PublishedSitrep.last_day >= since)
        .group_by(PublishedSitrep.first_day, PublishedSitrep.last_day)
    )
    revised = []
    for first, last, _version in session.execute(newest).all():
        content = draft(session, operation=operation, period=Period(first, last), refresh=False)
        row, new = publish(
            session,
            operation=operation,
            period=Period(first, last),
            published_by_id=None,
            content=content,
        )
        if new:
            revised.append(row)
    return revised


def refresh_and_revise(session: Session, *, operation: Operation) -> dict[str, Any]:
    """Bring the analytics copy up to date, then revise published reports it changed."""
    result = analytics.refresh(session, operation_id=operation.id)
    revised = revise(session, operation=operation)
    return {
        "rows": result.rows,
        "seconds": round(result.seconds, 3),
        "revised": [
            {"id": r.id, "first_day": r.first_day.isoformat(), "version": r.version}
            for r in revised
        ],
    }


@handler(REFRESH_JOB)
def _refresh_job(ctx: JobContext) -> dict[str, Any]:
    operation = ctx.session.get(Operation, ctx.operation_id)
    if operation is None:
        raise NotFound("the operation is gone")
    return refresh_and_revise(ctx.session, operation=operation)


@periodic("reports.refresh", lambda settings: settings.analytics_refresh_seconds)
def _queue_refreshes(session: Session) -> None:
    """Queue a refresh of every active operation's analytics copy (one waits at most)."""
    for operation_id in session.scalars(
        select(Operation.id).where(
            Operation.status.in_([OperationStatus.ACTIVE, OperationStatus.CLOSING])
        )
    ):
        enqueue_once(session, kind=REFRESH_JOB, operation_id=operation_id)
