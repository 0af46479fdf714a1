"""The linkage pages: the review queue and its decisions, tracing search, duplicates."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from corridor.crossings.models import RegistrationMember
from corridor.db.session import unit_of_work
from corridor.linkage.models import ReviewItem, ReviewStatus
from corridor.operations.models import Operation
from tests.linkage.helpers import (
    background,
    khaled_and_mistaken_walid,
    make_operation,
    page_client,
)
from tests.page_helpers import csrf


@pytest.fixture
def world(runtime, factory) -> dict[str, Any]:
    operation = make_operation(runtime, factory)
    background(runtime, operation)
    operation["khaled"], operation["walid"] = khaled_and_mistaken_walid(runtime, operation)
    with unit_of_work(runtime.factory) as session:
        operation["slug"] = session.scalar(
            select(Operation.slug).where(Operation.id == operation["id"])
        )
    return operation


def test_a_coordinator_runs_the_linkage_and_decides_a_pair_on_the_page(runtime, world) -> None:
    client = page_client(runtime, world["coordinator"])
    page = f"/operations/{world['slug']}/linkage"
    assert "linkage" in client.get(f"/operations/{world['slug']}").text  # linked from the overview
    ran = client.post(
        f"{page}/runs", data={"csrf_token": csrf(client, page)}, follow_redirects=True
    )
    assert ran.status_code == 200
    assert 'id="last-run"' in ran.text
    with unit_of_work(runtime.factory) as session:
        item = session.scalar(select(ReviewItem).where(ReviewItem.operation_id == world["id"]))
        assert item is not None, "the Khaled/Walid pair should wait for a person"
        review_id = item.id
    assert f'id="review-{review_id}"' in ran.text and "Walid" in ran.text
    decided = client.post(
        f"{page}/reviews/{review_id}",
        data={"csrf_token": csrf(client, page), "decision": "same"},
        follow_redirects=True,
    )
    assert decided.status_code == 200 and f'id="review-{review_id}"' not in decided.text
    with unit_of_work(runtime.factory) as session:
        assert session.get(ReviewItem, review_id).status == ReviewStatus.SAME


def test_tracing_search_and_the_duplicates_on_a_submission(runtime, world, factory) -> None:
    client = page_client(runtime, world["coordinator"])
    found = client.get(
        f"/operations/{world['slug']}/linkage/search",
        params={"given_name": "Khaled", "family_name": "Halabi", "age": "39"},
    )
    assert found.status_code == 200 and "خالد" in found.text
    assert 'class="card candidate"' in found.text
    refused = client.get(f"/operations/{world['slug']}/linkage/search", params={"age": "39"})
    assert refused.status_code == 200 and "no names at all" in refused.text
    with unit_of_work(runtime.factory) as session:
        registration = session.scalar(
            select(RegistrationMember.registration_id).where(
                RegistrationMember.id == uuid.UUID(world["walid"][0])
            )
        )
    fragment = client.get(
        f"/operations/{world['slug']}/linkage/registrations/{registration}/duplicates"
    )
    assert fragment.status_code == 200 and 'id="possible-duplicates"' in fragment.text
    officer = page_client(runtime, world["officer"])
    assert officer.get(f"/operations/{world['slug']}/linkage").status_code == 403
    assert (
        officer.get(
            f"/operations/{world['slug']}/linkage/registrations/{registration}/duplicates"
        ).status_code
        == 403
    )
