"""The stock ledger: receipts, first-expiry-first-out, corrections, counts, alerts."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from corridor.aid import catalogue, distributions, ledger, stock
from corridor.aid.models import Balance, Movement, MovementKind, Place
from corridor.db.session import unit_of_work
from corridor.errors import Conflict, InvalidInput
from corridor.runtime import Runtime
from tests.aid.conftest import AidWorld

TODAY = datetime.now(UTC).date()


def _receive(runtime: Runtime, place: Place, *entries: stock.Entry) -> int:
    with unit_of_work(runtime.factory) as session:
        return stock.receive(
            session, place=place, entries=list(entries), recorded_by_id=None, counterpart="Donor"
        ).id


def _held(runtime: Runtime, place: Place) -> dict[str, int]:
    with unit_of_work(runtime.factory) as session:
        return {
            f"{row.item_id}/{row.batch}": row.quantity
            for row in ledger.stock(session, place_id=place.id)
        }


def _give(runtime: Runtime, place: Place, item_id: int, quantity: object) -> None:
    with unit_of_work(runtime.factory) as session:
        distributions.distribute(
            session,
            place=session.get_one(Place, place.id),
            distribution_id=uuid.uuid4(),
            organisation_id=place.organisation_id,
            recipient=distributions.Recipient(kind="anonymous", people_count=1),
            items=[distributions.Given(item_id, quantity)],
            recorded_by_id=None,
        )


def _movements(runtime: Runtime) -> int:
    with unit_of_work(runtime.factory) as session:
        return session.scalar(select(func.count()).select_from(Movement)) or 0


def test_every_operation_starts_with_the_default_catalogue(aid: AidWorld, runtime: Runtime) -> None:
    with unit_of_work(runtime.factory) as session:
        codes = {i.code for i in catalogue.list_items(session, operation_id=aid.operation.id)}
        again = catalogue.add_default_catalogue(session, operation_id=aid.operation.id)
    for code in ("FOOD-PARCEL", "WHEAT-FLOUR-25", "WATER-1.5L", "HEB", "HYGIENE-KIT"):
        assert code in codes
    for code in ("BLANKET", "TARPAULIN", "TRAUMA-KIT", "ORS"):
        assert code in codes
    assert again == []  # adding it again adds nothing


def test_issues_go_first_expiry_first_out_and_never_from_an_expired_batch(
    aid: AidWorld, runtime: Runtime
) -> None:
    biscuits = aid.item(runtime, "HEB")
    _receive(
        runtime,
        aid.point,
        stock.Entry(biscuits.id, 50, batch="LATE", expires_on=TODAY + timedelta(days=300)),
        stock.Entry(biscuits.id, 30, batch="SOON", expires_on=TODAY + timedelta(days=20)),
        stock.Entry(biscuits.id, 40, batch="GONE", expires_on=TODAY - timedelta(days=1)),
    )
    _give(runtime, aid.point, biscuits.id, 45)
    held = _held(runtime, aid.point)
    assert f"{biscuits.id}/SOON" not in held  # used up: 30 from SOON first, then 15 from LATE
    assert held[f"{biscuits.id}/LATE"] == 35
    assert held[f"{biscuits.id}/GONE"] == 40  # expired stock is written off, not issued
    with pytest.raises(Conflict, match="not enough HEB"):
        _give(runtime, aid.point, biscuits.id, 36)
    with unit_of_work(runtime.factory) as session:
        found = ledger.alerts(session, place_id=aid.point.id)
        assert ledger.mismatches(session, operation_id=aid.operation.id) == []
    assert {(a.kind, a.quantity) for a in found} == {("expired", 40)}


def test_bad_quantities_and_batches_are_refused_naming_the_field(
    aid: AidWorld, runtime: Runtime
) -> None:
    parcels = aid.item(runtime, "FOOD-PARCEL")
    blankets = aid.item(runtime, "BLANKET")
    before = _movements(runtime)
    for quantity, message in ((2.5, "whole number"), (-3, "positive"), (0, "positive")):
        with pytest.raises(InvalidInput, match=message) as refused:
            _receive(runtime, aid.warehouse, stock.Entry(blankets.id, quantity))
        assert refused.value.field == "lines[0].quantity"
    with pytest.raises(InvalidInput) as refused:
        _receive(runtime, aid.warehouse, stock.Entry(parcels.id, 10))  # tracked: needs a batch
    assert refused.value.field == "lines[0].batch"
    _receive(runtime, aid.warehouse, stock.Entry(parcels.id, 10, batch="P1", expires_on=TODAY))
    with pytest.raises(InvalidInput) as refused:
        _receive(
            runtime,
            aid.warehouse,
            stock.Entry(parcels.id, 10, batch="P1", expires_on=TODAY + timedelta(days=9)),
        )
    assert refused.value.field == "lines[0].expires_on"
    assert _movements(runtime) == before + 1  # only the good receipt


def test_a_mistake_is_corrected_by_one_reversal_with_a_reason(
    aid: AidWorld, runtime: Runtime
) -> None:
    blankets = aid.item(runtime, "BLANKET")
    receipt = _receive(runtime, aid.point, stock.Entry(blankets.id, 100))
    _give(runtime, aid.point, blankets.id, 10)
    with unit_of_work(runtime.factory) as session:
        movement = session.get_one(Movement, receipt)
        with pytest.raises(InvalidInput, match="reason"):
            ledger.reverse(session, movement=movement, reason=" ", recorded_by_id=None)
        # 90 left: the receipt of 100 can no longer be undone whole.
        with pytest.raises(Conflict, match="not enough BLANKET"):
            ledger.reverse(session, movement=movement, reason="entered twice", recorded_by_id=None)
    _receive(runtime, aid.point, stock.Entry(blankets.id, 10))
    with unit_of_work(runtime.factory) as session:
        movement = session.get_one(Movement, receipt)
        reversal = ledger.reverse(
            session, movement=movement, reason="entered twice", recorded_by_id=None
        )
        assert reversal.kind == MovementKind.REVERSAL and reversal.lines[0].quantity == -100
    with unit_of_work(runtime.factory) as session:
        movement = session.get_one(Movement, receipt)
        with pytest.raises(Conflict, match="already been reversed"):
            ledger.reverse(session, movement=movement, reason="again", recorded_by_id=None)
        assert ledger.mismatches(session, operation_id=aid.operation.id) == []
    assert _held(runtime, aid.point) == {}


def test_a_count_posts_only_the_differences_and_is_recorded_when_it_agrees(
    aid: AidWorld, runtime: Runtime
) -> None:
    blankets, tarpaulins = aid.item(runtime, "BLANKET"), aid.item(runtime, "TARPAULIN")
    _receive(runtime, aid.warehouse, stock.Entry(blankets.id, 100), stock.Entry(tarpaulins.id, 7))
    with unit_of_work(runtime.factory) as session:
        place = session.get_one(Place, aid.warehouse.id)
        agreed = stock.count(
            session,
            place=place,
            entries=[stock.Entry(blankets.id, 100), stock.Entry(tarpaulins.id, 7)],
            recorded_by_id=None,
        )
        assert agreed.kind == MovementKind.COUNT_ADJUSTMENT and agreed.lines == []
        assert agreed.reason == "stock count: no difference"
        with pytest.raises(Conflict, match="nothing to reverse"):
            ledger.reverse(session, movement=agreed, reason="oops", recorded_by_id=None)
        adjusted = stock.count(
            session,
            place=place,
            entries=[stock.Entry(blankets.id, 97), stock.Entry(tarpaulins.id, 7)],
            recorded_by_id=None,
            reference="count sheet 4",
        )
        assert [(ln.item_id, ln.quantity) for ln in adjusted.lines] == [(blankets.id, -3)]
        assert ledger.mismatches(session, operation_id=aid.operation.id) == []
    assert _held(runtime, aid.warehouse)[f"{blankets.id}/-"] == 97


def test_reorder_levels_and_expiries_raise_alerts(aid: AidWorld, runtime: Runtime) -> None:
    ors, blankets = aid.item(runtime, "ORS"), aid.item(runtime, "BLANKET")
    _receive(
        runtime,
        aid.point,
        stock.Entry(ors.id, 500, batch="O-1", expires_on=TODAY + timedelta(days=10)),
        stock.Entry(blankets.id, 20),
    )
    with unit_of_work(runtime.factory) as session:
        place = session.get_one(Place, aid.point.id)
        item = catalogue.get_item(session, operation_id=aid.operation.id, item_id=blankets.id)
        ledger.set_reorder_level(session, place=place, item=item, quantity=50)
        found = ledger.alerts(session, place_id=aid.point.id)
        later = ledger.alerts(session, place_id=aid.point.id, within_days=5)
    assert {(a.kind, a.item_id, a.quantity) for a in found} == {
        ("expiring", ors.id, 500),
        ("below_reorder_level", blankets.id, 20),
    }
    assert {a.kind for a in later} == {"below_reorder_level"}


def test_a_balance_can_never_be_set_below_zero(aid: AidWorld, runtime: Runtime) -> None:
    """The database's own CHECK stands behind the conditional update."""
    blankets = aid.item(runtime, "BLANKET")
    _receive(runtime, aid.point, stock.Entry(blankets.id, 5))
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), unit_of_work(runtime.factory) as session:
        session.execute(
            Balance.__table__.update().where(Balance.place_id == aid.point.id).values(quantity=-1)
        )
    assert _held(runtime, aid.point) == {f"{blankets.id}/-": 5}


def test_stock_is_per_place_and_dates_are_kept(aid: AidWorld, runtime: Runtime) -> None:
    parcels = aid.item(runtime, "FOOD-PARCEL")
    _receive(
        runtime, aid.warehouse, stock.Entry(parcels.id, 8, batch="B", expires_on=date(2031, 1, 1))
    )
    assert _held(runtime, aid.point) == {}
    with unit_of_work(runtime.factory) as session:
        (row,) = ledger.stock(session, place_id=aid.warehouse.id)
    assert (row.batch, row.expires_on, row.quantity) == ("B", date(2031, 1, 1), 8)
