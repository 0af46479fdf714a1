"""The reports pages and API: drafts for every participant, publishing for the lead."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from corridor.accounts.models import Organisation, Role
from corridor.db.session import unit_of_work
from corridor.web.app import create_app
from tests.factories import Factory
from tests.page_helpers import csrf, sign_in
from tests.reports.conftest import DAY, ReportWorld
from tests.web.conftest import bearer

pytestmark = pytest.mark.db


def _users(world: ReportWorld, factory: Factory):
    with unit_of_work(world.runtime.factory) as session:
        lead = session.get(Organisation, world.lead_id)
    partner = factory.organisation()
    factory.join(world.operation, partner)
    return factory.user(lead, Role.COORDINATOR), factory.user(partner, Role.COORDINATOR)


def test_a_partner_reads_reports_and_only_the_lead_publishes(
    world: ReportWorld, factory: Factory
) -> None:
    world.headcount(world.north_gate, DAY, 9, "outbound", female_18_59=30, male_0_4=3)
    lead_coordinator, partner_coordinator = _users(world, factory)
    client = TestClient(create_app(runtime=world.runtime, start_jobs=False))
    base = f"/api/v1/operations/{world.operation.slug}"
    partner = bearer(factory.token(partner_coordinator))
    draft = client.get(f"{base}/sitrep", params={"date": str(DAY)}, headers=partner)
    assert draft.status_code == 200
    crossed = next(f for f in draft.json()["key_figures"] if f["id"] == "crossed")
    assert crossed["value"] == 33
    refused = client.post(f"{base}/sitreps", json={"from": str(DAY)}, headers=partner)
    assert refused.status_code == 403
    lead = bearer(factory.token(lead_coordinator))
    published = client.post(f"{base}/sitreps", json={"from": str(DAY)}, headers=lead)
    assert published.status_code == 201, published.text
    again = client.post(f"{base}/sitreps", json={"from": str(DAY)}, headers=lead)
    assert again.status_code == 200 and again.json()["id"] == published.json()["id"]
    listed = client.get(f"{base}/sitreps", headers=partner).json()
    assert [(r["version"], r["current"]) for r in listed] == [(1, True)]
    pdf = client.get(listed[0]["files"]["pdf"], headers=partner)
    assert pdf.content.startswith(b"%PDF")
    assert f"sitrep-{world.operation.slug}-{DAY}-v1.pdf" in pdf.headers["content-disposition"]
    for params, field in (
        ({"date": "2026-02-31"}, "date"),
        ({"from": "2026-01-01", "to": "2026-12-01"}, "to"),
        ({}, "date"),
    ):
        bad = client.get(f"{base}/sitrep.csv", params=params, headers=partner)
        assert bad.status_code == 422, bad.text
        assert bad.json()["detail"].startswith(field)


def test_the_pages_show_a_draft_and_publish_it(world: ReportWorld, factory: Factory) -> None:
    world.headcount(world.south_gate, DAY, 9, "inbound", female_18_59=12)
    lead_coordinator, partner_coordinator = _users(world, factory)
    slug = world.operation.slug
    client = TestClient(create_app(runtime=world.runtime, start_jobs=False))
    assert sign_in(client, partner_coordinator.login) == 303
    page = client.get(f"/operations/{slug}/reports/sitrep", params={"date": str(DAY)})
    assert page.status_code == 200 and "Situation report" in page.text
    assert 'id="publish-this"' not in page.text  # a partner does not publish
    client = TestClient(create_app(runtime=world.runtime, start_jobs=False))
    assert sign_in(client, lead_coordinator.login) == 303
    index = client.get(f"/operations/{slug}/reports")
    assert 'id="publish-form"' in index.text
    token = csrf(client, f"/operations/{slug}/reports")
    done = client.post(
        f"/operations/{slug}/reports/publish",
        data={"first": str(DAY), "last": str(DAY), "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    published = client.get(done.headers["location"])
    assert "version 1" in published.text and "The report has been published." in published.text
    assert "12" in published.text
