"""Sixteen officers hand out the last thousand blankets at once: exactly a thousand succeed.

Run on SQLite here and on PostgreSQL in CI (marker ``db``): no balance goes
below zero, no "database is locked", every refusal is a conflict (409 over
HTTP), and the balance equals the sum of the ledger's movements.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter

from sqlalchemy import func, select

from corridor.aid import distributions, ledger, stock
from corridor.aid.models import Balance, Distribution, Place
from corridor.db.session import Actor, unit_of_work
from corridor.runtime import Runtime
from tests.aid.conftest import AidWorld

THREADS, ATTEMPTS, STOCK = 16, 200, 1000


def test_concurrent_distributions_never_take_more_than_the_stock(
    aid: AidWorld, runtime: Runtime
) -> None:
    blankets = aid.item(runtime, "BLANKET")
    with unit_of_work(runtime.factory) as session:
        place = session.get_one(Place, aid.point.id)
        stock.receive(
            session, place=place, entries=[stock.Entry(blankets.id, STOCK)], recorded_by_id=None
        )
    outcomes: Counter[str] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def officer(number: int) -> None:
        start.wait()
        for _ in range(ATTEMPTS):
            try:
                with unit_of_work(runtime.factory, Actor(label=f"officer {number}")) as session:
                    distributions.distribute(
                        session,
                        place=session.get_one(Place, aid.point.id),
                        distribution_id=uuid.uuid4(),
                        organisation_id=aid.lead_id,
                        recipient=distributions.Recipient(kind="anonymous", people_count=1),
                        items=[distributions.Given(blankets.id, 1)],
                        recorded_by_id=None,
                    )
                outcome = "given"
            except ledger.OutOfStock:
                outcome = "refused"
            except BaseException as error:  # noqa: BLE001 - "database is locked" and the like
                with lock:
                    errors.append(error)
                continue
            with lock:
                outcomes[outcome] += 1

    threads = [threading.Thread(target=officer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert outcomes == {"given": STOCK, "refused": THREADS * ATTEMPTS - STOCK}
    with unit_of_work(runtime.factory) as session:
        assert session.scalar(select(func.min(Balance.quantity))) == 0
        assert session.scalar(select(func.count()).select_from(Distribution)) == STOCK
        assert ledger.mismatches(session, operation_id=aid.operation.id) == []
