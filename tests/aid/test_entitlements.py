"""Entitlements are counted against the deduplicated household: a family registered
twice does not receive twice; per-person rules count the members of the age."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from corridor.accounts.models import Organisation, Role
from corridor.aid import (
    catalogue,
    distributions,
    entitlement_table,
    entitlements,
    ledger,
    places,
    stock,
)
from corridor.aid.models import Distribution, Movement, Place, PlaceKind, PlaceStatus
from corridor.audit.models import AccessLogEntry
from corridor.crossings.models import RegistrationMember
from corridor.db.session import Actor, unit_of_work
from corridor.linkage.models import PersonAlias
from corridor.operations.models import Operation
from corridor.runtime import Runtime
from corridor.web.app import create_app
from tests.factories import Factory
from tests.linkage.helpers import halabi_child, khaled_head, make_operation, register, run
from tests.web.conftest import bearer


@pytest.fixture
def world(runtime: Runtime, factory: Factory) -> dict[str, Any]:
    operation = make_operation(runtime, factory)
    with unit_of_work(runtime.factory, Actor(label="test")) as session:
        point = places.create_place(
            session,
            operation_id=operation["id"],
            organisation_id=operation["lead"],
            kind=PlaceKind.AID_POINT,
            name="Aid point",
            lon=1.5,
            lat=42.5,
            status=PlaceStatus.OPEN,
        )
        codes = ("FOOD-PARCEL", "HYGIENE-KIT")
        items = {
            code: catalogue.item_by_code(session, operation_id=operation["id"], code=code)
            for code in codes
        }
        stock.receive(
            session,
            place=point,
            entries=[
                stock.Entry(items["FOOD-PARCEL"].id, 100, batch="FP", expires_on=None),
                stock.Entry(items["HYGIENE-KIT"].id, 100),
            ],
            recorded_by_id=None,
        )
        entitlements.create_rule(
            session,
            operation_id=operation["id"],
            name="One food parcel per household per 30 days",
            item_id=items["FOOD-PARCEL"].id,
            quantity=1,
            per="household",
            period_days=30,
        )
        entitlements.create_rule(
            session,
            operation_id=operation["id"],
            name="One hygiene kit per person of 12 or more per 30 days",
            item_id=items["HYGIENE-KIT"].id,
            quantity=1,
            per="person",
            period_days=30,
            min_age_years=12,
        )
    return {**operation, "point": point.id, "items": {c: i.id for c, i in items.items()}}


def _halabis(runtime: Runtime, world: dict[str, Any]) -> list[str]:
    return register(
        runtime,
        world,
        [
            khaled_head(),
            halabi_child("سارة", "female", "2010-05-01"),
            halabi_child("عمر", "male", "2020"),
        ],
    )


def _registration_of(runtime: Runtime, member_id: str) -> uuid.UUID:
    with unit_of_work(runtime.factory) as session:
        return session.get_one(RegistrationMember, uuid.UUID(member_id)).registration_id


def _give(
    runtime: Runtime, world: dict[str, Any], code: str, quantity: int, **recipient: Any
) -> Distribution:
    override = recipient.pop("override", None)
    with unit_of_work(runtime.factory) as session:
        return distributions.distribute(
            session,
            place=session.get_one(Place, world["point"]),
            distribution_id=uuid.uuid4(),
            organisation_id=world["lead"],
            recipient=distributions.Recipient(**{"kind": "household", **recipient}),
            items=[distributions.Given(world["items"][code], quantity)],
            recorded_by_id=world["coordinator"],
            override_reason=override,
            may_override=override is not None,
        ).distribution


def test_a_household_registered_twice_receives_once(
    runtime: Runtime, world: dict[str, Any]
) -> None:
    first = _registration_of(runtime, _halabis(runtime, world)[0])
    second = _registration_of(runtime, _halabis(runtime, world)[0])  # at another checkpoint
    other = _registration_of(
        runtime, register(runtime, world, [halabi_child("ليلى", "female", "1990")])[0]
    )
    _give(runtime, world, "FOOD-PARCEL", 1, registration_id=second)
    # Before the linkage has run, each registration is its own household.
    _give(runtime, world, "FOOD-PARCEL", 1, registration_id=first)
    run(runtime, world)
    with pytest.raises(entitlements.EntitlementExceeded, match="2 of 1 already received"):
        _give(runtime, world, "FOOD-PARCEL", 1, registration_id=first)
    with pytest.raises(entitlements.EntitlementExceeded):
        _give(runtime, world, "FOOD-PARCEL", 1, registration_id=second)
    _give(runtime, world, "FOOD-PARCEL", 1, registration_id=other)  # another family
    # Beyond the rule only with a reason, which is kept.
    given = _give(
        runtime, world, "FOOD-PARCEL", 1, registration_id=first, override="family of eleven"
    )
    assert given.override_reason == "family of eleven"
    assert given.overridden_by_id == world["coordinator"]
    with unit_of_work(runtime.factory) as session:
        assert session.scalar(select(func.count()).select_from(Distribution)) == 4


def test_per_person_rules_count_the_members_of_the_age(
    runtime: Runtime, world: dict[str, Any]
) -> None:
    registration = _registration_of(runtime, _halabis(runtime, world)[0])
    # Khaled (born 1987) and Sara (2010) are 12 or more; Omar (2020) is not.
    _give(runtime, world, "HYGIENE-KIT", 2, registration_id=registration)
    with pytest.raises(entitlements.EntitlementExceeded, match="2 of 2"):
        _give(runtime, world, "HYGIENE-KIT", 1, registration_id=registration)


def test_what_was_given_under_a_merged_id_or_reversed_is_followed(
    runtime: Runtime, world: dict[str, Any]
) -> None:
    members = _halabis(runtime, world)
    person = uuid.UUID(run(runtime, world)[members[0]])
    older = uuid.uuid4()
    with unit_of_work(runtime.factory) as session:
        session.add(PersonAlias(old_id=older, operation_id=world["id"], person_id=person))
    given = _give(runtime, world, "FOOD-PARCEL", 1, kind="individual", person_id=older)
    with unit_of_work(runtime.factory) as session:
        identity = entitlements.identify(session, operation_id=world["id"], person_id=person)
        (parcel,) = [
            s
            for s in entitlements.standing(
                session, operation_id=world["id"], identity=identity, individual=False
            )
            if s.rule.item_id == world["items"]["FOOD-PARCEL"]
        ]
        assert (parcel.received, parcel.remaining) == (1, 0)
        assert older in identity.person_ids and len(identity.ages) == 3
        ledger.reverse(
            session,
            movement=session.get_one(Movement, given.movement_id),
            reason="handed to the wrong family",
            recorded_by_id=None,
        )
    _give(runtime, world, "FOOD-PARCEL", 1, person_id=person)  # the reversed one no longer counts


def test_the_status_lookup_and_overrides_over_the_api(
    runtime: Runtime, world: dict[str, Any], factory: Factory
) -> None:
    registration = _registration_of(runtime, _halabis(runtime, world)[0])
    lead = Organisation(id=world["lead"])
    client = TestClient(create_app(runtime=runtime, start_jobs=False))
    url = f"/api/v1/operations/{world['slug']}/aid"
    officer = bearer(factory.token(factory.user(lead, Role.FIELD_OFFICER)))
    coordinator = bearer(factory.token(factory.user(lead, Role.COORDINATOR)))
    body = {
        "place_id": world["point"],
        "recipient": {"kind": "household", "registration_id": str(registration)},
        "items": [{"item_id": world["items"]["FOOD-PARCEL"], "quantity": 1}],
    }
    first = {**body, "id": str(uuid.uuid4())}
    assert client.post(f"{url}/distributions", json=first, headers=officer).status_code == 201
    # Sent again after a lost answer: acknowledged, not refused for the entitlement
    # it used up itself.
    again = client.post(f"{url}/distributions", json=first, headers=officer)
    assert again.status_code == 200 and again.json()["created"] is False
    refused = client.post(
        f"{url}/distributions", json={**body, "id": str(uuid.uuid4())}, headers=officer
    )
    assert refused.status_code == 409 and "entitlement exceeded" in refused.json()["detail"]
    overriding = {**body, "id": str(uuid.uuid4()), "override_reason": "newborn"}
    assert client.post(f"{url}/distributions", json=overriding, headers=officer).status_code == 403
    assert (
        client.post(f"{url}/distributions", json=overriding, headers=coordinator).status_code == 201
    )

    status = client.get(
        f"{url}/entitlements", params={"registration_id": str(registration)}, headers=officer
    )
    assert status.status_code == 200
    answer = status.json()
    assert answer["household_members"] == 3
    parcel = next(r for r in answer["rules"] if r["item_id"] == world["items"]["FOOD-PARCEL"])
    assert (parcel["allowance"], parcel["received"], parcel["remaining"]) == (1, 2, 0)
    with unit_of_work(runtime.factory) as session:
        logged = session.scalar(
            select(func.count())
            .select_from(AccessLogEntry)
            .where(AccessLogEntry.entity_type == "entitlement_status")
        )
    assert logged == 1


def test_an_officer_of_another_organisation_finds_the_household_and_no_more(
    runtime: Runtime, world: dict[str, Any], factory: Factory
) -> None:
    _halabis(runtime, world)  # registered by the lead organisation
    partner = factory.organisation()
    with unit_of_work(runtime.factory) as session:
        operation = session.get_one(Operation, world["id"])
    factory.join(operation, partner)
    client = TestClient(create_app(runtime=runtime, start_jobs=False))
    url = f"/api/v1/operations/{world['slug']}/aid/recipients"
    officer = bearer(factory.token(factory.user(partner, Role.FIELD_OFFICER)))
    viewer = bearer(factory.token(factory.user(partner, Role.VIEWER)))
    found = client.get(
        url, params={"given_name": "Khaled", "family_name": "Al-Halabi"}, headers=officer
    )
    assert found.status_code == 200, found.text
    (household,) = found.json()
    assert set(household) == {
        "registration_id",
        "name",
        "household_members",
        "probability",
        "rules",
    }
    assert "خالد" in household["name"] and household["household_members"] == 3
    parcel = next(r for r in household["rules"] if r["item_id"] == world["items"]["FOOD-PARCEL"])
    assert parcel["remaining"] == 1
    assert client.get(url, params={"given_name": "Khaled"}, headers=viewer).status_code == 403
    with unit_of_work(runtime.factory) as session:
        logged = set(
            session.scalars(
                select(AccessLogEntry.entity_type).where(AccessLogEntry.action.like("aid.%"))
            )
        )
    assert logged == {"recipient_search", "registration"}


def test_the_table_phones_take_offline_agrees_with_the_lookup(
    runtime: Runtime, world: dict[str, Any]
) -> None:
    first = _registration_of(runtime, _halabis(runtime, world)[0])
    second = _registration_of(runtime, _halabis(runtime, world)[0])
    alone = register(runtime, world, [halabi_child("ليلى", "female", "1990")])
    _give(runtime, world, "FOOD-PARCEL", 1, registration_id=second)
    _give(runtime, world, "HYGIENE-KIT", 1, registration_id=first)
    persons = run(runtime, world)
    older = uuid.uuid4()  # given under an id merged away since
    with unit_of_work(runtime.factory) as session:
        session.add(
            PersonAlias(
                old_id=older, operation_id=world["id"], person_id=uuid.UUID(persons[alone[0]])
            )
        )
    _give(runtime, world, "HYGIENE-KIT", 1, kind="individual", person_id=older)
    with unit_of_work(runtime.factory) as session:
        table = entitlement_table.table(session, operation_id=world["id"])
        assert len(table) == 3
        for row in table:
            identity = entitlements.identify(
                session, operation_id=world["id"], registration_id=row.registration_id
            )
            expected: dict[int, tuple[int, int, int]] = {}
            for s in entitlements.standing(
                session, operation_id=world["id"], identity=identity, individual=False
            ):
                figures = (s.allowance, s.received, s.remaining)
                if s.rule.item_id not in expected or s.remaining < expected[s.rule.item_id][2]:
                    expected[s.rule.item_id] = figures
            assert row.items == expected
            assert row.household_size == max(1, len(identity.ages))
        kits = world["items"]["HYGIENE-KIT"]
        by_registration = {row.registration_id: row for row in table}
        # The Halabis, registered twice, are one household of three (two of 12 or more).
        assert by_registration[first].items == by_registration[second].items
        assert by_registration[first].items[kits] == (2, 1, 1)
        assert by_registration[first].household_size == 3
