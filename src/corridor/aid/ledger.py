"""The stock ledger: movements posted, balances kept, checked and never below zero.

Every change of stock is a movement with lines (a batch and a signed whole
quantity at the movement's place), inserted and never updated. In the same
transaction each line moves its balance row: an increase is an upsert, a
decrease one conditional ``UPDATE … WHERE quantity >= :wanted``. That single
statement is what keeps a balance from going negative when sixteen officers
hand out the last parcels at once: on PostgreSQL the row lock orders them and
the condition is checked again on the newest row; on SQLite writers take turns
(``BEGIN IMMEDIATE``). The one that finds too little changes nothing and gets
a conflict (409). A CHECK constraint on the balance stands behind it.

Issuing picks batches first-expiry-first-out and never issues an expired
batch (that stock is written off instead).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from corridor.aid.models import (
    Balance,
    Batch,
    Item,
    Movement,
    MovementKind,
    MovementLine,
    Place,
    ReorderLevel,
    WriteOffReason,
)
from corridor.db.types import utcnow
from corridor.errors import Conflict, InvalidInput, NotFound

EXPIRY_WARNING_DAYS = 30
CORRECTABLE = frozenset(
    {
        MovementKind.RECEIPT,
        MovementKind.DISTRIBUTION,
        MovementKind.WRITE_OFF,
        MovementKind.COUNT_ADJUSTMENT,
    }
)


@dataclass(frozen=True)
class Line:
    """A change of one batch's stock: ``quantity`` is signed, never zero."""

    item_id: int
    batch_id: int
    quantity: int


class OutOfStock(Conflict):
    """409: the place holds less of an item than asked for."""


def post(
    session: Session,
    *,
    place: Place,
    kind: MovementKind,
    lines: list[Line],
    recorded_by_id: int | None,
    occurred_at: datetime | None = None,
    reference: str = "",
    counterpart: str = "",
    reason: str = "",
    write_off_reason: WriteOffReason | None = None,
    reverses_id: int | None = None,
    waybill_id: int | None = None,
    flush: bool = True,
    allow_no_lines: bool = False,
    balances_now: bool = True,
) -> Movement:
    """Post a movement and move its balances; ``OutOfStock`` if one would go below zero.

    The caller's transaction is left unusable for this movement on failure:
    like every service, this one leaves commit and rollback to the caller.
    ``flush=False``: the caller adds what refers to the movement and flushes
    once (one round of inserts, one append to the audit chain).
    ``allow_no_lines``: a stock count that agreed with the ledger is still recorded.
    ``balances_now=False``: the caller moves them last, with :func:`move_balances`.
    """
    lines = [line for line in lines if line.quantity]
    if not lines and not allow_no_lines:
        raise InvalidInput("lines", "at least one line with a quantity is required")
    if balances_now:
        move_balances(session, place, lines)
    movement = Movement(
        operation_id=place.operation_id,
        kind=kind,
        place_id=place.id,
        occurred_at=occurred_at or utcnow(),
        recorded_by_id=recorded_by_id,
        reference=reference[:100],
        counterpart=counterpart[:200],
        reason=reason,
        write_off_reason=write_off_reason,
        reverses_id=reverses_id,
        waybill_id=waybill_id,
    )
    movement.lines = [
        MovementLine(
            operation_id=place.operation_id,
            place_id=place.id,
            item_id=line.item_id,
            batch_id=line.batch_id,
            quantity=line.quantity,
        )
        for line in lines
    ]
    session.add(movement)
    if flush:
        session.flush()
    return movement


def move_balances(session: Session, place: Place, lines: list[Line]) -> None:
    """Move the balances of ``lines`` (``OutOfStock`` if one would go below zero).

    A balance row stays locked from here to the commit, and every movement of
    that batch at that place waits for it: the busiest callers (distributions)
    insert their rows first and move the balances last, so that the lock is
    held for as little as the commit itself.
    """
    for line in sorted(lines, key=lambda ln: (ln.batch_id, ln.quantity)):  # a fixed lock order
        _move(session, place, line)


