"""The chain of custody: every step of an item is an event with time, place,
officer and a witness, and an item cannot skip a step.

    collected → recorded → stored (at a depot) ⇄ transported → destroyed (in a batch)
                                               └──────────────→ disposed (otherwise)

Where an item is and what step it is at are read from its last event. The next
event's sequence number is unique per item, so of two officers recording a
step of one item at once, one wins and the other is told to look again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from corridor.accounts.models import Membership, User
from corridor.aid.checks import past_moment
from corridor.amnesty.desks import get_depot
from corridor.amnesty.models import CustodyEvent, CustodyStep, Depot, RegistryItem
from corridor.db.types import utcnow
from corridor.errors import Conflict, InvalidInput

NEXT: dict[CustodyStep | None, frozenset[CustodyStep]] = {
    None: frozenset({CustodyStep.COLLECTED}),
    CustodyStep.COLLECTED: frozenset({CustodyStep.RECORDED}),
    CustodyStep.RECORDED: frozenset({CustodyStep.STORED}),
    CustodyStep.STORED: frozenset(
        {CustodyStep.TRANSPORTED, CustodyStep.DESTROYED, CustodyStep.DISPOSED}
    ),
    CustodyStep.TRANSPORTED: frozenset({CustodyStep.STORED}),
    CustodyStep.DESTROYED: frozenset(),
    CustodyStep.DISPOSED: frozenset(),
}


@dataclass(frozen=True)
class State:
    """Where an item is, read from its last event."""

    step: CustodyStep
    sequence: int
    since: datetime
    depot_id: int | None  # the depot holding it (stored), or it is heading to (transported)


def state_of(events: list[CustodyEvent]) -> State | None:
    if not events:
        return None
    last = max(events, key=lambda e: e.sequence)
    depot = last.destination_depot_id if last.step is CustodyStep.TRANSPORTED else last.depot_id
    return State(last.step, last.sequence, last.occurred_at, depot)


def states(
    session: Session, *, operation_id: int, item_ids: list[int] | None = None
) -> dict[int, State]:
    """Every item's state (or those of ``item_ids``), from the last event of each."""
    last = (
        select(CustodyEvent.item_id, func.max(CustodyEvent.sequence).label("sequence"))
        .where(CustodyEvent.operation_id == operation_id)
        .group_by(CustodyEvent.item_id)
    )
    if item_ids is not None:
        last = last.where(CustodyEvent.item_id.in_(item_ids))
    last_sq = last.subquery()
    rows = session.execute(
        select(CustodyEvent).join(
            last_sq,
            (CustodyEvent.item_id == last_sq.c.item_id)
            & (CustodyEvent.sequence == last_sq.c.sequence),
        )
    ).scalars()
    return {event.item_id: state_of([event]) for event in rows}  # type: ignore[misc]


def check_witness(
    session: Session, *, officer_id: int, witness_id: int, operation_orgs: frozenset[int]
) -> None:
    """The witness is a second person, with an active account in the operation."""
    if witness_id == officer_id:
        raise InvalidInput("witness_id", "the witness must be another officer")
    found = session.scalar(
        select(User.id)
        .join(Membership, Membership.user_id == User.id)
        .where(
            User.id == witness_id,
            User.active.is_(True),
            Membership.organisation_id.in_(operation_orgs),
        )
        .limit(1)
    )
    if found is None:
        raise InvalidInput("witness_id", "not an active user of an organisation in this operation")


def record(
    session: Session,
    item: RegistryItem,
    *,
    step: CustodyStep,
    officer_id: int,
    witness_id: int,
    operation_orgs: frozenset[int],
    occurred_at: datetime | None = None,
    place_name: str = "",
    depot_id: int | None = None,
    destination_depot_id: int | None = None,
    disposal: str = "",
    note: str = "",
    destruction_batch_id: int | None = None,
) -> CustodyEvent:
    """Append the next step of ``item``'s chain; 409 when it would skip or repeat one."""
    check_witness(
        session, officer_id=officer_id, witness_id=witness_id, operation_orgs=operation_orgs
    )
    return append_step(
        session,
        item,
        step=step,
        officer_id=officer_id,
        witness_id=witness_id,
        occurred_at=occurred_at,
        place_name=place_name,
        depot_id=depot_id,
        destination_depot_id=destination_depot_id,
        disposal=disposal,
        note=note,
        destruction_batch_id=destruction_batch_id,
    )


