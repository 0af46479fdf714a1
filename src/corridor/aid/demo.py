"""The aid part of the demo: a warehouse, two aid points, stock received, a waybill
received with a discrepancy, a few days of distributions, and distribution lists
sent from a phone that was offline, one of them to reconcile (each once)."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.accounts import service as accounts
from corridor.accounts.models import Membership
from corridor.accounts.permissions import decide
from corridor.aid import (
    catalogue,
    consultations,
    distributions,
    entitlements,
    ledger,
    places,
    stock,
    waybills,
)
from corridor.aid.models import Distribution, Place, PlaceKind, PlaceStatus
from corridor.crossings import forms, submissions
from corridor.crossings.collect import build_instance
from corridor.crossings.devices import DeviceLogin
from corridor.crossings.models import Registration
from corridor.db.types import utcnow
from corridor.demo_data import parish_pcode
from corridor.operations import service as operations
from corridor.operations.models import Checkpoint, Operation

DAYS = 3


def load(session: Session, operation_id: int) -> None:
    """Places, stock and distributions of the demo operation, the first time only."""
    catalogue.add_default_catalogue(session, operation_id=operation_id)
    if session.scalar(select(Place.id).where(Place.operation_id == operation_id).limit(1)):
        _offline_lists(session, operation_id)  # a demo database from before they existed
        return
    operation = session.get_one(Operation, operation_id)
    lead = operation.lead_organisation_id
    checkpoints = list(
        session.scalars(
            select(Checkpoint)
            .where(Checkpoint.operation_id == operation_id)
            .order_by(Checkpoint.id)
        )
    )
    near = checkpoints[0] if checkpoints else None
    warehouse = places.create_place(
        session,
        operation_id=operation_id,
        organisation_id=lead,
        kind=PlaceKind.WAREHOUSE,
        name="Central warehouse",
        lon=1.5210,
        lat=42.5063,
        pcode=parish_pcode(1.5210, 42.5063),
        status=PlaceStatus.OPEN,
        opening_hours="07:00–19:00",
        services=["food", "non_food_items", "water"],
    )
    point = places.create_place(
        session,
        operation_id=operation_id,
        organisation_id=lead,
        kind=PlaceKind.AID_POINT,
        name="Aid point at the first checkpoint",
        lon=near.lon + 0.002 if near else 1.5340,
        lat=near.lat if near else 42.5080,
        pcode=parish_pcode(near.lon if near else 1.5340, near.lat if near else 42.5080),
        checkpoint_id=near.id if near else None,
        corridor_id=near.corridor_id if near else None,
        status=PlaceStatus.OPEN,
        opening_hours="06:00–20:00",
        services=["food", "water", "medical", "child_friendly_space"],
    )
    places.create_place(
        session,
        operation_id=operation_id,
        organisation_id=lead,
        kind=PlaceKind.AID_POINT,
        name="Aid point on the second route",
        lon=1.5795,
        lat=42.5347,
        pcode=parish_pcode(1.5795, 42.5347),
        status=PlaceStatus.PLANNED,
        services=["food", "medical"],
    )
    item = {
        code: catalogue.item_by_code(session, operation_id=operation_id, code=code)
        for code in ("FOOD-PARCEL", "BLANKET", "WATER-1.5L", "HEB", "HYGIENE-KIT", "ORS")
    }
    today = utcnow().date()
    stock.receive(
        session,
        place=warehouse,
        entries=[
            stock.Entry(
                item["FOOD-PARCEL"].id, 400, batch="FP-2611", expires_on=today + timedelta(days=25)
            ),
            stock.Entry(
                item["FOOD-PARCEL"].id, 600, batch="FP-2612", expires_on=today + timedelta(days=180)
            ),
            stock.Entry(item["BLANKET"].id, 1500),
            stock.Entry(
                item["WATER-1.5L"].id, 3000, batch="W-77", expires_on=today + timedelta(days=365)
            ),
            stock.Entry(
                item["HEB"].id, 2000, batch="HEB-09", expires_on=today + timedelta(days=240)
            ),
            stock.Entry(item["HYGIENE-KIT"].id, 300),
            stock.Entry(item["ORS"].id, 1000, batch="ORS-3", expires_on=today + timedelta(days=20)),
        ],
        recorded_by_id=None,
        counterpart="Demo donor",
        reference="GRN-0001",
        occurred_at=utcnow() - timedelta(days=DAYS + 1),
    )
    sent = waybills.create(
        session,
        operation_id=operation_id,
        from_place_id=warehouse.id,
        to_place_id=point.id,
        entries=[
            stock.Entry(item["FOOD-PARCEL"].id, 250),
            stock.Entry(item["BLANKET"].id, 400),
            stock.Entry(item["WATER-1.5L"].id, 900),
            stock.Entry(item["HEB"].id, 600),
        ],
        created_by_id=None,
        carrier="Demo transport",
    )
    waybills.dispatch(session, sent, recorded_by_id=None)
    arrivals = []
    for line in sent.lines:
        short = 6 if line.item_id == item["WATER-1.5L"].id else 0  # bottles broken on the road
        arrivals.append(waybills.Arrival(line.id, line.dispatched - short, 0, short))
    waybills.receive(session, sent, arrivals=arrivals, recorded_by_id=None)
    ledger.set_reorder_level(session, place=point, item=item["BLANKET"], quantity=300)
    entitlements.create_rule(
        session,
        operation_id=operation_id,
        name="One food parcel per household per 30 days",
        item_id=item["FOOD-PARCEL"].id,
        quantity=1,
        per="household",
        period_days=30,
    )
    entitlements.create_rule(
        session,
        operation_id=operation_id,
        name="One hygiene kit per person of 12 or more per 30 days",
        item_id=item["HYGIENE-KIT"].id,
        quantity=1,
        per="person",
        period_days=30,
        min_age_years=12,
    )
    _distributions(session, point, item)
    _consultations(session, point)
    _offline_lists(session, operation_id)


def _consultations(session: Session, point: Place) -> None:
    """A few days of consultation tallies at the aid point's medical service."""
    rng = random.Random(7)
    today = utcnow().date()
    weights = {
        "trauma_injury": 3,
        "chronic_disease": 5,
        "maternal": 2,
        "child_health": 4,
        "mental_health": 2,
        "other": 2,
    }
    tallies = []
    for days_ago in range(DAYS, -1, -1):
        for category, weight in weights.items():
            for _ in range(rng.randint(0, weight * 3)):
                tallies.append(
                    consultations.Tally(
                        id=uuid.UUID(int=rng.getrandbits(128)),
                        day=today - timedelta(days=days_ago),
                        age_band=rng.choice(["0_4", "5_17", "18_59", "18_59", "60_plus"]),
                        sex=rng.choice(["female", "male"]),
                        category=category,
                        referral=rng.choice(["none", "none", "none", "hospital"]),
                    )
                )
    consultations.record(session, place=point, tallies=tallies, recorded_by_id=None)


