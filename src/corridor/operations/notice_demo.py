"""The demo's deconfliction: two convoys planned, a notice issued, one party's
acknowledgement recorded (the other's still awaited, so the dashboard warns)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.db.types import utcnow
from corridor.operations import corridors, notices
from corridor.operations.models import Operation, PlannedMovement


def load(session: Session, operation_id: int) -> None:
    if session.scalar(
        select(PlannedMovement.id).where(PlannedMovement.operation_id == operation_id).limit(1)
    ):
        return
    operation = session.get_one(Operation, operation_id)
    open_corridors = [
        c
        for c in corridors.list_corridors(session, operation_id=operation_id)
        if c.status.value == "open"
    ]
    if not open_corridors:
        return
    start = (utcnow() + timedelta(days=1)).replace(hour=7, minute=0, second=0, microsecond=0)
    for index, corridor in enumerate(open_corridors[:2]):
        notices.create_movement(
            session,
            operation_id=operation_id,
            created_by_id=None,
            reference=f"CONVOY-{index + 1:02d}",
            corridor_id=corridor.id,
            departs_at=start + timedelta(hours=2 * index),
            arrives_at=start + timedelta(hours=2 * index + 3),
            vehicles=6 - 2 * index,
            vehicle_kind="truck" if index == 0 else "bus",
            organisations=[operation.lead_organisation_id],
        )
    parties = list(dict.fromkeys(p for c in open_corridors for p in c.parties or []))
    notice = notices.issue(
        session,
        operation=operation,
        expires_at=start + timedelta(days=2),
        parties=parties or ["Corridor Coordination Cell (demo)"],
        issued_by_id=None,
    )
    notices.acknowledge(
        session,
        notice=notice,
        party=notice.parties[0],
        channel="liaison_officer",
        acknowledged_at=utcnow(),
        recorded_by_id=None,
    )
