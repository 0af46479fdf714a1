"""Fixtures for the web layer: the app bound to the test runtime, signed-in clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright

from corridor.runtime import Runtime
from corridor.web.app import create_app
from tests.web.browser_support import LiveServer, Site, launch_chromium, open_site


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime=runtime, start_jobs=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# Browser tests: one Chromium per test module, a fresh context (and guard) per test.


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def site(
    request: pytest.FixtureRequest, chromium: Browser, live_server: LiveServer
) -> Iterator[Site]:
    site = open_site(chromium, live_server)
    try:
        yield site
        if not site.guard.checked:
            # The test did not reach its end (or forgot the check): keep a picture.
            site.screenshot(f"browser-failed-{request.node.name}.png")
            site.guard.assert_clean()
    finally:
        site.close()
