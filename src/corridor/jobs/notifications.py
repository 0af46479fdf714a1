"""In-app notifications (alerts) for users and organisations."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from corridor.db.types import utcnow
from corridor.jobs.models import Notification


def notify(
    session: Session,
    *,
    kind: str,
    title: str,
    body: str = "",
    severity: str = "info",
    operation_id: int | None = None,
    user_id: int | None = None,
    organisation_id: int | None = None,
) -> Notification:
    """Create a notification for one user or one organisation's users."""
    if user_id is None and organisation_id is None:
        raise ValueError("a notification needs a user or an organisation")
    note = Notification(
        kind=kind,
        title=title,
        body=body,
        severity=severity,
        operation_id=operation_id,
        user_id=user_id,
        organisation_id=organisation_id,
    )
    session.add(note)
    session.flush()
    return note


def for_user(
    session: Session, *, user_id: int, organisation_ids: list[int], unread_only: bool = False
) -> list[Notification]:
    """Notifications addressed to the user or to one of their organisations."""
    query = select(Notification).where(
        or_(Notification.user_id == user_id, Notification.organisation_id.in_(organisation_ids))
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.created_at.desc()).limit(200)))


def mark_read(session: Session, *, notification: Notification) -> None:
    notification.read_at = utcnow()
