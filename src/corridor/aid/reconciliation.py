"""Reconciling distributions captured offline: what did not add up, and who looked at it.

A distribution list sent from a phone is stored whatever it says
(``corridor.aid.offline``); what did not add up is flagged on it. A
coordinator of the organisation running the point reviews each flagged
distribution, with a note; that is also how a distribution beyond an
entitlement is confirmed (the reviewer is recorded as the one who decided).
A stock shortfall stays open until the next stock count at the point.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.aid.models import (
    Distribution,
    Movement,
    MovementKind,
    Place,
    ReconciliationFlag,
)
from corridor.db.types import utcnow
from corridor.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class Flagged:
    distribution: Distribution
    place_name: str
    shortfall_settled_by: Movement | None  # the stock count after it, once there is one

    @property
    def given(self) -> dict[int, int]:
        """Item id → quantity handed out (its movement's lines, sign turned)."""
        totals: dict[int, int] = {}
        for line in self.distribution.movement.lines:
            totals[line.item_id] = totals.get(line.item_id, 0) - line.quantity
        return totals

    @property
    def shortfall_open(self) -> bool:
        return (
            self.distribution.discrepancy_movement_id is not None
            and self.shortfall_settled_by is None
        )


def flagged(
    session: Session,
    *,
    operation_id: int,
    organisation_ids: frozenset[int] | None = None,
    include_reviewed: bool = False,
    distribution_id: uuid.UUID | None = None,
    limit: int = 500,
) -> list[Flagged]:
    """Flagged distributions captured offline, newest first (of ``organisation_ids``' points,
    or all); reviewed ones too with ``include_reviewed``."""
    statement = (
        select(Distribution, Place.name)
        .join(Place, Place.id == Distribution.place_id)
        .where(
            Distribution.operation_id == operation_id,
            Distribution.flagged.is_(True),
            Distribution.deleted_at.is_(None),
        )
        .order_by(Distribution.distributed_at.desc(), Distribution.id)
        .limit(limit)
    )
    if organisation_ids is not None:
        statement = statement.where(Place.organisation_id.in_(organisation_ids))
    if not include_reviewed:
        statement = statement.where(Distribution.reviewed_at.is_(None))
    if distribution_id is not None:
        statement = statement.where(Distribution.id == distribution_id)
    rows = [(d, name) for d, name in session.execute(statement)]
    counts = _next_counts(session, [d for d, _name in rows])
    return [Flagged(d, name, counts.get(d.id)) for d, name in rows]


def _next_counts(session: Session, found: list[Distribution]) -> dict[uuid.UUID, Movement]:
    """For each distribution with a shortfall, the first stock count at its point after it."""
    with_shortfall = [d for d in found if d.discrepancy_movement_id is not None]
    if not with_shortfall:
        return {}
    place_ids = {d.place_id for d in with_shortfall}
    counts = list(
        session.scalars(
            select(Movement)
            .where(
                Movement.place_id.in_(place_ids),
                Movement.kind == MovementKind.COUNT_ADJUSTMENT,
                Movement.id > min(d.discrepancy_movement_id or 0 for d in with_shortfall),
            )
            .order_by(Movement.id)
        )
    )
    settled = {}
    for distribution in with_shortfall:
        settled_by = next(
            (
                count
                for count in counts
                if count.place_id == distribution.place_id
                and count.id > (distribution.discrepancy_movement_id or 0)
            ),
            None,
        )
        if settled_by is not None:
            settled[distribution.id] = settled_by
    return settled


def review(
    session: Session,
    *,
    operation_id: int,
    distribution_id: uuid.UUID,
    user_id: int,
    note: str,
) -> Distribution:
    """Mark a flagged distribution reviewed; beyond an entitlement, the reviewer decided."""
    distribution = session.get(Distribution, distribution_id)
    if distribution is None or distribution.operation_id != operation_id:
        raise NotFound("no such distribution in this operation")
    if not distribution.flagged:
        raise Conflict("this distribution has nothing to reconcile")
    if distribution.reviewed_at is not None:
        raise Conflict("this distribution has already been reviewed")
    note = " ".join((note or "").split())
    if not note:
        raise InvalidInput("note", "is required: say what was found")
    if len(note) > 2000:
        raise InvalidInput("note", "must be at most 2,000 characters")
    distribution.reviewed_by_id = user_id
    distribution.reviewed_at = utcnow()
    distribution.review_note = note
    if any(f.get("code") == ReconciliationFlag.ENTITLEMENT_EXCEEDED for f in distribution.flags):
        distribution.overridden_by_id = user_id
        distribution.override_reason = distribution.override_reason or note
    session.flush()
    return distribution


def open_count(session: Session, *, operation_id: int) -> int:
    """How many flagged distributions wait for a review (for the overview)."""
    return len(flagged(session, operation_id=operation_id))
