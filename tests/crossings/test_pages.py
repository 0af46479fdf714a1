"""The crossings pages: forms and devices, web registration, submissions by role."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from corridor.accounts.models import Role
from corridor.crossings.models import Registration
from corridor.db.session import unit_of_work
from corridor.runtime import Runtime
from tests.crossings.openrosa_helpers import post, registration
from tests.factories import Factory
from tests.page_helpers import csrf, sign_in


def _signed_in(world: dict[str, Any], login: str) -> TestClient:
    client = TestClient(world["app"])
    assert sign_in(client, login) == 303
    return client


def test_forms_page_publishes_refuses_and_issues_device_credentials(
    world: dict[str, Any],
) -> None:
    client = _signed_in(world, world["coordinator_user"].login)
    page = f"/operations/{world['slug']}/forms"
    shown = client.get(page)
    assert shown.status_code == 200 and "registration" in shown.text
    assert f"/openrosa/{world['slug']}" in shown.text
    token = csrf(client, page)
    refused = client.post(
        page,
        data={"csrf_token": token},
        files={"xlsform": ("notes.txt", b"not a form", "text/plain")},
    )
    assert refused.status_code == 422 and "XLSForm" in refused.text
    issued = client.post(
        f"/operations/{world['slug']}/devices",
        data={"csrf_token": token, "name": "Phone 7", "user_id": str(world["officer"].id)},
    )
    assert issued.status_code == 200 and "<svg" in issued.text
    assert issued.headers["cache-control"] == "no-store"
    closed = client.post(
        f"/operations/{world['slug']}/forms/headcount/state",
        data={"csrf_token": token, "state": "closed"},
        follow_redirects=False,
    )
    assert closed.status_code == 303


def test_a_household_registered_on_the_web_is_stored_like_a_phone_submission(
    world: dict[str, Any], runtime: Runtime
) -> None:
    client = _signed_in(world, world["officer"].login)
    page = f"/operations/{world['slug']}/register"
    token = csrf(client, page)
    base = {
        "csrf_token": token,
        "checkpoint": str(world["checkpoint"]),
        "explained_purpose": "1",
        "m0_relationship": "head",
        "m0_given_name_ar": "هدى",
        "m0_given_name_lat": "Huda",
        "m0_sex": "female",
        "m0_dob_precision": "year",
        "m0_dob": "1985-01-01",
        "m1_relationship": "son",
        "m1_given_name_lat": "Omar",
        "m1_sex": "male",
        "m1_dob_precision": "estimated_age",
        "m1_age_estimate": "7",
        "m1_child_status": "accompanied",
        "destination_text": "Ordino",
    }
    refused = client.post(page, data=base)  # neither consent nor a lawful basis
    assert refused.status_code == 400 and "lawful basis" in refused.text
    assert "Huda" in refused.text  # what was typed is kept on the page
    stored = client.post(page, data={**base, "given": "yes"}, follow_redirects=False)
    assert stored.status_code == 303
    with unit_of_work(runtime.factory) as session:
        (reg,) = session.scalars(select(Registration))
        assert reg.household_size == 2 and reg.destination_text == "Ordino"
        assert [m.given_name_lat for m in reg.members] == ["Huda", "Omar"]
        assert reg.members[1].age_estimate == 7


def test_submissions_pages_show_records_to_roles_that_read_personal_data_only(
    world: dict[str, Any], factory: Factory
) -> None:
    xml, _ = registration(world)
    assert post(world, xml).status_code == 201
    coordinator = _signed_in(world, world["coordinator_user"].login)
    listed = coordinator.get(f"/operations/{world['slug']}/submissions")
    assert listed.status_code == 200 and "submission-list" in listed.text
    link = re.search(rf"/operations/{world['slug']}/submissions/([0-9a-f-]{{36}})", listed.text)
    assert link is not None
    detail = coordinator.get(link.group(0))
    assert detail.status_code == 200 and "محمد" in detail.text
    viewer = factory.user(world["lead"], Role.VIEWER)
    other = _signed_in(world, viewer.login)
    counts_only = other.get(f"/operations/{world['slug']}/submissions")
    assert counts_only.status_code == 200
    assert "submission-counts" in counts_only.text and "submission-list" not in counts_only.text
    assert other.get(link.group(0)).status_code == 403
    filtered = coordinator.get(f"/operations/{world['slug']}/submissions?state=lost")
    assert filtered.status_code == 200 and "state" in filtered.text
