"""In Chromium: the lead's coordinator opens the operation dashboard (map, corridor
board, today's figures, alerts) and goes on to today's situation report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from corridor.accounts.models import Organisation, Role
from corridor.db.session import Actor, unit_of_work
from corridor.db.types import utcnow
from corridor.operations import notices
from corridor.operations.models import Operation
from corridor.web.app import create_app
from tests.conftest import STRONG_PASSWORD
from tests.factories import Factory
from tests.reports.conftest import ZONE, ReportWorld
from tests.web.browser_support import LiveServer, launch_chromium, open_site

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def test_the_dashboard_shows_the_map_board_figures_and_alerts(
    world: ReportWorld, factory: Factory, chromium: Browser
) -> None:
    now = datetime.now(ZONE)
    earlier = now - timedelta(hours=1) if now.hour >= 1 else now
    world.headcount(
        world.north_gate, earlier.date(), earlier.hour, "outbound", female_18_59=23, male_18_59=19
    )
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        lead = session.get(Organisation, world.lead_id)
        start = utcnow() + timedelta(hours=5)
        notices.create_movement(
            session,
            operation_id=world.operation.id,
            created_by_id=None,
            reference="CONVOY-7",
            corridor_id=world.north,
            departs_at=start,
            arrives_at=start + timedelta(hours=2),
            vehicles=2,
            vehicle_kind="truck",
            organisations=[world.lead_id],
        )
        notices.issue(
            session,
            operation=session.get(Operation, world.operation.id),
            expires_at=utcnow() + timedelta(days=1),
            parties=["Valley Authority"],
            issued_by_id=None,
        )
    coordinator = factory.user(lead, Role.COORDINATOR)
    slug = world.operation.slug
    with LiveServer(create_app(runtime=world.runtime, start_jobs=False)) as server:
        site = open_site(chromium, server)
        try:
            page = site.page
            site.sign_in(
                coordinator.login, STRONG_PASSWORD, next_path=f"/operations/{slug}/dashboard"
            )
            expect(page.locator("h1")).to_contain_text("Dashboard")
            expect(page.locator("#dashboard-map .leaflet-container")).to_be_visible()
            expect(page.locator("#dashboard-map path.leaflet-interactive").first).to_be_attached()
            board = page.locator("#corridor-board")
            expect(board).to_contain_text("North")
            expect(board).to_contain_text("Open")
            expect(page.locator('#today [data-figure="crossed"]')).to_contain_text("42")
            alerts = page.locator("#alerts")
            expect(alerts).to_contain_text("Notice not acknowledged")
            expect(alerts).to_contain_text("Valley Authority")
            expect(page.locator("#dashboard-chart svg")).to_be_visible()
            site.screenshot("browser-dashboard.png")
            page.get_by_role("link", name="Today’s report").click()
            expect(page.locator("#sitrep h1")).to_contain_text("Situation report")
            expect(page.locator('#sitrep [data-figure="crossed"]')).to_contain_text("42")
            expect(page.locator("#downloads a").first).to_have_attribute(
                "href", f"/api/v1/operations/{slug}/sitrep.pdf?date={earlier.date()}"
            )
            site.guard.assert_clean()
        finally:
            site.close()
