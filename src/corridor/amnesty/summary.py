"""Counts of the amnesty programme for every participant of the operation.

Intakes are visible only to the DDR officers of the organisation that runs the
desk; everyone else sees these counts, with small cells suppressed (a count
from 1 to ``SMALL_CELL - 1`` is withheld), because a count of one at a small
desk names a person as surely as a list would.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from corridor.amnesty import custody
from corridor.amnesty.models import Certificate, Intake, IntakeStatus, ItemCategory, RegistryItem

SMALL_CELL = 5


def suppressed(count: int) -> int | None:
    return None if 0 < count < SMALL_CELL else count


@dataclass(frozen=True)
class Summary:
    intakes: dict[str, int | None]
    items_by_category: dict[str, int | None]
    items_by_step: dict[str, int | None]
    certificates_issued: int | None
    certificates_revoked: int | None


def summary(session: Session, *, operation_id: int) -> Summary:
    by_status = dict.fromkeys((s.value for s in IntakeStatus), 0)
    for status, count in session.execute(
        select(Intake.status, func.count())
        .where(Intake.operation_id == operation_id, Intake.deleted_at.is_(None))
        .group_by(Intake.status)
    ):
        by_status[IntakeStatus(status).value] = count
    by_category = dict.fromkeys((c.value for c in ItemCategory), 0)
    for category, count in session.execute(
        select(RegistryItem.category, func.count())
        .where(RegistryItem.operation_id == operation_id)
        .group_by(RegistryItem.category)
    ):
        by_category[ItemCategory(category).value] = count
    by_step: dict[str, int] = {}
    for state in custody.states(session, operation_id=operation_id).values():
        by_step[state.step.value] = by_step.get(state.step.value, 0) + 1
    issued, revoked = session.execute(
        select(func.count(), func.count(Certificate.revoked_at)).where(
            Certificate.operation_id == operation_id
        )
    ).one()
    return Summary(
        intakes={k: suppressed(v) for k, v in by_status.items()},
        items_by_category={k: suppressed(v) for k, v in by_category.items()},
        items_by_step={k: suppressed(v) for k, v in by_step.items()},
        certificates_issued=suppressed(issued),
        certificates_revoked=suppressed(revoked),
    )
