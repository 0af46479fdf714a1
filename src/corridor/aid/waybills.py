"""Waybills: stock sent from one place to another, and what arrived.

A waybill is drafted with items and quantities, dispatched (the batches are
picked first-expiry-first-out unless named, and leave the sending place in one
movement), then received once: for every line the receiving officer accounts
for each unit sent as received, lost or damaged in transit. What was received
enters the receiving place in one movement; losses and damage stay on the
waybill's lines, where the reports count them. Receiving more than was sent,
or receiving twice, is refused and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from corridor.aid import catalogue, checks, ledger
from corridor.aid.models import (
    MovementKind,
    Place,
    PlaceStatus,
    Waybill,
    WaybillLine,
    WaybillStatus,
)
from corridor.aid.places import get_place
from corridor.aid.stock import Entry
from corridor.db.types import utcnow
from corridor.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class Arrival:
    """What the receiving officer found for one line of the waybill."""

    line_id: int
    received: object
    lost: object = 0
    damaged: object = 0


def create(
    session: Session,
    *,
    operation_id: int,
    from_place_id: int,
    to_place_id: int,
    entries: list[Entry],
    created_by_id: int | None,
    carrier: str = "",
    notes: str = "",
) -> Waybill:
    """A draft waybill with a number of its own (``WB-000001``, counted per operation)."""
    source = get_place(session, operation_id=operation_id, place_id=from_place_id)
    target = get_place(session, operation_id=operation_id, place_id=to_place_id)
    if source.id == target.id:
        raise InvalidInput("to_place_id", "must differ from the place the waybill leaves from")
    if not entries:
        raise InvalidInput("lines", "at least one line is required")
    lines = []
    for index, entry in enumerate(entries):
        field = f"lines[{index}]"
        item = catalogue.get_item(session, operation_id=operation_id, item_id=entry.item_id)
        batch_id = None
        if entry.batch_id is not None:
            batch_id = catalogue.get_batch(
                session, item, entry.batch_id, field=f"{field}.batch_id"
            ).id
        lines.append(
            WaybillLine(
                operation_id=operation_id,
                item_id=item.id,
                batch_id=batch_id,
                dispatched=checks.quantity(entry.quantity, f"{field}.quantity"),
            )
        )
    waybill = Waybill(
        operation_id=operation_id,
        from_place_id=source.id,
        to_place_id=target.id,
        carrier=" ".join(carrier.split())[:200],
        notes=notes.strip(),
        created_by_id=created_by_id,
        lines=lines,
    )
    for _attempt in range(5):  # two drafts at once may take the same number: the next is free
        issued = session.scalar(
            select(func.count()).select_from(Waybill).where(Waybill.operation_id == operation_id)
        )
        waybill.number = f"WB-{(issued or 0) + 1 + _attempt:06d}"
        try:
            with session.begin_nested():
                session.add(waybill)
                session.flush()
            return waybill
        except IntegrityError:
            continue  # the savepoint's rollback left the draft unsaved: try the next number
    raise Conflict("no waybill number was free: try again")


def get(session: Session, *, operation_id: int, waybill_id: int) -> Waybill:
    waybill = session.get(Waybill, waybill_id)
    if waybill is None or waybill.operation_id != operation_id:
        raise NotFound("no such waybill in this operation")
    return waybill


def list_waybills(
    session: Session, *, operation_id: int, place_id: int | None = None
) -> list[Waybill]:
    statement = (
        select(Waybill).where(Waybill.operation_id == operation_id).order_by(Waybill.id.desc())
    )
    if place_id is not None:
        statement = statement.where(
            (Waybill.from_place_id == place_id) | (Waybill.to_place_id == place_id)
        )
    return list(session.scalars(statement))


def _locked(session: Session, waybill: Waybill) -> Waybill:
    """The waybill read again under a row lock: two officers never both act on one state."""
    return session.execute(
        select(Waybill)
        .where(Waybill.id == waybill.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def dispatch(session: Session, waybill: Waybill, *, recorded_by_id: int | None) -> Waybill:
    """Send the waybill: its stock leaves the sending place (``OutOfStock`` if short)."""
    waybill = _locked(session, waybill)
    if waybill.status != WaybillStatus.DRAFT:
        raise Conflict(f"this waybill is {waybill.status.value}, not a draft")
    source = session.get_one(Place, waybill.from_place_id)
    if source.status == PlaceStatus.CLOSED:
        raise Conflict("the sending place is closed")
    picked: list[WaybillLine] = []
    out: list[ledger.Line] = []
    for line in list(waybill.lines):
        if line.batch_id is not None:
            out.append(ledger.Line(line.item_id, line.batch_id, -line.dispatched))
            picked.append(line)
            continue
        item = catalogue.get_item(session, operation_id=waybill.operation_id, item_id=line.item_id)
        for taken in ledger.pick(session, place=source, item=item, quantity=line.dispatched):
            out.append(taken)
            picked.append(
                WaybillLine(
                    operation_id=waybill.operation_id,
                    item_id=line.item_id,
                    batch_id=taken.batch_id,
                    dispatched=-taken.quantity,
                )
            )
    ledger.post(
        session,
        place=source,
        kind=MovementKind.DISPATCH,
        lines=out,
        recorded_by_id=recorded_by_id,
        reference=waybill.number,
        waybill_id=waybill.id,
    )
    waybill.lines = picked  # one line per batch, as it travels
    waybill.status = WaybillStatus.DISPATCHED
    waybill.dispatched_at = utcnow()
    session.flush()
    return waybill


def receive(
    session: Session,
    waybill: Waybill,
    *,
    arrivals: list[Arrival],
    recorded_by_id: int | None,
) -> Waybill:
    """Receive the waybill once, every unit sent accounted for."""
    waybill = _locked(session, waybill)
    if waybill.status == WaybillStatus.RECEIVED:
        raise Conflict("this waybill has already been received")
    if waybill.status != WaybillStatus.DISPATCHED:
        raise Conflict(f"this waybill is {waybill.status.value}: only a dispatched one is received")
    by_id = {line.id: line for line in waybill.lines}
    found: dict[int, tuple[int, int, int]] = {}
    for index, arrival in enumerate(arrivals):
        field = f"lines[{index}]"
        line = by_id.get(arrival.line_id)
        if line is None:
            raise InvalidInput(f"{field}.line_id", "is not a line of this waybill")
        if line.id in found:
            raise InvalidInput(f"{field}.line_id", "is given twice")
        received = checks.quantity(arrival.received, f"{field}.received", allow_zero=True)
        lost = checks.quantity(arrival.lost, f"{field}.lost", allow_zero=True)
        damaged = checks.quantity(arrival.damaged, f"{field}.damaged", allow_zero=True)
        if received > line.dispatched:
            raise InvalidInput(f"{field}.received", "is more than was dispatched")
        if received + lost + damaged != line.dispatched:
            raise InvalidInput(
                f"{field}.received",
                f"received, lost and damaged must add up to the {line.dispatched} dispatched",
            )
        found[line.id] = (received, lost, damaged)
    missing = [line.id for line in waybill.lines if line.id not in found]
    if missing:
        raise InvalidInput("lines", f"every line must be accounted for (missing: {missing})")
    target = session.get_one(Place, waybill.to_place_id)
    incoming = [
        ledger.Line(line.item_id, line.batch_id, found[line.id][0])
        for line in waybill.lines
        if found[line.id][0] and line.batch_id is not None
    ]
    if incoming:
        ledger.post(
            session,
            place=target,
            kind=MovementKind.WAYBILL_RECEIPT,
            lines=incoming,
            recorded_by_id=recorded_by_id,
            reference=waybill.number,
            waybill_id=waybill.id,
        )
    for line in waybill.lines:
        line.received, line.lost, line.damaged = found[line.id]
    waybill.status = WaybillStatus.RECEIVED
    waybill.received_at = utcnow()
    session.flush()
    return waybill


def cancel(session: Session, waybill: Waybill) -> Waybill:
    """A draft is cancelled (nothing moved yet); a dispatched waybill must be received."""
    waybill = _locked(session, waybill)
    if waybill.status != WaybillStatus.DRAFT:
        raise Conflict(f"this waybill is {waybill.status.value}: only a draft can be cancelled")
    waybill.status = WaybillStatus.CANCELLED
    session.flush()
    return waybill