def _move(session: Session, place: Place, line: Line) -> None:
    if line.quantity > 0:
        table = Balance.__table__
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = insert(table).values(
            operation_id=place.operation_id,
            place_id=place.id,
            item_id=line.item_id,
            batch_id=line.batch_id,
            quantity=line.quantity,
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["place_id", "batch_id"],
                set_={"quantity": table.c.quantity + statement.excluded.quantity},
            )
        )
        return
    wanted = -line.quantity
    taken = session.execute(
        update(Balance)
        .where(
            Balance.place_id == place.id,
            Balance.batch_id == line.batch_id,
            Balance.quantity >= wanted,
        )
        .values(quantity=Balance.quantity - wanted)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        code = session.scalar(select(Item.code).where(Item.id == line.item_id))
        raise OutOfStock(f"not enough {code} at {place.name} for this movement")


# Picking -------------------------------------------------------------------------


def pick(
    session: Session, *, place: Place, item: Item, quantity: int, today: date | None = None
) -> list[Line]:
    """Lines taking ``quantity`` of ``item`` from ``place``, first expiry first out.

    Batches without an expiry go last; expired batches are never issued.
    ``OutOfStock`` when the place holds less than that in usable batches.
    """
    lines, short = pick_available(session, place=place, item=item, quantity=quantity, today=today)
    if short:
        raise OutOfStock(
            f"not enough {item.code} at {place.name}: {quantity - short} of {quantity}"
        )
    return lines


def pick_available(
    session: Session,
    *,
    place: Place,
    item: Item,
    quantity: int,
    today: date | None = None,
    lock: bool = False,
) -> tuple[list[Line], int]:
    """As :func:`pick`, taking what there is: the lines, and how much was missing.

    ``lock``: hold the balances read until the commit (PostgreSQL), so that what
    was picked is still there when posted; a caller that must not fail needs it.
    """
    today = today or datetime.now(UTC).date()
    statement = (
        select(Balance.batch_id, Balance.quantity)
        .join(Batch, Batch.id == Balance.batch_id)
        .where(
            Balance.place_id == place.id,
            Balance.item_id == item.id,
            Balance.quantity > 0,
            (Batch.expires_on.is_(None)) | (Batch.expires_on >= today),
        )
        .order_by(Batch.expires_on.is_(None), Batch.expires_on, Batch.id)
    )
    if lock:
        statement = statement.with_for_update(of=Balance)
    rows = session.execute(statement).all()
    lines, left = [], quantity
    for batch_id, available in rows:
        if not left:
            break
        take = min(available, left)
        lines.append(Line(item.id, batch_id, -take))
        left -= take
    return lines, left


# Corrections ------------------------------------------------------------------------


def reverse(
    session: Session, *, movement: Movement, reason: str, recorded_by_id: int | None
) -> Movement:
    """Undo ``movement`` with one that has every line negated, and the reason why.

    A movement is reversed at most once; waybill movements are corrected through
    their waybill, and a reversal is not itself reversed (post the movement again).
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput("reason", "is required to reverse a movement")
    if movement.kind not in CORRECTABLE:
        raise Conflict(f"a {movement.kind.value} movement cannot be reversed")
    if not movement.lines:
        raise Conflict("this count found no difference: there is nothing to reverse")
    if session.scalar(select(Movement.id).where(Movement.reverses_id == movement.id)):
        raise Conflict("this movement has already been reversed")
    place = session.get_one(Place, movement.place_id)
    return post(
        session,
        place=place,
        kind=MovementKind.REVERSAL,
        lines=[Line(ln.item_id, ln.batch_id, -ln.quantity) for ln in movement.lines],
        recorded_by_id=recorded_by_id,
        reference=f"reverses {movement.id}",
        reason=reason,
        reverses_id=movement.id,
    )


def count(
    session: Session,
    *,
    place: Place,
    counted: dict[int, tuple[int, int]],
    recorded_by_id: int | None,
    reference: str = "",
) -> Movement:
    """A stock count: ``counted`` maps batch id → (item id, quantity found).

    The differences with the balances become the lines of one adjustment
    movement; a count that agrees with the ledger is recorded too, without
    lines (it is what settles the shortfalls of distributions captured
    offline). Balances are read for update, so a distribution at the same
    moment is ordered before or after the count.
    """
    held = dict(
        session.execute(
            select(Balance.batch_id, Balance.quantity)
            .where(Balance.place_id == place.id, Balance.batch_id.in_(list(counted)))
            .with_for_update()
        ).all()
    )
    lines = [
        Line(item_id, batch_id, found - held.get(batch_id, 0))
        for batch_id, (item_id, found) in sorted(counted.items())
        if found != held.get(batch_id, 0)
    ]
    return post(
        session,
        place=place,
        kind=MovementKind.COUNT_ADJUSTMENT,
        lines=lines,
        recorded_by_id=recorded_by_id,
        reference=reference,
        reason="stock count" if lines else "stock count: no difference",
        allow_no_lines=True,
    )


# Reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchStock:
    item_id: int
    batch_id: int
    batch: str
    expires_on: date | None
    quantity: int


@dataclass(frozen=True)
class Alert:
    kind: str  # "below_reorder_level" | "expiring" | "expired"
    item_id: int
    batch_id: int | None
    quantity: int
    detail: str


def stock(session: Session, *, place_id: int) -> list[BatchStock]:
    """What a place holds, batch by batch (one indexed read of its balance rows)."""
    rows = session.execute(
        select(Balance.item_id, Balance.batch_id, Batch.code, Batch.expires_on, Balance.quantity)
        .join(Batch, Batch.id == Balance.batch_id)
        .where(Balance.place_id == place_id, Balance.quantity > 0)
        .order_by(Balance.item_id, Batch.expires_on.is_(None), Batch.expires_on, Batch.id)
    ).all()
    return [BatchStock(*row) for row in rows]


def alerts(
    session: Session,
    *,
    place_id: int,
    held: list[BatchStock] | None = None,
    today: date | None = None,
    within_days: int = EXPIRY_WARNING_DAYS,
) -> list[Alert]:
    """Stock below the place's reorder levels, and batches expired or expiring soon."""
    today = today or datetime.now(UTC).date()
    held = stock(session, place_id=place_id) if held is None else held
    totals: dict[int, int] = defaultdict(int)
    found: list[Alert] = []
    for row in held:
        totals[row.item_id] += row.quantity
        if row.expires_on is None:
            continue
        if row.expires_on < today:
            found.append(
                Alert(
                    "expired", row.item_id, row.batch_id, row.quantity, row.expires_on.isoformat()
                )
            )
        elif row.expires_on <= today + timedelta(days=within_days):
            found.append(
                Alert(
                    "expiring", row.item_id, row.batch_id, row.quantity, row.expires_on.isoformat()
                )
            )
    for item_id, level in session.execute(
        select(ReorderLevel.item_id, ReorderLevel.quantity).where(ReorderLevel.place_id == place_id)
    ):
        if totals.get(item_id, 0) < level:
            found.append(
                Alert("below_reorder_level", item_id, None, totals.get(item_id, 0), str(level))
            )
    return found


def set_reorder_level(
    session: Session, *, place: Place, item: Item, quantity: int | None
) -> ReorderLevel | None:
    """Set (or with None remove) the level below which the place's stock of ``item`` alerts."""
    level = session.scalar(
        select(ReorderLevel).where(
            ReorderLevel.place_id == place.id, ReorderLevel.item_id == item.id
        )
    )
    if quantity is None:
        if level is not None:
            session.delete(level)
            session.flush()
        return None
    if level is None:
        level = ReorderLevel(
            operation_id=place.operation_id, place_id=place.id, item_id=item.id, quantity=quantity
        )
        session.add(level)
    else:
        level.quantity = quantity
    session.flush()
    return level


def movements(
    session: Session, *, operation_id: int, place_id: int | None = None, limit: int = 100
) -> list[Movement]:
    statement = (
        select(Movement)
        .where(Movement.operation_id == operation_id)
        .order_by(Movement.id.desc())
        .limit(limit)
    )
    if place_id is not None:
        statement = statement.where(Movement.place_id == place_id)
    return list(session.scalars(statement))


def get_movement(session: Session, *, operation_id: int, movement_id: int) -> Movement:
    movement = session.get(Movement, movement_id)
    if movement is None or movement.operation_id != operation_id:
        raise NotFound("no such movement in this operation")
    return movement


def mismatches(session: Session, *, operation_id: int) -> list[tuple[int, int, int, int]]:
    """(place, batch, balance, sum of the ledger's lines) wherever the two differ.

    Must always be empty: the proof that the balances are derived from the ledger.
    """
    ledger = dict(
        (((place, batch), total))
        for place, batch, total in session.execute(
            select(MovementLine.place_id, MovementLine.batch_id, func.sum(MovementLine.quantity))
            .where(MovementLine.operation_id == operation_id)
            .group_by(MovementLine.place_id, MovementLine.batch_id)
        )
    )
    balances = {
        (place, batch): quantity
        for place, batch, quantity in session.execute(
            select(Balance.place_id, Balance.batch_id, Balance.quantity).where(
                Balance.operation_id == operation_id
            )
        )
    }
    return [
        (place, batch, balances.get((place, batch), 0), ledger.get((place, batch), 0))
        for place, batch in sorted(set(ledger) | set(balances))
        if balances.get((place, batch), 0) != ledger.get((place, batch), 0)
    ]
