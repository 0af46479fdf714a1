"""Persons and households in the operation database: stable ids, aliases, review decisions."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from corridor.accounts.models import Role, User
from corridor.crossings.models import RegistrationMember
from corridor.db.session import Actor, unit_of_work
from corridor.linkage import persons
from corridor.linkage.models import PersonAlias, ReviewItem, ReviewStatus
from corridor.operations.models import Operation
from corridor.web.app import create_app
from tests.linkage.helpers import (
    FAMILY_AR,
    FAMILY_LAT,
    background,
    halabi_child,
    households_of,
    khaled_and_mistaken_walid,
    khaled_head,
    make_operation,
    member,
    register,
    run,
)

pytestmark = pytest.mark.db


def api_client(runtime, factory, operation) -> tuple[TestClient, dict[str, str], str]:
    """A client with the lead coordinator's token, and the linkage API's base path."""
    with unit_of_work(runtime.factory) as session:
        coordinator = session.get(User, operation["coordinator"])
        slug = session.scalar(select(Operation.slug).where(Operation.id == operation["id"]))
    client = TestClient(create_app(runtime=runtime, start_jobs=False))
    headers = {"Authorization": f"Bearer {factory.token(coordinator)}"}
    return client, headers, f"/api/v1/operations/{slug}/linkage"


@pytest.fixture
def operation(runtime, factory) -> dict[str, Any]:
    return make_operation(runtime, factory)


def test_the_same_family_registered_in_two_scripts_is_one_household_of_persons(
    runtime,
    operation,
) -> None:
    background(runtime, operation)
    first = register(
        runtime,
        operation,
        [
            khaled_head(),
            halabi_child("يوسف", "male", "2015"),
        ],
    )
    second = register(
        runtime,
        operation,
        [
            member("head", {"given_name_lat": "Khaled", **FAMILY_LAT}, "male", "1987"),
            member(
                "son",
                {
                    "given_name_lat": "Youssef",
                    "father_name_lat": "Khaled",
                    "family_name_lat": "Al-Halabi",
                },
                "male",
                "2015",
            ),
        ],
    )
    person = run(runtime, operation)
    assert person[first[0]] == person[second[0]]
    assert person[first[1]] == person[second[1]]
    assert person[first[0]] != person[first[1]]  # father and son stay two persons
    households = households_of(runtime, operation)
    family = households[person[first[0]]]
    assert households[person[first[1]]] == family
    others = {households[p] for m, p in person.items() if m not in (*first, *second)}
    assert family not in others and len(others) == 9


def test_ids_survive_a_rerun_and_new_registrations(runtime, operation) -> None:
    background(runtime, operation)
    first = register(
        runtime,
        operation,
        [khaled_head()],
    )
    before = run(runtime, operation)
    assert run(runtime, operation) == before
    register(
        runtime,
        operation,
        [
            member(
                "head",
                {"given_name_ar": "نبيل", "father_name_ar": "سالم", "family_name_ar": "القاسم"},
                "male",
                "1970",
            )
        ],
    )
    after = run(runtime, operation)
    assert all(after[member] == person for member, person in before.items())
    assert len(after) == len(before) + 1
    assert first[0] in after


def test_review_decisions_merge_and_split_and_later_runs_respect_them(
    runtime,
    operation,
) -> None:
    background(runtime, operation)
    older, newer = khaled_and_mistaken_walid(runtime, operation)
    person = run(runtime, operation)
    assert person[older[0]] != person[newer[0]]
    with unit_of_work(runtime.factory, Actor(label="coordinator")) as session:
        item = persons.decide_pair(
            session,
            operation_id=operation["id"],
            member_a=uuid.UUID(older[0]),
            member_b=uuid.UUID(newer[0]),
            same=True,
            user_id=operation["coordinator"],
        )
        assert item.status == ReviewStatus.SAME
    merged = run(runtime, operation)
    kept = merged[older[0]]
    assert merged[newer[0]] == kept == person[older[0]]  # the older id is kept
    with unit_of_work(runtime.factory) as session:
        assert persons.resolve(session, uuid.UUID(person[newer[0]])) == uuid.UUID(kept)
        alias = session.get(PersonAlias, uuid.UUID(person[newer[0]]))
        assert alias is not None and str(alias.person_id) == kept
    # A coordinator splits them again: "different" binds every later run.
    with unit_of_work(runtime.factory, Actor(label="coordinator")) as session:
        item = session.scalar(select(ReviewItem).where(ReviewItem.operation_id == operation["id"]))
        item.status = ReviewStatus.DIFFERENT
    split = run(runtime, operation)
    assert split[older[0]] == kept and split[newer[0]] != kept
    assert run(runtime, operation) == split


def test_a_decision_is_taken_once(runtime, operation) -> None:
    a = register(
        runtime,
        operation,
        [member("head", {"given_name_ar": "خالد", **FAMILY_AR}, "male", "1987")],
    )
    b = register(
        runtime, operation, [member("head", {"given_name_ar": "حسن", **FAMILY_AR}, "male", "1989")]
    )
    with unit_of_work(runtime.factory) as session:
        item = persons.decide_pair(
            session,
            operation_id=operation["id"],
            member_a=uuid.UUID(a[0]),
            member_b=uuid.UUID(b[0]),
            same=False,
            user_id=operation["coordinator"],
        )
        with pytest.raises(Exception, match="already decided"):
            persons.decide(
                session,
                operation_id=operation["id"],
                review_id=item.id,
                same=True,
                user_id=operation["coordinator"],
            )
    with unit_of_work(runtime.factory) as session:
        assert session.scalar(
            select(RegistrationMember.id).where(RegistrationMember.id == uuid.UUID(a[0]))
        )


def test_the_api_runs_lists_decides_and_resolves(runtime, operation, factory) -> None:

    background(runtime, operation)
    older, newer = khaled_and_mistaken_walid(runtime, operation)
    client, headers, base = api_client(runtime, factory, operation)
    run = client.post(f"{base}/runs", headers=headers)
    assert run.status_code == 201, run.text
    assert run.json()["records"] == 11 and run.json()["persons"] == 11
    body = {"member_a": older[0], "member_b": newer[0], "same": True}
    decided = client.post(f"{base}/decisions", headers=headers, json=body)
    assert decided.status_code == 201, decided.text
    assert decided.json()["a"]["given_name"] in ("خالد", "Walid")
    again = client.post(
        f"{base}/reviews/{decided.json()['id']}/decision", headers=headers, json={"same": False}
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    second = client.post(f"{base}/runs", headers=headers).json()
    assert second["persons"] == 10
    sides = {side["member_id"]: side for side in (decided.json()["a"], decided.json()["b"])}
    old_person = sides[newer[0]]["person_id"]  # before the run that merged it
    resolved = client.get(f"{base}/persons/{old_person}", headers=headers)
    assert resolved.status_code == 200
    assert set(resolved.json()["members"]) == {older[0], newer[0]}
    outsider = factory.user(factory.organisation(), Role.COORDINATOR)
    listed = client.get(
        f"{base}/reviews", headers={"Authorization": f"Bearer {factory.token(outsider)}"}
    )
    assert listed.status_code == 404  # another organisation's coordinator: not a participant
    bad = client.post(
        f"{base}/decisions", headers=headers, json={"member_a": older[0], "same": True}
    )
    assert bad.status_code == 422 and "member_b" in bad.text


def test_tracing_search_and_possible_duplicates(runtime, operation, factory) -> None:

    background(runtime, operation)
    family = register(
        runtime,
        operation,
        [
            khaled_head(),
            halabi_child("مريم", "female", "2016"),
        ],
    )
    persons_before = run(runtime, operation)
    client, headers, base = api_client(runtime, factory, operation)
    # A relative asks in Latin script, knowing the name, the father and an age.
    found = client.post(
        f"{base}/search",
        headers=headers,
        json={
            "given_name": "Khaled",
            "father_name": "Abdul Rahman",
            "family_name": "Halabi",
            "age": 40,
        },
    )
    assert found.status_code == 200, found.text
    best = found.json()[0]
    assert best["person_id"] == persons_before[family[0]]
    assert {"given", "family", "parents"} <= set(best["agreeing"])
    assert all(c["probability"] <= best["probability"] for c in found.json())
    empty = client.post(f"{base}/search", headers=headers, json={"age": 40})
    assert empty.status_code == 422 and "given_name" in empty.text
    # The same family registered again, in Latin script: flagged before any run.
    again = register(
        runtime,
        operation,
        [member("head", {"given_name_lat": "Khaled", **FAMILY_LAT}, "male", "1987")],
    )
    with unit_of_work(runtime.factory) as session:
        registration = session.scalar(
            select(RegistrationMember.registration_id).where(
                RegistrationMember.id == uuid.UUID(again[0])
            )
        )
    flagged = client.get(
        f"{base}/registrations/{registration}/possible-duplicates", headers=headers
    )
    assert flagged.status_code == 200, flagged.text
    candidates = flagged.json()[again[0]]
    assert candidates and candidates[0]["person_id"] == persons_before[family[0]]
