"""Destruction in batches: items stored at one depot are destroyed together, on
one record (method, place, time, officer, witness, observers), and each gets
its last custody step, ``destroyed``, pointing at that record.

All or nothing: if one item is not stored at the depot (moved, destroyed,
never stored), the batch is refused naming it and nothing is recorded.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from corridor.aid.checks import past_moment
from corridor.amnesty import custody
from corridor.amnesty.models import (
    CustodyEvent,
    CustodyStep,
    Depot,
    DestructionBatch,
    DestructionMethod,
    RegistryItem,
)
from corridor.db.types import utcnow
from corridor.errors import Conflict, InvalidInput, NotFound


def destroy(
    session: Session,
    *,
    depot: Depot,
    item_ids: list[int],
    method: DestructionMethod,
    officer_id: int,
    witness_id: int,
    operation_orgs: frozenset[int],
    destroyed_at: datetime | None = None,
    place_name: str = "",
    observers: str = "",
    note: str = "",
) -> DestructionBatch:
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        raise InvalidInput("item_ids", "name at least one item")
    custody.check_witness(
        session, officer_id=officer_id, witness_id=witness_id, operation_orgs=operation_orgs
    )
    items = {
        item.id: item
        for item in session.scalars(
            select(RegistryItem).where(
                RegistryItem.id.in_(ids), RegistryItem.operation_id == depot.operation_id
            )
        )
    }
    states = custody.states(session, operation_id=depot.operation_id, item_ids=ids)
    for item_id in ids:
        item = items.get(item_id)
        if item is None:
            raise InvalidInput("item_ids", f"no item {item_id} in this operation")
        state = states.get(item_id)
        if state is None or state.step is not CustodyStep.STORED or state.depot_id != depot.id:
            where = state.step.value if state else "nothing yet"
            raise Conflict(
                f"item {item.reference} is not stored at {depot.name} (it is at {where})"
            )
    moment = past_moment(destroyed_at, "destroyed_at") or utcnow()
    for _attempt in range(3):
        count = session.scalar(
            select(func.count())
            .select_from(DestructionBatch)
            .where(DestructionBatch.operation_id == depot.operation_id)
        )
        batch = DestructionBatch(
            operation_id=depot.operation_id,
            reference=f"D-{(count or 0) + 1:04d}",
            organisation_id=depot.organisation_id,
            depot_id=depot.id,
            method=method,
            place_name=(place_name or depot.place_name or depot.name).strip()[:200],
            destroyed_at=moment,
            officer_id=officer_id,
            witness_id=witness_id,
            observers=observers.strip()[:2000],
            note=note.strip()[:2000],
        )
        try:
            with session.begin_nested():
                session.add(batch)
                session.flush()
            break
        except IntegrityError:
            continue  # another batch took this number: count again
    else:
        raise Conflict("another destruction is being recorded: try again")
    for item_id in ids:
        custody.append_step(
            session,
            items[item_id],
            step=CustodyStep.DESTROYED,
            officer_id=officer_id,
            witness_id=witness_id,
            occurred_at=moment,
            place_name=batch.place_name,
            destruction_batch_id=batch.id,
        )
    return batch


def get_batch(session: Session, *, operation_id: int, batch_id: int) -> DestructionBatch:
    batch = session.get(DestructionBatch, batch_id)
    if batch is None or batch.operation_id != operation_id:
        raise NotFound("no such destruction batch")
    return batch


def batch_items(session: Session, batch: DestructionBatch) -> list[RegistryItem]:
    return list(
        session.scalars(
            select(RegistryItem)
            .join(CustodyEvent, CustodyEvent.item_id == RegistryItem.id)
            .where(CustodyEvent.destruction_batch_id == batch.id)
            .order_by(RegistryItem.reference)
        )
    )


def list_batches(session: Session, *, operation_id: int) -> list[DestructionBatch]:
    return list(
        session.scalars(
            select(DestructionBatch)
            .where(DestructionBatch.operation_id == operation_id)
            .order_by(DestructionBatch.destroyed_at.desc())
        )
    )
