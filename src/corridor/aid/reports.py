"""Aid figures for reports: what was distributed (in tonnes), and stock-out days.

Both are read from the ledger, so they agree with the balances. Days are the
operation's days (its time zone), as in the situation report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from corridor.aid import ledger
from corridor.aid.models import (
    Distribution,
    Item,
    Movement,
    MovementKind,
    MovementLine,
    Place,
    PlaceKind,
    PlaceStatus,
)


@dataclass(frozen=True)
class Distributed:
    day: date
    place_id: int
    item_id: int
    quantity: int  # base units
    tonnes: float


@dataclass(frozen=True)
class StockOut:
    place_id: int
    item_id: int
    days: int  # days on which the place had none of the item, after first holding it
    last_day: date | None


def _day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def distributed(
    session: Session,
    *,
    operation_id: int,
    timezone: str = "UTC",
    since: date | None = None,
    until: date | None = None,
) -> list[Distributed]:
    """Quantities and tonnes distributed per day, aid point and item.

    A reversed distribution gave its stock back: the reversal is deducted on its own day.
    """
    zone = ZoneInfo(timezone)
    reversed_kind = aliased(Movement)
    rows = session.execute(
        select(
            Movement.occurred_at,
            Movement.kind,
            reversed_kind.kind,
            MovementLine.place_id,
            MovementLine.item_id,
            MovementLine.quantity,
        )
        .join(MovementLine, MovementLine.movement_id == Movement.id)
        .outerjoin(reversed_kind, reversed_kind.id == Movement.reverses_id)
        .where(
            Movement.operation_id == operation_id,
            (Movement.kind == MovementKind.DISTRIBUTION)
            | (
                (Movement.kind == MovementKind.REVERSAL)
                & (reversed_kind.kind == MovementKind.DISTRIBUTION)
            ),
        )
    ).all()
    weight = dict(
        session.execute(
            select(Item.id, Item.unit_weight_kg).where(Item.operation_id == operation_id)
        ).all()
    )
    totals: dict[tuple[date, int, int], int] = defaultdict(int)
    for occurred_at, _kind, _reversed, place_id, item_id, quantity in rows:
        day = _day(occurred_at, zone)
        if (since and day < since) or (until and day > until):
            continue
        totals[(day, place_id, item_id)] -= quantity  # a distribution's lines are negative
    return [
        Distributed(day, place, item, quantity, round(quantity * weight.get(item, 0) / 1000, 3))
        for (day, place, item), quantity in sorted(totals.items())
        if quantity
    ]


def stock_outs(
    session: Session,
    *,
    operation_id: int,
    timezone: str = "UTC",
    until: date | None = None,
) -> list[StockOut]:
    """For each place and item it ever held: the days it had none.

    The ledger is replayed in time order; a day counts when the balance was
    zero at some moment of it (the last unit given out, or nothing all day),
    from the first day the item was held to ``until`` (today by default).
    """
    zone = ZoneInfo(timezone)
    until = until or datetime.now(zone).date()
    lines = session.execute(
        select(
            Movement.occurred_at, MovementLine.place_id, MovementLine.item_id, MovementLine.quantity
        )
        .join(MovementLine, MovementLine.movement_id == Movement.id)
        .where(Movement.operation_id == operation_id)
        .order_by(Movement.occurred_at, Movement.id)
    ).all()
    by_key: dict[tuple[int, int], list[tuple[date, int]]] = defaultdict(list)
    for occurred_at, place_id, item_id, quantity in lines:
        by_key[(place_id, item_id)].append((_day(occurred_at, zone), quantity))
    found = []
    for (place_id, item_id), changes in sorted(by_key.items()):
        out_days: set[date] = set()
        balance = 0
        first = changes[0][0]
        index = 0
        day = first
        while day <= until:
            was_out = balance <= 0 and day != first
            while index < len(changes) and changes[index][0] == day:
                balance += changes[index][1]
                if balance <= 0:
                    was_out = True
                index += 1
            if was_out or balance <= 0:
                out_days.add(day)
            day += timedelta(days=1)
        found.append(
            StockOut(place_id, item_id, len(out_days), max(out_days) if out_days else None)
        )
    return found


@dataclass(frozen=True)
class Summary:
    """The aid part of an operation's front page."""

    places: int
    open_aid_points: int
    distributions_today: int
    alerts: int


def summary(session: Session, *, operation_id: int, timezone: str = "UTC") -> Summary:
    found = list(session.scalars(select(Place).where(Place.operation_id == operation_id)))
    zone = ZoneInfo(timezone)
    start = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    today = session.scalar(
        select(func.count())
        .select_from(Distribution)
        .where(
            Distribution.operation_id == operation_id,
            Distribution.distributed_at >= start.astimezone(UTC),
        )
    )
    return Summary(
        places=len(found),
        open_aid_points=sum(
            1 for p in found if p.kind == PlaceKind.AID_POINT and p.status == PlaceStatus.OPEN
        ),
        distributions_today=today or 0,
        alerts=sum(len(ledger.alerts(session, place_id=p.id)) for p in found),
    )