def append_step(
    session: Session,
    item: RegistryItem,
    *,
    step: CustodyStep,
    officer_id: int,
    witness_id: int,
    occurred_at: datetime | None = None,
    place_name: str = "",
    depot_id: int | None = None,
    destination_depot_id: int | None = None,
    disposal: str = "",
    note: str = "",
    destruction_batch_id: int | None = None,
) -> CustodyEvent:
    """``record`` once the witness is checked: for a caller that records the steps of
    many items with one officer and one witness (a destruction batch), or checks the
    witness before writing anything else (a new item), and so checks them once."""
    current = state_of(
        list(
            session.scalars(
                select(CustodyEvent)
                .where(CustodyEvent.item_id == item.id)
                .order_by(CustodyEvent.sequence.desc())
                .limit(1)
            )
        )
    )
    moment = past_moment(occurred_at, "occurred_at") or utcnow()
    if current is not None and moment < current.since:
        raise InvalidInput("occurred_at", "is before the item's previous step")
    allowed = NEXT[current.step if current else None]
    if step not in allowed:
        at = current.step.value if current else "nothing yet"
        expected = ", ".join(sorted(s.value for s in allowed)) or "nothing: the chain is closed"
        raise Conflict(
            f"item {item.reference} is at {at}: the next step can be {expected}, not {step.value}"
        )
    if step is CustodyStep.DESTROYED and destruction_batch_id is None:
        raise InvalidInput("step", "items are destroyed in a destruction batch, with its record")
    depot: Depot | None = None
    if step is CustodyStep.STORED:
        if depot_id is None:
            raise InvalidInput("depot_id", "say which depot stores the item")
        depot = get_depot(session, operation_id=item.operation_id, depot_id=depot_id)
        if (
            current is not None
            and current.step is CustodyStep.TRANSPORTED
            and current.depot_id != depot.id
        ):
            raise InvalidInput("depot_id", "the item was sent to another depot")
    elif step is CustodyStep.TRANSPORTED:
        if destination_depot_id is None:
            raise InvalidInput("destination_depot_id", "say which depot the item goes to")
        get_depot(
            session,
            operation_id=item.operation_id,
            depot_id=destination_depot_id,
            field="destination_depot_id",
        )
        assert current is not None
        if destination_depot_id == current.depot_id:
            raise InvalidInput("destination_depot_id", "the item is in that depot already")
        depot_id = current.depot_id  # leaves from where it was stored
    elif step in (CustodyStep.DESTROYED, CustodyStep.DISPOSED):
        assert current is not None
        depot_id = current.depot_id
        if step is CustodyStep.DISPOSED and not disposal.strip():
            raise InvalidInput("disposal", "say how the item was disposed of (it is kept)")
    else:
        depot_id = None
    if step is not CustodyStep.TRANSPORTED:
        destination_depot_id = None
    if not place_name and depot is not None:
        place_name = depot.place_name or depot.name
    event = CustodyEvent(
        operation_id=item.operation_id,
        item_id=item.id,
        sequence=(current.sequence if current else 0) + 1,
        step=step,
        occurred_at=moment,
        place_name=place_name.strip()[:200],
        depot_id=depot_id,
        destination_depot_id=destination_depot_id,
        officer_id=officer_id,
        witness_id=witness_id,
        destruction_batch_id=destruction_batch_id,
        disposal=disposal.strip()[:2000],
        note=note.strip()[:2000],
    )
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"item {item.reference} changed while this step was recorded: look again"
        ) from None
    return event


def chain(session: Session, item: RegistryItem) -> list[CustodyEvent]:
    return list(
        session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.item_id == item.id)
            .order_by(CustodyEvent.sequence)
        )
    )


@dataclass(frozen=True)
class Holding:
    depot_id: int
    item: RegistryItem
    since: datetime


def inventory(
    session: Session, *, operation_id: int, organisation_ids: frozenset[int] | None
) -> list[Holding]:
    """What every depot holds now (items stored and not yet destroyed or disposed)."""
    stored = {
        item_id: state
        for item_id, state in states(session, operation_id=operation_id).items()
        if state.step is CustodyStep.STORED
    }
    if not stored:
        return []
    items = session.scalars(
        select(RegistryItem)
        .where(RegistryItem.id.in_(list(stored)))
        .order_by(RegistryItem.reference)
    )
    holdings = [Holding(stored[i.id].depot_id or 0, i, stored[i.id].since) for i in items]
    if organisation_ids is not None:
        keeper = dict(
            session.execute(
                select(Depot.id, Depot.organisation_id).where(Depot.operation_id == operation_id)
            ).all()
        )
        holdings = [h for h in holdings if keeper.get(h.depot_id) in organisation_ids]
    return holdings
