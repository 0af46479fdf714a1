"""The JSON sync of headcounts: batches from the web checkpoint screen, safe to resend.

Each record carries an id made by the client and, for an edit, the version it
was based on. Records are applied one by one, each all-or-nothing (a savepoint),
and each gets its own answer: created, updated, duplicate (already stored as
sent: nothing changes), conflict (the server holds something else; nothing
changes) or invalid (with the fields and problems; nothing changes).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from corridor.crossings.models import COUNT_FIELDS, FLAG_FIELDS, Direction, Headcount, Means
from corridor.db.types import utcnow
from corridor.errors import CorridorError, FieldProblem, InvalidInput
from corridor.operations.models import Checkpoint

MAX_COUNT = 100_000
CONTENT_FIELDS = (
    "checkpoint_id",
    "slot_start",
    "slot_minutes",
    "direction",
    "means",
    *COUNT_FIELDS,
    *FLAG_FIELDS,
)


@dataclass(frozen=True)
class SyncResult:
    id: str
    status: str
    version: int | None = None
    conflict_id: str | None = None
    errors: list[FieldProblem] = field(default_factory=list)


class InvalidRecord(CorridorError):
    status = 422

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems), problems=problems)


def _time(raw: Any, name: str, problems: list[FieldProblem]) -> datetime | None:
    if raw is None:
        problems.append(FieldProblem(name, "is required"))
        return None
    try:
        value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        problems.append(FieldProblem(name, "must be an ISO 8601 time"))
        return None
    if value.tzinfo is None:
        problems.append(FieldProblem(name, "needs a UTC offset"))
        return None
    if value > utcnow() + timedelta(minutes=10):
        problems.append(FieldProblem(name, "is in the future"))
    return value


def _count(raw: Any, name: str, problems: list[FieldProblem]) -> int:
    if raw is None:
        return 0
    if isinstance(raw, bool) or not isinstance(raw, int):
        problems.append(FieldProblem(name, "must be a whole number"))
        return 0
    if not 0 <= raw <= MAX_COUNT:
        problems.append(FieldProblem(name, f"must be between 0 and {MAX_COUNT:,}"))
    return raw


def checked_content(session: Session, operation_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    """Checked record content, or ``InvalidRecord`` naming every problem."""
    problems: list[FieldProblem] = []
    content: dict[str, Any] = {}
    checkpoint_id = raw.get("checkpoint_id")
    checkpoint = (
        session.get(Checkpoint, checkpoint_id)
        if isinstance(checkpoint_id, int) and 0 < checkpoint_id < 2**31
        else None
    )
    if checkpoint is None or checkpoint.operation_id != operation_id:
        problems.append(FieldProblem("checkpoint_id", "is not a checkpoint of this operation"))
    content["checkpoint_id"] = checkpoint_id
    content["slot_start"] = _time(raw.get("slot_start"), "slot_start", problems)
    minutes = raw.get("slot_minutes", 60)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 1440:
        problems.append(FieldProblem("slot_minutes", "must be between 1 and 1440"))
    content["slot_minutes"] = minutes
    for name, enum_type in (("direction", Direction), ("means", Means)):
        try:
            content[name] = enum_type(raw.get(name))
        except ValueError:
            choices = ", ".join(m.value for m in enum_type)
            problems.append(FieldProblem(name, f"must be one of {choices}"))
    for name in (*COUNT_FIELDS, *FLAG_FIELDS):
        content[name] = _count(raw.get(name), name, problems)
    total = sum(content[name] for name in COUNT_FIELDS)
    children = sum(content[n] for n in COUNT_FIELDS if n.endswith(("0_4", "5_17")))
    if total == 0 and not problems:
        problems.append(FieldProblem("counts", "at least one person must be counted"))
    for name in ("injured", "disabled", "pregnant"):
        if content[name] > total:
            problems.append(FieldProblem(name, "cannot exceed the people counted"))
    if content["unaccompanied_children"] > children:
        problems.append(
            FieldProblem("unaccompanied_children", "cannot exceed the children counted")
        )
    if content["pregnant"] > sum(content[n] for n in COUNT_FIELDS if n.startswith("female")):
        problems.append(FieldProblem("pregnant", "cannot exceed the women and girls counted"))
    if problems:
        raise InvalidRecord(problems)
    return content


def _same(record: Headcount, content: dict[str, Any]) -> bool:
    return all(getattr(record, name) == content[name] for name in CONTENT_FIELDS)


def _apply(
    session: Session,
    *,
    operation_id: int,
    organisation_id: int,
    officer_id: int | None,
    raw: dict[str, Any],
    record_id: uuid.UUID,
) -> SyncResult:
    content = checked_content(session, operation_id, raw)
    base_version = raw.get("base_version")
    if base_version is not None and (
        isinstance(base_version, bool) or not isinstance(base_version, int)
    ):
        raise InvalidRecord([FieldProblem("base_version", "must be a whole number")])
    existing = session.get(Headcount, record_id)
    recorded_at = None
    if raw.get("recorded_at") is not None:
        problems: list[FieldProblem] = []
        recorded_at = _time(raw.get("recorded_at"), "recorded_at", problems)
        if problems:
            raise InvalidRecord(problems)
    if existing is None:
        if base_version is not None:
            raise InvalidRecord([FieldProblem("base_version", "there is no such record to edit")])
        session.add(
            Headcount(
                id=record_id,
                operation_id=operation_id,
                organisation_id=organisation_id,
                officer_id=officer_id,
                device_id=str(raw.get("device_id", ""))[:100],
                form_version=str(raw.get("form_version", ""))[:50],
                recorded_at=recorded_at or content["slot_start"],
                version=1,
                **content,
            )
        )
        session.flush()
        return SyncResult(str(record_id), "created", 1)
    if existing.operation_id != operation_id or existing.organisation_id != organisation_id:
        # Never say whose it is: ids are random, a clash means a faulty client.
        raise InvalidRecord([FieldProblem("id", "is already used by another record")])
    if _same(existing, content):
        return SyncResult(str(record_id), "duplicate", existing.version)
    if base_version is None or base_version != existing.version:
        return SyncResult(
            str(record_id), "conflict", existing.version, conflict_id=str(existing.id)
        )
    for name, value in content.items():
        setattr(existing, name, value)
    existing.version += 1
    existing.officer_id = officer_id
    session.flush()
    return SyncResult(str(record_id), "updated", existing.version)


def sync_headcounts(
    session: Session,
    *,
    operation_id: int,
    organisation_id: int,
    officer_id: int | None,
    records: list[dict[str, Any]],
) -> list[SyncResult]:
    """Apply a batch; every record answered on its own, each all-or-nothing."""
    if len(records) > 1000:
        raise InvalidInput("records", "send at most 1,000 records at a time")
    results = []
    for index, raw in enumerate(records):
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        try:
            record_id = uuid.UUID(str(raw_id))
        except ValueError:
            results.append(
                SyncResult(
                    str(raw_id or f"#{index}"),
                    "invalid",
                    errors=[FieldProblem("id", "must be a UUID made by the client")],
                )
            )
            continue
        result: SyncResult | None = None
        for attempt in range(2):
            try:
                with session.begin_nested():
                    result = _apply(
                        session,
                        operation_id=operation_id,
                        organisation_id=organisation_id,
                        officer_id=officer_id,
                        raw=raw,
                        record_id=record_id,
                    )
                break
            except InvalidRecord as exc:
                result = SyncResult(str(record_id), "invalid", errors=exc.problems)
                break
            except IntegrityError:
                # Another device's batch stored the same id a moment ago (PostgreSQL
                # lets both insert and refuses the second): answer against that one.
                session.expire_all()
                if attempt:
                    raise
        assert result is not None
        results.append(result)
    return results


@dataclass(frozen=True)
class Totals:
    records: int
    people: int
    by_direction: dict[str, int]
    by_band: dict[str, int]
    flags: dict[str, int]


def totals(
    session: Session,
    *,
    operation_id: int,
    checkpoint_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Totals:
    """Sums over the operation's headcounts (anonymous: anyone in the operation sees them)."""
    query = select(Headcount).where(Headcount.operation_id == operation_id)
    if checkpoint_id is not None:
        query = query.where(Headcount.checkpoint_id == checkpoint_id)
    if since is not None:
        query = query.where(Headcount.slot_start >= since)
    if until is not None:
        query = query.where(Headcount.slot_start < until)
    rows = list(session.scalars(query))
    by_direction = {d.value: 0 for d in Direction}
    by_band = {name: 0 for name in COUNT_FIELDS}
    flags = {name: 0 for name in FLAG_FIELDS}
    for row in rows:
        by_direction[row.direction.value] += row.total
        for name in COUNT_FIELDS:
            by_band[name] += getattr(row, name)
        for name in FLAG_FIELDS:
            flags[name] += getattr(row, name)
    return Totals(
        records=len(rows),
        people=sum(by_direction.values()),
        by_direction=by_direction,
        by_band=by_band,
        flags=flags,
    )
