"""The access log: every read or export of personal data is recorded.

The permission check calls :func:`record_access` whenever it allows an action
that reads personal data, so no route can read such data unrecorded.
"""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from corridor.audit.models import AccessLogEntry
from corridor.db.types import utcnow


def record_access(
    session: Session,
    *,
    user_id: int | None,
    operation_id: int | None,
    action: str,
    entity_type: str | None = None,
    entity_id: str | None = None,
    purpose: str | None = None,
) -> None:
    """Append one access-log entry in the caller's transaction."""
    session.connection().execute(
        insert(AccessLogEntry.__table__).values(
            at=utcnow(),
            user_id=user_id,
            operation_id=operation_id,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            purpose=purpose,
            request_id=session.info.get("request_id"),
        )
    )
