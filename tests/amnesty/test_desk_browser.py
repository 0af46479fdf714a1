"""In Chromium: a DDR officer issues a certificate on the desk screen, and the
code shown there, photographed, is verified on /verify against the operation's
trust list; once revoked, the same photograph is refused as revoked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from corridor.amnesty import intakes, registry
from corridor.amnesty.models import ItemCategory, ItemCondition, MarkingStatus, SerialStatus
from corridor.db.session import Actor, unit_of_work
from corridor.runtime import Runtime
from corridor.web.app import create_app
from tests.amnesty.conftest import DeskWorld
from tests.conftest import STRONG_PASSWORD
from tests.web.browser_support import LiveServer, artifacts_dir, launch_chromium, open_site

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def _intake_with_a_rifle(runtime: Runtime, world: DeskWorld) -> str:
    with unit_of_work(runtime.factory, Actor(user_id=world.officer.id, label="officer")) as session:
        intake = intakes.record_intake(
            session,
            desk=world.desk,
            officer_id=world.officer.id,
            person=intakes.Person(
                name_arabic="رامي نبيل الخوري", name_latin="Rami Nabil Al-Khoury", birth_date="1993"
            ),
            took_place_at=None,
            explained=list(intakes.Topic.ALL),
            consent_given=True,
        )
        registry.register_item(
            session,
            intake,
            registry.ItemDetails(
                category=ItemCategory.SMALL_ARM,
                serial_number="BR-1",
                serial_status=SerialStatus.PRESENT,
                condition=ItemCondition.SERVICEABLE,
                marking_status=MarkingStatus.MARKED,
            ),
            officer_id=world.officer.id,
            witness_id=world.witness.id,
            operation_orgs=world.orgs,
        )
        return str(intake.id)


def test_a_certificate_issued_on_the_desk_screen_is_verified_in_the_browser(
    amnesty: DeskWorld, runtime: Runtime, chromium: Browser, tmp_path: Path
) -> None:
    intake_id = _intake_with_a_rifle(runtime, amnesty)
    slug = amnesty.operation.slug
    with LiveServer(create_app(runtime=runtime, start_jobs=False)) as server:
        site = open_site(chromium, server)
        try:
            page = site.page
            site.sign_in(
                amnesty.officer.login,
                STRONG_PASSWORD,
                next_path=f"/operations/{slug}/amnesty/intakes/{intake_id}",
            )
            page.locator('#certificate-form select[name="type"]').select_option("amnesty")
            page.locator("#certificate-form button").click()
            expect(page.locator(".flash")).to_contain_text("Certificate issued.")
            photo = tmp_path / "screen.png"
            page.locator("img.certificate-qr").screenshot(path=str(photo))
            revoke_form = page.locator('#certificates form[action$="/revoke"]')

            verifier = site.context.new_page()
            verifier.goto(f"/verify?operation={slug}")
            result = verifier.locator('[data-role="result"]')
            expect(verifier.locator('[data-role="trust"]')).to_have_attribute(
                "data-trust-state", "loaded"
            )
            verifier.locator('[data-role="photo"]').set_input_files(str(photo))
            expect(result).to_have_attribute("data-verdict", "valid")
            expect(verifier.locator('[data-field="name-latin"]')).to_have_text(
                "Rami Nabil Al-Khoury"
            )

            revoke_form.locator('input[name="reason"]').fill("issued to test the verifier")
            revoke_form.locator("button").click()
            expect(page.locator(".flash")).to_contain_text("Certificate revoked.")
            verifier.reload()  # fetches the trust list again, now with the revocation
            expect(verifier.locator('[data-field="revoked"]')).to_have_text("1")
            verifier.locator('[data-role="photo"]').set_input_files(str(photo))
            expect(result).to_have_attribute("data-verdict", "revoked")
            site.screenshot("browser-amnesty-desk.png")
            verifier.screenshot(
                path=str(artifacts_dir() / "browser-amnesty-verify.png"), full_page=True
            )
            site.guard.assert_clean()
        finally:
            site.close()
