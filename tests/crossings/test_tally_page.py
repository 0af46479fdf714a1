"""The checkpoint tally screen: large buttons on a phone, usable offline, each tap stored once.

The app runs as ``corridor serve`` in a child process so that the test can kill
it (SIGKILL, as in a power cut) and start it again on the same port: the
browser's offline switch would not do, since a service worker's fetches bypass
it. While the server is away the page must open again from the service worker
and keep the taps; once it is back they are sent, and every tap is stored
exactly once, also when the answers of a sync are lost and it is sent again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import func, select

from corridor.accounts.models import Role
from corridor.config import Settings
from corridor.crossings import sync
from corridor.crossings.field_clients import corridor_server
from corridor.crossings.models import Headcount
from corridor.db.session import unit_of_work
from corridor.operations.models import Checkpoint
from corridor.runtime import Runtime
from corridor.web.app import create_app
from tests.conftest import STRONG_PASSWORD
from tests.factories import Factory
from tests.web.browser_support import LiveServer, launch_chromium, open_site

# Waits that depend on the server answering (a busy machine may be slow).
SERVER_WAIT_MS = 15_000


@dataclass
class _Address:
    """What ``open_site`` needs of a server: its address."""

    port: int

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def world(runtime: Runtime, factory: Factory) -> dict[str, Any]:
    lead, other = factory.organisation(), factory.organisation()
    operation = factory.operation(lead)
    officer = factory.user(lead, Role.FIELD_OFFICER)
    viewer = factory.user(lead, Role.VIEWER)
    outsider = factory.user(other, Role.FIELD_OFFICER)
    with unit_of_work(runtime.factory) as session:
        checkpoint = Checkpoint(operation_id=operation.id, name="Gate 1", lon=1.53, lat=42.50)
        session.add(checkpoint)
        session.flush()
        checkpoint_id = checkpoint.id
    return {
        "operation_id": operation.id,
        "slug": operation.slug,
        "checkpoint": checkpoint_id,
        "path": f"/operations/{operation.slug}/checkpoints/{checkpoint_id}/tally",
        "officer": officer.login,
        "viewer": viewer.login,
        "outsider": outsider.login,
    }


def _stored(runtime: Runtime, world: dict[str, Any]) -> tuple[int, sync.Totals]:
    with unit_of_work(runtime.factory) as session:
        records = session.scalar(
            select(func.count())
            .select_from(Headcount)
            .where(Headcount.operation_id == world["operation_id"])
        )
        totals = sync.totals(
            session, operation_id=world["operation_id"], checkpoint_id=world["checkpoint"]
        )
    return records or 0, totals


def _tap(page: Page, field: str, times: int = 1) -> None:
    button = page.locator(f'.tally-button[data-field="{field}"]')
    for _ in range(times):
        button.tap()


def _sign_in(client: TestClient, login: str) -> None:
    form = client.get("/signin").text
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/signin",
        data={"login": login, "password": STRONG_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_who_may_open_the_tally_page(runtime: Runtime, world: dict[str, Any]) -> None:
    app = create_app(runtime=runtime, start_jobs=False)
    with TestClient(app) as client:
        response = client.get(world["path"], follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/signin")
        worker = client.get("/tally-sw.js")  # public: a script without data
        assert worker.status_code == 200
        assert worker.headers["content-type"].startswith("text/javascript")
        config = json.loads(worker.text.split("self.CORRIDOR_TALLY = ", 1)[1].split(";\n", 1)[0])
        assert "/static/build/corridor.js" in config["assets"] and config["version"]
        assert "addEventListener" in worker.text

        _sign_in(client, world["officer"])
        page = client.get(world["path"])
        assert page.status_code == 200
        assert "Gate 1" in page.text and "data-tally" in page.text
        assert 'data-field="female_18_59"' in page.text and 'data-field="pregnant"' in page.text
        assert page.headers["cache-control"] == "private, no-cache"
        other = world["path"].replace(f"/{world['checkpoint']}/", f"/{world['checkpoint'] + 99}/")
        assert client.get(other).status_code == 404

    for login, status in ((world["viewer"], 403), (world["outsider"], 404)):
        with TestClient(app) as client:
            _sign_in(client, login)
            assert client.get(world["path"]).status_code == status


def _answers(page: Page, answers: list[list[str]], count: int) -> list[list[str]]:
    """The statuses of the sync answers, once ``count`` of them have arrived."""
    deadline = time.monotonic() + 10
    while len(answers) < count and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # lets Playwright deliver the response events
    return answers


def _restore(page: Page, helper: Page, key: str, value: str) -> None:
    """Put the taps back as they were before a sync, as if its answers had been lost.

    Written from another tab of the origin: the tally tab takes it from the
    ``storage`` event, exactly as when two tabs share a tally.
    """
    helper.evaluate("([key, value]) => localStorage.setItem(key, value)", [key, value])
    waiting = sum(sum(r["counts"].values()) for r in json.loads(value)["records"])
    expect(page.locator('[data-role="status"]')).to_have_attribute("data-pending", str(waiting))


@pytest.mark.browser
def test_tally_works_offline_and_stores_each_tap_once(
    chromium: Browser,
    runtime: Runtime,
    settings: Settings,
    world: dict[str, Any],
) -> None:
    started = time.monotonic()
    # The phone's clock stands still in the last hour: the slots are known in advance.
    now = datetime.now(UTC).replace(minute=30, second=0, microsecond=0) - timedelta(hours=1)
    slot = now.replace(minute=0)
    with corridor_server(
        database_url=settings.effective_database_url,
        data_dir=settings.data_dir,
        extra_env={"CORRIDOR_RUN_JOBS": "false"},
    ) as server:
        site = open_site(
            chromium,
            _Address(server.port),  # type: ignore[arg-type]  # only its address is used
            viewport={"width": 390, "height": 844},
            has_touch=True,
            is_mobile=True,
        )
        site.context.clock.set_fixed_time(now)
        page = site.page
        status = page.locator('[data-role="status"]')
        try:
            site.sign_in(world["officer"], STRONG_PASSWORD)
            site.goto(world["path"])
            expect(page.locator("main h1")).to_have_text("Gate 1")
            expect(page.locator("[data-tally]")).to_have_attribute("data-tally-state", "ready")
            expect(status).to_have_attribute("data-sync-state", "synced", timeout=SERVER_WAIT_MS)
            # The service worker is active and controls the page.
            expect(page.locator("[data-tally]")).to_have_attribute("data-offline-ready", "true")
            assert page.evaluate("() => navigator.serviceWorker.controller.state") == "activated"
            key = page.locator("[data-tally]").get_attribute("data-storage-key")
            assert key

            # --- The server goes away: the page opens again from the service worker.
            server.kill()
            response = page.reload()
            assert response is not None and response.from_service_worker
            expect(page.locator("main h1")).to_have_text("Gate 1")
            expect(page.locator("[data-tally]")).to_have_attribute("data-tally-state", "ready")
            injured = page.locator('.tally-button[data-field="injured"]')
            expect(injured).to_have_attribute("aria-disabled", "true")
            injured.tap(force=True)  # nobody counted yet: refused on the phone
            expect(page.locator('[data-role="message"]')).to_contain_text("Count the person first")
            _tap(page, "female_18_59", 3)  # outbound, on foot (the defaults)
            _tap(page, "male_5_17", 2)
            _tap(page, "injured")
            _tap(page, "male_60_plus")
            page.get_by_role("button", name="Undo the last tap").tap()
            expect(page.locator('[data-count-for="male_60_plus"]')).to_have_text("0")
            expect(page.locator('[data-count-for="female_18_59"]')).to_have_text("3")
            expect(page.locator('[data-count-for="male_5_17"]')).to_have_text("2")
            expect(page.locator('[data-count-for="injured"]')).to_have_text("1")
            page.get_by_text("Inbound", exact=True).tap()
            page.get_by_text("Car", exact=True).tap()
            expect(page.locator('[data-count-for="female_18_59"]')).to_have_text("0")
            _tap(page, "female_0_4")
            expect(page.locator('[data-role="summary"]')).to_have_text(
                "Counted this hour (Inbound, Car): 1"
            )
            expect(status).to_have_attribute("data-pending", "7")
            # The phone tries to send, cannot reach the server, and keeps the taps.
            expect(status).to_have_attribute("data-sync-state", "offline")
            expect(status).to_contain_text("Waiting to be sent: 7")
            assert _stored(runtime, world)[0] == 0
            before_sync = page.evaluate("(key) => localStorage.getItem(key)", key)
            # Reloading while offline loses nothing.
            page.reload()
            expect(status).to_have_attribute("data-pending", "7")
            expect(page.locator('[data-count-for="female_0_4"]')).to_have_text("1")
            # What the browser saw meanwhile: only the sends that found no server.
            problems = site.guard.problems()
            assert all("ERR_CONNECTION_REFUSED" in p for p in problems), problems
            site.guard.clear()

            # --- The server is back: the taps are sent, each stored once.
            server.start()
            answers: list[list[str]] = []
            page.on(
                "response",
                lambda r: (
                    answers.append(sorted(x["status"] for x in r.json()["results"]))
                    if r.url.endswith("/crossings/sync") and r.ok
                    else None
                ),
            )
            page.get_by_role("button", name="Send now").tap()
            expect(status).to_have_attribute("data-sync-state", "synced", timeout=SERVER_WAIT_MS)
            expect(status).to_have_attribute("data-pending", "0")
            assert _answers(page, answers, 1) == [["created", "created"]]
            records, totals = _stored(runtime, world)
            assert records == 2  # one per hour, direction and means
            assert totals.people == 6
            assert totals.by_direction == {"outbound": 5, "inbound": 1}
            assert {k: v for k, v in totals.by_band.items() if v} == {
                "female_0_4": 1,
                "female_18_59": 3,
                "male_5_17": 2,
            }
            assert {k: v for k, v in totals.flags.items() if v} == {"injured": 1}
            with unit_of_work(runtime.factory) as session:
                stored = session.execute(
                    select(Headcount.slot_start, Headcount.means).where(
                        Headcount.operation_id == world["operation_id"]
                    )
                ).all()
            assert sorted((s, m.value) for s, m in stored) == [(slot, "car"), (slot, "foot")]

            # --- The same sync again, as if its answers had been lost: nothing doubles.
            helper = site.context.new_page()
            helper.goto(site.url("/healthz"))
            _restore(page, helper, key, before_sync)
            page.get_by_role("button", name="Send now").tap()
            expect(status).to_have_attribute("data-sync-state", "synced", timeout=SERVER_WAIT_MS)
            assert _answers(page, answers, 2)[1:] == [["duplicate", "duplicate"]]
            records, totals = _stored(runtime, world)
            assert (records, totals.people, totals.flags["injured"]) == (2, 6, 1)

            # Lost answers and a new tap meanwhile: the server's version is taken as
            # the base and the record sent again; the new tap is added once.
            _restore(page, helper, key, before_sync)
            _tap(page, "female_0_4")  # inbound, by car: as kept on the phone
            expect(status).to_have_attribute("data-sync-state", "synced", timeout=SERVER_WAIT_MS)
            assert _answers(page, answers, 4)[2:] == [["conflict", "duplicate"], ["updated"]]
            records, totals = _stored(runtime, world)
            assert (records, totals.people, totals.by_band["female_0_4"]) == (2, 7, 2)
            assert totals.by_band["female_18_59"] == 3 and totals.flags["injured"] == 1

            # Reloaded online: nothing is waiting, nothing is sent twice.
            page.reload()
            expect(status).to_have_attribute("data-sync-state", "synced", timeout=SERVER_WAIT_MS)
            assert len(answers) == 4
            assert _stored(runtime, world)[1].people == 7
            helper.close()
            site.guard.assert_clean()
        except BaseException:
            site.screenshot("browser-failed-tally.png")
            print("the browser saw:", site.guard.problems())  # shown when the test fails
            print("the server's log:", server.log_path.read_text()[-3000:])
            raise
        finally:
            site.close()
    assert time.monotonic() - started < 40


@pytest.mark.browser
def test_refused_tallies_are_shown_and_kept(
    chromium: Browser, runtime: Runtime, world: dict[str, Any]
) -> None:
    app = create_app(runtime=runtime, start_jobs=False)
    with LiveServer(app) as server:
        site = open_site(chromium, server, viewport={"width": 390, "height": 844}, has_touch=True)
        # A phone whose clock is hours ahead: the server refuses a slot in the future.
        site.context.clock.set_fixed_time(datetime.now(UTC) + timedelta(hours=3))
        page = site.page
        status = page.locator('[data-role="status"]')
        try:
            site.sign_in(world["officer"], STRONG_PASSWORD)
            site.goto(world["path"])
            expect(page.locator("[data-tally]")).to_have_attribute("data-tally-state", "ready")
            _tap(page, "female_18_59")
            page.get_by_role("button", name="Send now").click()
            expect(status).to_have_attribute("data-sync-state", "refused")
            expect(status).to_have_attribute("data-pending", "1")
            errors = page.locator('[data-role="errors"]')
            expect(errors).to_be_visible()
            expect(errors).to_contain_text("slot_start: is in the future")
            assert _stored(runtime, world)[0] == 0
            # Kept on the phone after a reload, and not sent again unchanged.
            page.reload()
            expect(errors).to_contain_text("slot_start: is in the future")
            expect(status).to_have_attribute("data-pending", "1")
            site.guard.assert_clean()
        finally:
            site.close()
