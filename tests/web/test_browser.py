"""Browser tests: Debian's Chromium (Playwright, sync API) against the real app.

The app is bound to the test ``runtime`` (SQLite, or PostgreSQL with
CORRIDOR_TEST_DATABASE_URL) and served by uvicorn on 127.0.0.1. Every test
fails on a request to any other host, on a console error, on an uncaught page
error and on a failed ``/static/`` asset (see ``browser_support.PageGuard``).
One Chromium per module, a fresh browser context per test.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect
from sqlalchemy import select

from corridor.accounts.models import Role
from corridor.operations.models import Operation
from corridor.runtime import Runtime
from corridor.web import i18n
from tests.conftest import STRONG_PASSWORD
from tests.factories import SQUARE, Factory
from tests.web.browser_support import Site

pytestmark = pytest.mark.browser


def brand_x(page: Page) -> float:
    box = page.locator(".topnav .brand").bounding_box()
    assert box is not None, "the navigation's brand link is not displayed"
    return box["x"]


def viewport_width(page: Page) -> int:
    size = page.viewport_size
    assert size is not None
    return size["width"]


def expect_language(page: Page, lang: str, direction: str) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", direction)


# ------------------------------------------------------------------ main flow


def test_create_operation_invite_partner_and_audit(site: Site, factory: Factory) -> None:
    lead = factory.organisation("Lead Relief Alliance")
    coordinator = factory.user(lead, Role.COORDINATOR, site_admin=False)
    partner = factory.organisation("Partner Water Trust")
    partner_admin = factory.user(partner, Role.ADMIN)
    page = site.page
    slug = "valley-crossing"

    # The coordinator creates an operation through the form.
    site.sign_in(coordinator.login, STRONG_PASSWORD)
    assert site.path() == "/operations"
    page.get_by_role("link", name="New operation").click()
    page.wait_for_url(site.url("/operations/new"))
    page.fill("#name", "Valley crossing")
    page.fill("#slug", slug)
    page.fill("#timezone", "Europe/Andorra")
    page.fill("#start_date", "2025-05-01")
    page.fill("#end_date", "2025-06-30")
    page.fill("#area", json.dumps(SQUARE))
    with page.expect_navigation():
        page.click("form[action='/operations/new'] button[type=submit]")

    # Its overview page, with the area drawn on the map.
    assert site.path() == f"/operations/{slug}"
    expect(page.locator("main h1")).to_have_text("Valley crossing")
    expect(page.locator(".flash.success")).to_contain_text("The operation has been created.")
    expect(page.locator("main dl")).to_contain_text("Europe/Andorra")
    expect(page.locator("main dl")).to_contain_text("2025-05-01 – 2025-06-30")
    page.wait_for_selector('.corridor-map[data-map-state="ready"]')
    expect(page.locator(".corridor-map")).not_to_have_attribute("data-map-errors", re.compile(".*"))
    drawn = page.evaluate(
        """() => {
            const map = window.corridorMaps[0];
            const area = map.corridorLayers.area;
            return {
                features: area.getLayers().length,
                containsCentre: map.getBounds().contains([42.54, 1.6]),
            };
        }"""
    )
    assert drawn == {"features": 1, "containsCentre": True}
    expect(page.locator(".corridor-map path.leaflet-interactive")).to_have_count(1)

    # Invite the partner; the single-use link is shown once.
    page.select_option("#invite-org", label=partner.name)
    with page.expect_navigation():
        page.click("form[action$='/invitations'] button[type=submit]")
    link = page.locator("#invitation-link").inner_text().strip()
    assert link.startswith(site.url("/invitations/accept#token="))
    token = link.split("#token=", 1)[1]
    assert len(token) >= 20

    # The partner's admin opens the link; the page's script fills the form.
    site.sign_out()
    site.sign_in(partner_admin.login, STRONG_PASSWORD)
    page.goto(link)
    expect(page.locator("#token")).to_have_value(token)
    assert "token=" not in page.url, "the token should be removed from the address bar"
    with page.expect_navigation():
        page.get_by_role("button", name="Join the operation").click()

    assert site.path() == f"/operations/{slug}"
    expect(page.locator(".flash.success")).to_contain_text(
        "Your organisation now takes part in this operation."
    )
    partners = page.locator("#partners tbody tr")
    expect(partners).to_have_count(2)
    expect(partners.filter(has_text=lead.name)).to_contain_text(re.compile("lead", re.I))
    # (badges are shown capitalised by CSS, so compare the status by its class)
    expect(partners.filter(has_text=partner.name).locator(".badge.status-active")).to_have_count(1)
    # A partner reads the operation but does not manage it.
    expect(page.locator("a[href$='/audit']")).to_have_count(0)
    expect(page.locator("#invite-org")).to_have_count(0)
    page.wait_for_selector('.corridor-map[data-map-state="ready"]')
    site.screenshot("browser-operation-overview.png")

    # Back as the lead's coordinator: the audit trail is intact.
    site.sign_out()
    site.sign_in(coordinator.login, STRONG_PASSWORD, next_path=f"/operations/{slug}")
    assert site.path() == f"/operations/{slug}"
    expect(page.locator("#partners tbody tr")).to_have_count(2)
    page.get_by_role("link", name="Audit trail").click()
    page.wait_for_url(site.url(f"/operations/{slug}/audit"))
    status = page.locator("#chain-status")
    expect(status).to_have_class(re.compile(r"\bsuccess\b"))
    expect(status).to_contain_text("intact")
    expect(page.locator("main table tbody tr").first).to_be_visible()

    site.guard.assert_clean()


# ------------------------------------------------------- languages, RTL layout


def test_arabic_pages_are_right_to_left(site: Site, factory: Factory) -> None:
    org = factory.organisation()
    arabic = factory.user(org, language="ar")
    english = factory.user(org, language="en")
    page = site.page
    half = viewport_width(page) / 2

    site.sign_in(arabic.login, STRONG_PASSWORD)
    assert site.path() == "/operations"
    expect_language(page, "ar", "rtl")
    assert brand_x(page) > half, "in Arabic the brand should sit on the right"
    site.screenshot("browser-operations-rtl.png")

    site.sign_out()
    site.sign_in(english.login, STRONG_PASSWORD)
    expect_language(page, "en", "ltr")
    assert brand_x(page) < half, "in English the brand should sit on the left"

    site.guard.assert_clean()


def test_language_switch_button(site: Site, factory: Factory) -> None:
    org = factory.organisation()
    user = factory.user(org, language="ar")
    page = site.page
    half = viewport_width(page) / 2
    switch = page.locator("form.language-switch")

    site.sign_in(user.login, STRONG_PASSWORD)
    expect_language(page, "ar", "rtl")

    # Arabic -> English: the same page, re-rendered left to right.
    with page.expect_navigation():
        switch.locator("button[value='en']").click()
    assert site.path() == "/operations"
    expect_language(page, "en", "ltr")
    expect(page.locator(".topnav a[href='/operations']")).to_have_text("Operations")
    assert brand_x(page) < half

    # The choice is saved on the account: it survives signing in again.
    site.sign_out()
    site.sign_in(user.login, STRONG_PASSWORD)
    expect_language(page, "en", "ltr")

    # English -> Arabic, with the Arabic catalog's words (the button is only
    # offered when src/corridor/web/locale/ar/LC_MESSAGES/messages.po exists).
    arabic_button = switch.locator("button[value='ar']")
    expect(arabic_button).to_have_count(1)
    with page.expect_navigation():
        arabic_button.click()
    assert site.path() == "/operations"
    expect_language(page, "ar", "rtl")
    translated = i18n.catalogs()["ar"].gettext("Operations")
    assert translated != "Operations", "the Arabic catalog does not translate 'Operations'"
    expect(page.locator(".topnav a[href='/operations']")).to_have_text(translated)
    assert brand_x(page) > half

    site.guard.assert_clean()


# ------------------------------------------------------------------ bad input


def test_new_operation_with_end_before_start_shows_field_error(
    site: Site, factory: Factory, runtime: Runtime
) -> None:
    org = factory.organisation()
    coordinator = factory.user(org, Role.COORDINATOR)
    page = site.page

    site.sign_in(coordinator.login, STRONG_PASSWORD)
    site.goto("/operations/new")
    page.fill("#name", "Backwards operation")
    page.fill("#slug", "backwards")
    page.fill("#start_date", "2025-06-30")
    page.fill("#end_date", "2025-05-01")
    with site.guard.expect_status(422), page.expect_navigation() as navigation:
        page.click("form[action='/operations/new'] button[type=submit]")
    response = navigation.value
    assert response is not None and response.status == 422

    # The message sits in the end date's own field, and the form keeps the input.
    end_field = page.locator(".field", has=page.locator("#end_date"))
    expect(end_field.locator(".field-error")).to_have_text("must not be before start_date")
    expect(page.locator("#end_date-error")).to_be_visible()
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.locator("#name")).to_have_value("Backwards operation")
    expect(page.locator("#end_date")).to_have_value("2025-05-01")

    # Nothing was created.
    site.goto("/operations")
    expect(page.locator("main table")).not_to_contain_text("Backwards operation")
    with runtime.factory() as session:
        assert session.scalar(select(Operation).where(Operation.slug == "backwards")) is None

    site.guard.assert_clean()


def test_wrong_password_shows_error_and_stays_on_signin(site: Site, factory: Factory) -> None:
    org = factory.organisation()
    user = factory.user(org)
    page = site.page

    site.goto("/signin")
    page.fill("#login", user.login)
    page.fill("#password", "not-the-password-at-all")
    with site.guard.expect_status(401), page.expect_navigation() as navigation:
        page.click("form[action='/signin'] button[type=submit]")
    response = navigation.value
    assert response is not None and response.status == 401

    assert site.path() == "/signin"
    expect(page.locator("[role=alert]")).to_have_text("The login or password is wrong.")
    expect(page.locator("#login")).to_have_value(user.login)
    expect(page.locator("#password")).to_have_value("")
    expect(page.locator(".topnav .user-name")).to_have_count(0)

    # The right password still works afterwards.
    site.fill_sign_in(user.login, STRONG_PASSWORD)
    assert site.path() == "/operations"

    site.guard.assert_clean()


# ----------------------------------------------------------- the guard itself


def test_guard_reports_foreign_requests_errors_and_missing_assets(site: Site) -> None:
    """The checks above are only worth something if the guard does see these."""
    page = site.page
    guard = site.guard
    site.goto("/signin")
    assert guard.problems() == []

    # (in a second tab: Chromium shows its error page after the aborted navigation)
    other = site.context.new_page()
    with pytest.raises(PlaywrightError, match="ERR_BLOCKED_BY_CLIENT"):
        other.goto("http://example.org/tracker.js")
    other.close()
    assert guard.foreign_requests == ["GET http://example.org/tracker.js"]

    page.evaluate(
        """() => {
            console.error('guard-probe-console');
            setTimeout(() => { throw new Error('guard-probe-throw'); }, 0);
            const link = document.createElement('link');
            link.rel = 'stylesheet';
            link.href = '/static/guard-probe-missing.css';
            document.head.appendChild(link);
        }"""
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not (
        guard.console_errors and guard.page_errors and guard.static_failures
    ):
        page.wait_for_timeout(50)
    assert any("guard-probe-console" in m for m in guard.console_errors)
    assert any("guard-probe-throw" in e for e in guard.page_errors)
    assert guard.static_failures == [f"404 {site.url('/static/guard-probe-missing.css')}"]

    # A page answered with 4xx is a console error, unless the test expects it.
    guard.clear()
    for expected in (True, False):
        page.fill("#login", "nobody")
        page.fill("#password", "wrong")
        with page.expect_navigation(), guard.expect_status(401 if expected else 499):
            page.click("form[action='/signin'] button[type=submit]")
        page.wait_for_timeout(100)
        assert bool(guard.console_errors) is not expected, guard.console_errors

    guard.clear()
    guard.assert_clean()
