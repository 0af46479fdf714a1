"""The operation map page: hazard zones, safe routes, corridors, reachability.

The browser test drives Debian's Chromium (Playwright, sync API) against the
real app served on 127.0.0.1, with the Andorra extract imported. The guard of
``browser_support`` fails it on any request to another host, console error,
uncaught page error or failed static asset. A plain test client checks who
sees which tools.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import select

from corridor.accounts import service as accounts
from corridor.accounts.models import Role, User
from corridor.db.session import unit_of_work
from corridor.operations.models import Corridor
from corridor.routing import service
from corridor.routing.models import Hazard
from corridor.runtime import Runtime
from tests.conftest import STRONG_PASSWORD
from tests.factories import Factory
from tests.web.browser_support import Site, artifacts_dir

# Andorra la Vella and Encamp (lon, lat), as in docs/routing.md.
START = (1.5340, 42.5080)
END = (1.5795, 42.5347)


@pytest.fixture
def operation(runtime: Runtime, factory: Factory, andorra_pbf: Path) -> dict[str, Any]:
    """An operation with the Andorra road network and a lead coordinator."""
    lead = factory.organisation("Lead Relief Alliance")
    coordinator = factory.user(lead, Role.COORDINATOR)
    op = factory.operation(lead, slug="andorra-valley")
    with unit_of_work(runtime.factory) as session:
        service.import_file(session, operation_id=op.id, path=andorra_pbf)
    return {"id": op.id, "slug": op.slug, "login": coordinator.login}


def click_map(page: Page, lon: float, lat: float) -> None:
    """Click the map at a geographic position (the point must be in view)."""
    point = page.evaluate(
        """([lat, lon]) => {
            const p = window.corridorMaps[0].latLngToContainerPoint([lat, lon]);
            return {x: p.x, y: p.y};
        }""",
        [lat, lon],
    )
    page.locator(".corridor-map").click(position={"x": point["x"], "y": point["y"]})


def layer_count(page: Page, kind: str) -> int:
    return page.evaluate(f"() => window.corridorMaps[0].corridorLayers.{kind}.getLayers().length")


def routing_count(page: Page, name: str) -> int:
    return page.evaluate(f"() => window.corridorMaps[0].corridorRouting.{name}.getLayers().length")


@pytest.mark.browser
def test_hazard_route_corridor_and_reachability(
    site: Site, runtime: Runtime, operation: dict[str, Any]
) -> None:
    started = time.monotonic()
    page = site.page
    slug = operation["slug"]
    site.sign_in(operation["login"], STRONG_PASSWORD)
    site.goto(f"/operations/{slug}/map")
    expect(page.locator("main h1")).to_have_text("Map")
    page.wait_for_selector('.corridor-map[data-map-state="ready"]')
    page.wait_for_selector('[data-routing-map][data-routing-state="ready"]')
    expect(page.locator(".corridor-map")).not_to_have_attribute("data-map-errors", "1")
    assert layer_count(page, "roads") > 100
    assert layer_count(page, "hazards") == 0
    assert layer_count(page, "corridors") == 0
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    # Zoom to the valley between the two towns.
    page.evaluate("() => window.corridorMaps[0].setView([42.5215, 1.5567], 14, {animate: false})")

    # --- A hazard zone drawn on the map (Leaflet-Geoman), saved through the form.
    page.get_by_role("button", name="Draw a hazard zone").click()
    expect(page.locator(".corridor-map")).to_have_attribute("data-pick", "draw")
    corners = [(1.5600, 42.5230), (1.5660, 42.5230), (1.5660, 42.5270), (1.5600, 42.5270)]
    for lon, lat in corners:
        click_map(page, lon, lat)
    click_map(page, *corners[0])  # closing the ring finishes the shape
    form = page.locator('form[data-form="hazard"]')
    expect(form).to_be_visible()
    expect(form.locator('[data-role="hazard-title"]')).to_have_text("New hazard zone")
    assert routing_count(page, "draft") == 1
    form.get_by_label("Kind").select_option("shelling")
    form.locator("#hazard-severity-factor").check()
    form.get_by_label("Cost factor", exact=True).fill("3")
    form.get_by_label("Buffer (metres)").fill("50")
    form.get_by_label("Name").fill("Ridge crossing")
    # An expiry in the past: the API's 422 is shown next to the field.
    form.get_by_label("Valid until").fill("2020-01-01T12:00")
    with site.guard.expect_status(422):
        form.get_by_role("button", name="Save the hazard zone").click()
        expect(form.locator('[data-error-for="valid_until"]')).to_contain_text(
            "must be after valid_from"
        )
    expect(form.locator('[data-role="errors"]')).to_be_visible()
    form.get_by_label("Valid until").fill("")
    form.get_by_role("button", name="Save the hazard zone").click()
    expect(page.locator('[data-role="hazard-status"]')).to_have_text(
        "The hazard zone has been saved."
    )
    expect(form).to_be_hidden()
    page.wait_for_function(
        "() => window.corridorMaps[0].corridorLayers.hazards.getLayers().length === 1"
    )
    assert routing_count(page, "draft") == 0
    with unit_of_work(runtime.factory) as session:
        saved = session.scalars(select(Hazard).where(Hazard.operation_id == operation["id"])).all()
        assert [(h.name, h.kind.value, h.factor, h.buffer_m) for h in saved] == [
            ("Ridge crossing", "shelling", 3.0, 50.0)
        ]
        ring = saved[0].geometry["coordinates"][0]
        assert len(ring) == 5
        assert {(round(x, 3), round(y, 3)) for x, y in ring} == {
            (round(x, 3), round(y, 3)) for x, y in corners
        }

    # Selecting the zone opens it for editing; a new name is saved with PUT.
    click_map(page, 1.5630, 42.5250)
    expect(form).to_be_visible()
    expect(form.get_by_label("Name")).to_have_value("Ridge crossing")
    expect(form.locator("#hazard-severity-factor")).to_be_checked()
    form.get_by_label("Name").fill("Ridge crossing north")
    form.get_by_role("button", name="Save the hazard zone").click()
    expect(page.locator('[data-role="hazard-status"]')).to_be_visible()
    page.wait_for_function(
        """() => window.corridorMaps[0].corridorLayers.hazards.getLayers()
                 .some((l) => l.feature.properties.name === 'Ridge crossing north')"""
    )

    # --- A route from Andorra la Vella to Encamp, picked on the map.
    page.locator('button[data-pick="from"]').click()
    expect(page.locator('[data-role="hint"]')).to_have_text("Click on the map to set the start.")
    click_map(page, *START)
    expect(page.locator('[data-role="hint"]')).to_have_text(
        "Click on the map to set the destination."
    )
    click_map(page, *END)
    best = page.locator(".route-option.best")
    expect(best).to_be_visible()
    expect(best.locator('[data-role="distance"]')).to_contain_text(" km")
    distance_m = float(best.get_attribute("data-distance-m") or "nan")
    assert 3_000 < distance_m < 12_000
    lat, lon = (float(v) for v in page.locator("#route-from").input_value().split(","))
    assert (lon, lat) == pytest.approx(START, abs=2e-4)  # the click, to the pixel
    assert routing_count(page, "route") >= 1
    assert routing_count(page, "points") == 2
    assert page.locator('[data-role="route-result"]').get_attribute("data-status") in (
        "ok",
        "no_safe_route",
    )

    # --- Saved as a corridor: the corridors layer gains the feature.
    corridor_form = page.locator('form[data-form="corridor"]')
    expect(corridor_form).to_be_visible()
    corridor_form.get_by_label("Corridor name").fill("Valley road")
    corridor_form.get_by_role("button", name="Save as corridor").click()
    expect(page.locator('[data-role="corridor-status"]')).to_have_text(
        "The corridor has been saved."
    )
    page.wait_for_function(
        "() => window.corridorMaps[0].corridorLayers.corridors.getLayers().length === 1"
    )
    with unit_of_work(runtime.factory) as session:
        corridor = session.scalars(
            select(Corridor).where(Corridor.operation_id == operation["id"])
        ).one()
        assert corridor.name == "Valley road"
        assert corridor.profile == "car"

    # --- The area reachable on foot in 10 minutes from the start.
    reach = page.locator('form[data-form="reach"]')
    reach.get_by_label("Minutes").fill("10")
    reach.locator('button[data-pick="reach"]').click()
    click_map(page, *START)
    result = page.locator('[data-role="reach-result"]')
    expect(result).to_contain_text("Reachable within 10 min")
    assert float(result.get_attribute("data-area-km2") or "0") > 0
    assert routing_count(page, "reach") == 1
    page.evaluate("() => window.scrollTo(0, 0)")  # the map is sticky: keep it in its place
    page.screenshot(path=str(artifacts_dir() / "browser-routing-map.png"), full_page=True)

    # --- Withdrawn: the zone leaves the layer (and stays in the history).
    page.once("dialog", lambda dialog: dialog.accept())
    click_map(page, 1.5630, 42.5250)
    expect(form).to_be_visible()
    form.get_by_role("button", name="Withdraw").click()
    expect(page.locator('[data-role="hazard-status"]')).to_have_text(
        "The hazard zone has been withdrawn."
    )
    page.wait_for_function(
        "() => window.corridorMaps[0].corridorLayers.hazards.getLayers().length === 0"
    )
    with unit_of_work(runtime.factory) as session:
        (hazard,) = session.scalars(select(Hazard)).all()
        assert hazard.withdrawn_at is not None

    site.guard.assert_clean()
    assert time.monotonic() - started < 40


@pytest.mark.browser
def test_map_page_right_to_left(
    site: Site, runtime: Runtime, factory: Factory, operation: dict[str, Any]
) -> None:
    """In Arabic the tools sit at the inline start (left) of the map, controls mirrored."""
    with unit_of_work(runtime.factory) as session:
        user = session.scalar(select(User).where(User.login == operation["login"]))
        accounts.set_language(session, user=user, language="ar")
    page = site.page
    site.sign_in(operation["login"], STRONG_PASSWORD)
    site.goto(f"/operations/{operation['slug']}/map")
    page.wait_for_selector('[data-routing-map][data-routing-state="ready"]')
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("main h1")).to_have_text("الخريطة")

    def box(selector: str) -> dict[str, float]:
        found = page.locator(selector).first.bounding_box()
        assert found is not None, selector
        return found

    mapped, panel = box(".corridor-map"), box(".routing-panel")
    assert panel["x"] + panel["width"] <= mapped["x"] + 1  # the panel is on the left
    zoom, layers = box(".leaflet-control-zoom"), box(".leaflet-control-layers")
    assert zoom["x"] > mapped["x"] + mapped["width"] / 2  # zoom top-right
    assert layers["x"] < mapped["x"] + mapped["width"] / 2  # layer list top-left
    page.locator('button[data-pick="from"]').click()
    expect(page.locator('[data-role="hint"]')).to_have_text(
        "انقر على الخريطة لتحديد نقطة الانطلاق."
    )
    expect(page.locator(".corridor-map")).to_have_attribute("data-pick", "from")
    page.keyboard.press("Escape")
    expect(page.locator(".corridor-map")).not_to_have_attribute("data-pick", "from")
    site.guard.assert_clean()


def _sign_in(client: TestClient, login: str) -> None:
    page = client.get("/signin").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    response = client.post(
        "/signin",
        data={"login": login, "password": STRONG_PASSWORD, "csrf_token": match.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_map_page_tools_follow_permissions(client: TestClient, factory: Factory) -> None:
    lead = factory.organisation()
    op = factory.operation(lead)
    path = f"/operations/{op.slug}/map"
    assert client.get(path, follow_redirects=False).headers["location"].startswith("/signin")

    # A viewer sees the map and the route tools, but cannot save hazards or corridors.
    _sign_in(client, factory.user(lead, Role.VIEWER, language="ar").login)
    page = client.get(path)
    assert page.status_code == 200
    html = page.text
    assert 'dir="rtl"' in html
    assert "data-routing-map" in html
    assert 'data-may-write-hazards="false"' in html
    assert 'data-form="hazard"' not in html
    assert 'data-form="corridor"' not in html
    assert 'data-form="route"' in html
    assert 'data-label="الممرات"' in html  # layer names in the page's language
    assert f'data-src="/api/v1/operations/{op.slug}/hazards.geojson"' in html
    assert "roads.geojson" not in html  # no network imported yet: no roads layer
    assert "data-csrf-token=" in html
    assert "<script>" not in html  # data blocks only (CSP: no inline script)

    # A field officer saves hazards but not corridors.
    client.cookies.clear()
    _sign_in(client, factory.user(lead, Role.FIELD_OFFICER).login)
    html = client.get(path).text
    assert 'data-form="hazard"' in html
    assert 'data-form="corridor"' not in html

    # Someone outside the operation does not learn that it exists.
    client.cookies.clear()
    _sign_in(client, factory.user(factory.organisation(), Role.COORDINATOR).login)
    assert client.get(path).status_code == 404
