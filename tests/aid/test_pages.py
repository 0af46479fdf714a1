"""The aid pages: aid points and stock, a place's stock, and the distribution screen,
through the app's own forms and, once, in Chromium."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect, sync_playwright
from sqlalchemy import func, select

from corridor.accounts.models import Organisation, Role
from corridor.aid import entitlements, stock
from corridor.aid.models import Distribution, Place
from corridor.audit.models import AccessLogEntry
from corridor.crossings import forms
from corridor.crossings.models import RegistrationMember
from corridor.db.session import unit_of_work
from corridor.operations.models import Checkpoint
from corridor.runtime import Runtime
from corridor.web.app import create_app
from tests.aid.conftest import AidWorld
from tests.conftest import STRONG_PASSWORD
from tests.factories import Factory
from tests.linkage.helpers import halabi_child, khaled_head, register
from tests.page_helpers import csrf, sign_in
from tests.web.browser_support import LiveServer, launch_chromium, open_site


@pytest.fixture
def stocked(aid: AidWorld, runtime: Runtime, factory: Factory) -> dict[str, Any]:
    parcels = aid.item(runtime, "FOOD-PARCEL")
    blankets = aid.item(runtime, "BLANKET")
    with unit_of_work(runtime.factory) as session:
        stock.receive(
            session,
            place=session.get_one(Place, aid.point.id),
            entries=[
                stock.Entry(parcels.id, 20, batch="FP-1", expires_on=None),
                stock.Entry(blankets.id, 50),
            ],
            recorded_by_id=None,
        )
        entitlements.create_rule(
            session,
            operation_id=aid.operation.id,
            name="One food parcel per household per 30 days",
            item_id=parcels.id,
            quantity=1,
            per="household",
            period_days=30,
        )
    officer = factory.user(Organisation(id=aid.lead_id), Role.FIELD_OFFICER)
    return {"parcels": parcels.id, "blankets": blankets.id, "officer": officer.login}


def _registration(runtime: Runtime, factory: Factory, aid: AidWorld) -> str:
    with unit_of_work(runtime.factory) as session:
        checkpoint = Checkpoint(operation_id=aid.operation.id, name="Gate", lon=1.5, lat=42.5)
        session.add(checkpoint)
        session.flush()
        forms.ensure_shipped_forms(session, operation_id=aid.operation.id)
        checkpoint_id = checkpoint.id
    officer = factory.user(Organisation(id=aid.lead_id), Role.FIELD_OFFICER)
    operation = {
        "id": aid.operation.id,
        "lead": aid.lead_id,
        "officer": officer.id,
        "checkpoint": checkpoint_id,
    }
    head = register(runtime, operation, [khaled_head(), halabi_child("سارة", "female", "2010")])[0]
    with unit_of_work(runtime.factory) as session:
        return str(session.get_one(RegistrationMember, uuid.UUID(head)).registration_id)


def test_pages_show_stock_and_a_distribution_is_given_once_per_entitlement(
    aid: AidWorld, runtime: Runtime, factory: Factory, stocked: dict[str, Any]
) -> None:
    registration = _registration(runtime, factory, aid)
    client = TestClient(create_app(runtime=runtime, start_jobs=False))
    assert sign_in(client, stocked["officer"]) == 303
    base = f"/operations/{aid.operation.slug}/aid"
    overview = client.get(f"{base}?registration={registration}")
    assert overview.status_code == 200
    assert "Aid point North" in overview.text and "Give aid here" in overview.text
    page = client.get(f"{base}/places/{aid.point.id}")
    assert page.status_code == 200 and 'data-item="BLANKET"' in page.text

    search = client.get(
        f"{base}/places/{aid.point.id}/distribute",
        params={"given_name": "خالد", "family_name": "الحلبي"},
    )
    assert search.status_code == 200
    assert f"distribute?registration={registration}" in search.text  # found by name
    screen_path = f"{base}/places/{aid.point.id}/distribute?registration={registration}"
    screen = client.get(screen_path)
    assert screen.status_code == 200 and "One food parcel per household" in screen.text
    form = {
        "csrf_token": csrf(client, screen_path),
        "registration": registration,
        "item_0": str(stocked["parcels"]),
        "quantity_0": "1",
        "item_1": str(stocked["blankets"]),
        "quantity_1": "3",
    }
    given = client.post(
        f"{base}/places/{aid.point.id}/distribute", data=form, follow_redirects=False
    )
    assert given.status_code == 303, given.text
    front = client.get(f"/operations/{aid.operation.slug}")
    summary = re.search(r'id="aid-summary".*?</section>', front.text, re.S)
    assert summary is not None
    figures = re.findall(r"<dd><bdi>(\d+)</bdi></dd>", summary.group(0))
    assert figures == ["2", "1", "0"]  # open aid points, distributions today, alerts
    again = client.post(f"{base}/places/{aid.point.id}/distribute", data=form)
    assert again.status_code == 409 and "entitlement exceeded" in again.text
    with unit_of_work(runtime.factory) as session:
        assert session.scalar(select(func.count()).select_from(Distribution)) == 1
        looked_up = session.scalar(
            select(func.count())
            .select_from(AccessLogEntry)
            .where(AccessLogEntry.entity_type == "entitlement_status")
        )
    assert looked_up >= 2  # each view of the household's standing is in the access log


@pytest.fixture
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.mark.browser
def test_an_officer_gives_aid_from_the_place_page_in_chromium(
    aid: AidWorld, runtime: Runtime, stocked: dict[str, Any], chromium: Browser
) -> None:
    with LiveServer(create_app(runtime=runtime, start_jobs=False)) as server:
        site = open_site(chromium, server)
        try:
            page = site.page
            site.sign_in(
                stocked["officer"],
                STRONG_PASSWORD,
                next_path=f"/operations/{aid.operation.slug}/aid/places/{aid.point.id}",
            )
            blankets = page.locator('tr[data-item="BLANKET"] .quantity')
            expect(blankets).to_have_text("50")
            page.locator("#distribute-link").click()
            page.locator('input[name="people_count"]').fill("4")
            page.locator('select[name="item_0"]').select_option(str(stocked["blankets"]))
            page.locator('input[name="quantity_0"]').fill("8")
            page.get_by_role("button", name="Give").click()
            expect(page.locator(".flash")).to_contain_text("The distribution has been recorded.")
            expect(blankets).to_have_text("42")
            # Asking for more than the point holds is refused and changes nothing.
            page.locator("#distribute-link").click()
            page.locator('select[name="item_0"]').select_option(str(stocked["blankets"]))
            page.locator('input[name="quantity_0"]').fill("43")
            with site.guard.expect_status(409):
                page.get_by_role("button", name="Give").click()
                expect(page.locator("#distribute-error")).to_contain_text("not enough BLANKET")
            site.screenshot("browser-aid-distribution.png")
            site.guard.assert_clean()
        finally:
            site.close()


def test_a_waybill_is_drafted_dispatched_and_received_through_the_pages(
    aid: AidWorld, runtime: Runtime, factory: Factory, stocked: dict[str, Any]
) -> None:
    coordinator = factory.user(Organisation(id=aid.lead_id), Role.COORDINATOR)
    client = TestClient(create_app(runtime=runtime, start_jobs=False))
    assert sign_in(client, coordinator.login) == 303
    base = f"/operations/{aid.operation.slug}/aid"
    token = csrf(client, f"{base}/waybills/new")
    drafted = client.post(
        f"{base}/waybills",
        data={
            "csrf_token": token,
            "from_place_id": str(aid.point.id),
            "to_place_id": str(aid.warehouse.id),
            "item_0": str(stocked["blankets"]),
            "quantity_0": "30",
        },
        follow_redirects=False,
    )
    assert drafted.status_code == 303, drafted.text
    page_path = drafted.headers["location"]
    assert client.post(f"{page_path}/dispatch", data={"csrf_token": token}).status_code == 200
    page = client.get(page_path)
    line = re.search(r'name="received_(\d+)"', page.text)
    assert line is not None, "a dispatched waybill offers the receipt form"
    short = client.post(
        f"{page_path}/receive", data={"csrf_token": token, f"received_{line.group(1)}": "25"}
    )
    assert short.status_code == 422  # five blankets unaccounted for
    received = client.post(
        f"{page_path}/receive",
        data={"csrf_token": token, f"received_{line.group(1)}": "25", f"lost_{line.group(1)}": "5"},
    )
    assert received.status_code == 200 and "The waybill has been received." in received.text
    place = client.get(f"{base}/places/{aid.warehouse.id}")
    assert re.search(
        r'data-item="BLANKET"><td><bdi>[^<]+</bdi></td><td class="quantity"><bdi>25<', place.text
    )


def test_a_medical_point_counts_consultations(
    aid: AidWorld, runtime: Runtime, stocked: dict[str, Any]
) -> None:
    client = TestClient(create_app(runtime=runtime, start_jobs=False))
    assert sign_in(client, stocked["officer"]) == 303
    path = f"/operations/{aid.operation.slug}/aid/places/{aid.point.id}/consultations"
    page = client.get(path)
    tally = re.search(r'name="tally_id" value="([^"]+)"', page.text)
    assert page.status_code == 200 and tally is not None
    form = {
        "csrf_token": csrf(client, path),
        "tally_id": tally.group(1),
        "day": "2026-11-20",
        "age_band": "5_17",
        "sex": "male",
        "category": "trauma_injury",
        "referral": "hospital",
    }
    assert client.post(path, data=form).status_code == 200
    assert client.post(path, data=form).status_code == 200  # the same tally, sent twice
    counts = client.get(
        f"/api/v1/operations/{aid.operation.slug}/aid/consultations",
        params={"place_id": aid.point.id},
    )
    assert counts.status_code == 200
    assert [(c["category"], c["consultations"], c["referred"]) for c in counts.json()] == [
        ("trauma_injury", 1, 1)
    ]


def test_stock_is_received_and_written_off_from_the_place_page(
    aid: AidWorld, runtime: Runtime, factory: Factory, stocked: dict[str, Any]
) -> None:
    client = TestClient(create_app(runtime=runtime, start_jobs=False))
    assert sign_in(client, stocked["officer"]) == 303
    path = f"/operations/{aid.operation.slug}/aid/places/{aid.warehouse.id}"
    token = csrf(client, path)
    received = client.post(
        f"{path}/receipts",
        data={
            "csrf_token": token,
            "item": str(stocked["parcels"]),
            "quantity": "40",
            "batch": "FP-9",
            "expires_on": "2031-01-31",
            "counterpart": "Donor B",
        },
    )
    assert received.status_code == 200 and "The stock has been received." in received.text
    fractional = client.post(
        f"{path}/receipts",
        data={"csrf_token": token, "item": str(stocked["blankets"]), "quantity": "2.5"},
    )
    assert fractional.status_code == 422 and "whole number" in fractional.text
    written_off = client.post(
        f"{path}/write-offs",
        data={
            "csrf_token": token,
            "item": str(stocked["parcels"]),
            "quantity": "4",
            "batch": "FP-9",
            "reason": "damage",
        },
    )
    assert written_off.status_code == 200 and "The stock has been written off." in written_off.text
    assert re.search(
        r'data-item="FOOD-PARCEL"><td><bdi>[^<]+</bdi></td><td class="quantity"><bdi>36<',
        written_off.text,
    )
    # A partner's officer sees the stock but may not move it.
    partner = factory.user(Organisation(id=aid.partner_id), Role.FIELD_OFFICER)
    other = TestClient(create_app(runtime=runtime, start_jobs=False))
    assert sign_in(other, partner.login) == 303
    page = other.get(path)
    assert page.status_code == 200 and 'id="receipt-form"' not in page.text
    refused = other.post(
        f"{path}/receipts",
        data={"csrf_token": csrf(other, path), "item": str(stocked["parcels"]), "quantity": "1"},
    )
    assert refused.status_code == 403
