"""Stock in and out of a place: receipts, write-offs, counts, corrections.

Each takes plain values as an officer enters them (an item, a batch, a whole
quantity), checks all of them before anything is posted, and posts one
movement on the ledger (``corridor.aid.ledger``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from corridor.aid import catalogue, checks, ledger
from corridor.aid.models import Item, Movement, MovementKind, Place, PlaceStatus, WriteOffReason
from corridor.errors import Conflict, InvalidInput


@dataclass(frozen=True)
class Entry:
    """One line as entered: an item, optionally a batch (and its expiry), a quantity."""

    item_id: int
    quantity: object
    batch: str | None = None
    batch_id: int | None = None
    expires_on: date | None = None


def receive(
    session: Session,
    *,
    place: Place,
    entries: list[Entry],
    recorded_by_id: int | None,
    counterpart: str = "",
    reference: str = "",
    occurred_at: datetime | None = None,
) -> Movement:
    """Stock received from a donor or supplier; batches are created on first receipt."""
    _usable(place)
    occurred_at = checks.past_moment(occurred_at, "occurred_at")
    if not entries:
        raise InvalidInput("lines", "at least one line is required")
    lines = []
    for index, entry in enumerate(entries):
        field = f"lines[{index}]"
        item = catalogue.get_item(session, operation_id=place.operation_id, item_id=entry.item_id)
        quantity = checks.quantity(entry.quantity, f"{field}.quantity")
        batch = catalogue.batch_for(
            session, item, code=entry.batch, expires_on=entry.expires_on, field=field
        )
        lines.append(ledger.Line(item.id, batch.id, quantity))
    return ledger.post(
        session,
        place=place,
        kind=MovementKind.RECEIPT,
        lines=lines,
        recorded_by_id=recorded_by_id,
        counterpart=" ".join(counterpart.split()),
        reference=" ".join(reference.split()),
        occurred_at=occurred_at,
    )


def write_off(
    session: Session,
    *,
    place: Place,
    entries: list[Entry],
    reason: WriteOffReason | str,
    note: str = "",
    recorded_by_id: int | None,
) -> Movement:
    """Stock lost, damaged or expired at a place; each line names its batch."""
    why = checks.choice(WriteOffReason, reason, "reason")
    if not entries:
        raise InvalidInput("lines", "at least one line is required")
    lines = []
    for index, entry in enumerate(entries):
        field = f"lines[{index}]"
        item = catalogue.get_item(session, operation_id=place.operation_id, item_id=entry.item_id)
        quantity = checks.quantity(entry.quantity, f"{field}.quantity")
        batch = _named_batch(session, item, entry, field)
        lines.append(ledger.Line(item.id, batch, -quantity))
    return ledger.post(
        session,
        place=place,
        kind=MovementKind.WRITE_OFF,
        lines=lines,
        recorded_by_id=recorded_by_id,
        reason=" ".join(note.split()),
        write_off_reason=why,
    )


def count(
    session: Session,
    *,
    place: Place,
    entries: list[Entry],
    recorded_by_id: int | None,
    reference: str = "",
) -> Movement:
    """A physical count: what differs from the balances is posted as one adjustment."""
    if not entries:
        raise InvalidInput("lines", "at least one line is required")
    counted: dict[int, tuple[int, int]] = {}
    for index, entry in enumerate(entries):
        field = f"lines[{index}]"
        item = catalogue.get_item(session, operation_id=place.operation_id, item_id=entry.item_id)
        found = checks.quantity(entry.quantity, f"{field}.quantity", allow_zero=True)
        if entry.batch_id is None and entry.batch is None:
            batch_id = catalogue.batch_for(
                session, item, code=None, expires_on=None, field=field
            ).id
        else:
            batch_id = _named_batch(session, item, entry, field)
        if batch_id in counted:
            raise InvalidInput(f"{field}.batch", "is counted twice")
        counted[batch_id] = (item.id, found)
    return ledger.count(
        session,
        place=place,
        counted=counted,
        recorded_by_id=recorded_by_id,
        reference=" ".join(reference.split()),
    )


def _named_batch(session: Session, item: Item, entry: Entry, field: str) -> int:
    """The batch a line takes from: by id, by code, or the item's only batch."""
    if entry.batch_id is not None:
        return catalogue.get_batch(session, item, entry.batch_id, field=f"{field}.batch_id").id
    if not item.batch_tracked:
        return catalogue.batch_for(session, item, code=None, expires_on=None, field=field).id
    if not entry.batch:
        raise InvalidInput(f"{field}.batch", "is required: this item is tracked by batch")
    found = catalogue.find_batch(session, item, entry.batch)
    if found is None:
        raise InvalidInput(f"{field}.batch", "is not a batch of this item")
    return found.id


def _usable(place: Place) -> None:
    if place.status == PlaceStatus.CLOSED:
        raise Conflict("this place is closed: reopen it to move stock")