def _offline_lists(session: Session, operation_id: int) -> None:
    """Three distribution lists as ODK Collect sends them after a day offline: two that
    add up, and one beyond the blankets the ledger knew of (to reconcile)."""
    if session.scalar(
        select(Distribution.id)
        .where(Distribution.operation_id == operation_id, Distribution.submission_id.is_not(None))
        .limit(1)
    ):
        return
    operation = session.get_one(Operation, operation_id)
    point = session.scalar(
        select(Place)
        .where(Place.operation_id == operation_id, Place.kind == PlaceKind.AID_POINT)
        .order_by(Place.id)
        .limit(1)
    )
    officer = session.scalar(
        select(Membership.user_id)
        .where(Membership.organisation_id == operation.lead_organisation_id)
        .order_by(Membership.user_id)
        .limit(1)
    )
    principal = accounts.principal_for(session, user_id=officer) if officer else None
    if point is None or principal is None:
        return
    participation = operations.lookup(session, slug=operation.slug).participation
    form = forms.get_form(session, operation_id=operation_id, xml_form_id="distribution")
    xform = forms.current_version(session, form=form).xform
    held = {
        row.item_id: row.quantity
        for row in ledger.stock(session, place_id=point.id)
        if row.quantity
    }
    blanket = catalogue.item_by_code(session, operation_id=operation_id, code="BLANKET")
    water = catalogue.item_by_code(session, operation_id=operation_id, code="WATER-1.5L")
    rng = random.Random(11)
    lists = [
        ("anonymous", {"people_count": "3"}, [(water.id, 6)]),
        ("anonymous", {"people_count": "5"}, [(blanket.id, 2), (water.id, 10)]),
        ("anonymous", {"people_count": "40"}, [(blanket.id, held.get(blanket.id, 0) + 8)]),
    ]
    when = utcnow() - timedelta(hours=5)
    for index, (kind, extra, lines) in enumerate(lists):
        at = when + timedelta(minutes=20 * index)
        xml, _instance = build_instance(
            xform,
            {
                "start": at.isoformat(),
                "end": (at + timedelta(minutes=2)).isoformat(),
                "deviceid": "demo-aid-point",
                "aid_point": str(point.id),
                "distributed_at": at.isoformat(),
                "recipient_kind": kind,
                **extra,
            },
            {"line": [{"item": str(item), "quantity": str(qty)} for item, qty in lines]},
            instance_id=f"uuid:{uuid.UUID(int=rng.getrandbits(128))}",
        )
        submissions.receive(
            session,
            operation_id=operation_id,
            organisation_id=operation.lead_organisation_id,
            login=DeviceLogin(officer, "demo"),
            xml=xml,
            attachments=[],
            may=lambda action: decide(principal, participation, action),
        )


def _distributions(session: Session, point: Place, item: dict[str, catalogue.Item]) -> None:
    rng = random.Random(7)
    registered = list(
        session.scalars(
            select(Registration.id)
            .where(Registration.operation_id == point.operation_id)
            .order_by(Registration.created_at, Registration.id)
        )
    )
    rng.shuffle(registered)  # each registered household served once: the rules hold
    now = utcnow()
    for day in range(DAYS, 0, -1):
        for _ in range(15):
            at = now - timedelta(days=day, hours=rng.randint(0, 10))
            if registered and rng.random() < 0.4:
                recipient = distributions.Recipient(
                    kind="household", registration_id=registered.pop()
                )
            else:
                recipient = distributions.Recipient(
                    kind="anonymous", people_count=rng.randint(1, 6)
                )
            distributions.distribute(
                session,
                place=point,
                distribution_id=uuid.uuid4(),
                organisation_id=point.organisation_id,
                recipient=recipient,
                items=[
                    distributions.Given(item["FOOD-PARCEL"].id, 1),
                    distributions.Given(item["BLANKET"].id, rng.randint(1, 4)),
                    distributions.Given(item["WATER-1.5L"].id, rng.randint(2, 12)),
                ],
                recorded_by_id=None,
                distributed_at=at,
            )
