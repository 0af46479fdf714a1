"""Aid figures from the ledger: tonnes distributed per day, and stock-out days."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from corridor.aid import distributions, reports, stock
from corridor.aid.models import Place
from corridor.db.session import unit_of_work
from corridor.runtime import Runtime
from tests.aid.conftest import AidWorld


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def test_tonnes_per_day_and_stock_out_days(aid: AidWorld, runtime: Runtime) -> None:
    blankets = aid.item(runtime, "BLANKET")  # 1.5 kg each
    with unit_of_work(runtime.factory) as session:
        point = session.get_one(Place, aid.point.id)

        def receive(quantity: int, day: int) -> None:
            stock.receive(
                session,
                place=point,
                entries=[stock.Entry(blankets.id, quantity)],
                recorded_by_id=None,
                occurred_at=_at(day, 8),
            )

        def give(quantity: int, day: int) -> None:
            distributions.distribute(
                session,
                place=point,
                distribution_id=uuid.uuid4(),
                organisation_id=point.organisation_id,
                recipient=distributions.Recipient(kind="anonymous", people_count=1),
                items=[distributions.Given(blankets.id, quantity)],
                recorded_by_id=None,
                distributed_at=_at(day),
            )

        receive(100, 1)
        give(40, 1)
        give(60, 2)  # the last one: out from the 2nd
        receive(10, 4)
        give(10, 4)  # and out again the same day
        given = reports.distributed(session, operation_id=aid.operation.id)
        outs = reports.stock_outs(session, operation_id=aid.operation.id, until=date(2026, 11, 5))
    assert [(g.day.day, g.quantity, g.tonnes) for g in given] == [
        (1, 40, 0.06),
        (2, 60, 0.09),
        (4, 10, 0.015),
    ]
    (out,) = [o for o in outs if o.item_id == blankets.id]
    assert (out.place_id, out.days, out.last_day) == (aid.point.id, 4, date(2026, 11, 5))
