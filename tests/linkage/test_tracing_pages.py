"""The tracing request pages: open a request, look at its matches, record findings, close."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from corridor.accounts.models import User
from corridor.db.session import unit_of_work
from corridor.linkage.models import TracingMatch, TracingRequest, TracingStatus
from corridor.operations.models import Operation
from corridor.web.app import create_app
from tests.linkage.helpers import background, khaled_head, make_operation, page_client, register
from tests.page_helpers import csrf


@pytest.fixture
def world(runtime, factory) -> dict[str, Any]:
    operation = make_operation(runtime, factory)
    background(runtime, operation)
    operation["khaled"] = register(runtime, operation, [khaled_head()])
    with unit_of_work(runtime.factory) as session:
        operation["slug"] = session.scalar(
            select(Operation.slug).where(Operation.id == operation["id"])
        )
    return operation


def test_a_caseworker_opens_a_request_confirms_a_match_and_closes_it(runtime, world) -> None:
    client = page_client(runtime, world["coordinator"])
    page = f"/operations/{world['slug']}/linkage/tracing"
    assert "tracing" in client.get(f"/operations/{world['slug']}/linkage").text  # linked
    # The form carries the session's token itself (not only the header's forms).
    form = client.get(page).text.split('id="tracing-request"')[1]
    assert f'name="csrf_token" value="{csrf(client, page)}"' in form.split("</form>")[0]
    opened = client.post(
        page,
        data={
            "csrf_token": csrf(client, page),
            "given_name": "خالد",  # the request in Arabic, the registration in Latin
            "father_name": "عبد الرحمن",
            "family_name": "الحلبي",
            "age_estimate": "٣٩",
            "enquirer_name": "Enquirer",
            "relationship": "sibling",
            "consent_to_share": "yes",
        },
        follow_redirects=True,
    )
    assert opened.status_code == 200
    with unit_of_work(runtime.factory) as session:
        request = session.scalar(
            select(TracingRequest).where(TracingRequest.operation_id == world["id"])
        )
        assert request is not None and request.consent_to_share
        match = session.scalar(select(TracingMatch).where(TracingMatch.request_id == request.id))
        assert match is not None, "Khaled, registered before, should be a possible match"
        request_id, match_id = request.id, match.id
        new = session.scalar(
            select(func.count()).where(
                TracingMatch.request_id == request.id, TracingMatch.status == "new"
            )
        )
    assert f'id="match-{match_id}"' in opened.text
    listed = client.get(page)
    row = listed.text.split(str(request_id))[1].split("</tr>")[0]
    assert f"<bdi>{new}</bdi>" in row  # the new matches counted on the list
    assert "badge warning" not in row  # an adult looked for: no priority

    detail = f"{page}/{request_id}"
    confirmed = client.post(
        f"{detail}/matches/{match_id}",
        data={"csrf_token": csrf(client, detail), "decision": "confirmed"},
        follow_redirects=True,
    )
    assert confirmed.status_code == 200
    closed = client.post(
        f"{detail}/close", data={"csrf_token": csrf(client, detail)}, follow_redirects=True
    )
    assert closed.status_code == 200 and 'id="close-request"' not in closed.text
    with unit_of_work(runtime.factory) as session:
        assert session.get(TracingMatch, match_id).status == "confirmed"
        assert session.get(TracingRequest, request_id).status == TracingStatus.CLOSED


def test_a_request_that_cannot_be_matched_is_refused_and_nothing_is_stored(runtime, world) -> None:
    client = page_client(runtime, world["coordinator"])
    page = f"/operations/{world['slug']}/linkage/tracing"
    refused = client.post(
        page, data={"csrf_token": csrf(client, page), "age_estimate": "39", "given_name": " "}
    )
    assert refused.status_code == 422
    assert 'id="given_name-error"' in refused.text
    bad_date = client.post(
        page,
        data={"csrf_token": csrf(client, page), "given_name": "Ali", "birth_date": "1987-13-40"},
    )
    assert bad_date.status_code == 422 and 'id="birth_date-error"' in bad_date.text
    with unit_of_work(runtime.factory) as session:
        assert session.scalar(select(TracingRequest.id)) is None


def test_the_api_lists_decides_and_closes_and_an_officer_sees_nothing(
    runtime, world, factory
) -> None:
    with unit_of_work(runtime.factory) as session:
        coordinator = session.get(User, world["coordinator"])
        officer = session.get(User, world["officer"])
    client = TestClient(create_app(runtime=runtime, start_jobs=False))
    client.headers["Authorization"] = f"Bearer {factory.token(coordinator)}"
    api = f"/api/v1/operations/{world['slug']}/linkage/tracing-requests"
    created = client.post(
        api,
        json={
            "sought": {"given_name": "Khaled", "family_name": "Al-Halabi", "age_estimate": "39"},
            "consent_to_share": True,
        },
    )
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    assert [item["id"] for item in client.get(api).json()] == [request_id]
    matches = client.get(f"{api}/{request_id}/matches").json()
    assert matches
    wrong = client.post(
        f"{api}/{request_id}/matches/{matches[0]['id']}/decision", json={"decision": "maybe"}
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "decision"
    decided = client.post(
        f"{api}/{request_id}/matches/{matches[0]['id']}/decision", json={"decision": "rejected"}
    )
    assert decided.status_code == 200 and decided.json()["status"] == "rejected"
    assert client.post(f"{api}/{request_id}/close").json()["status"] == "closed"
    assert client.post(f"{api}/{request_id}/close").status_code == 409
    officer_pages = page_client(runtime, world["officer"])
    assert officer_pages.get(f"/operations/{world['slug']}/linkage/tracing").status_code == 403
    officer_api = {"Authorization": f"Bearer {factory.token(officer)}"}
    assert client.get(api, headers=officer_api).status_code == 403
