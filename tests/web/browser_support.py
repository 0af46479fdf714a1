"""Support for the browser tests: a live server, Debian's Chromium, a network guard.

- :class:`LiveServer` runs the real ASGI app with uvicorn in a background
  thread on a free 127.0.0.1 port (the socket is bound before the thread
  starts, so there is no port race) and waits until ``/healthz`` answers.
- :func:`launch_chromium` starts ``/usr/bin/chromium`` through Playwright's
  sync API (Playwright's own browser download is not used).
- :class:`PageGuard` watches one browser context: requests to any host but the
  live server are recorded and aborted, and console errors, uncaught page
  errors and ``/static/`` answers >= 400 are recorded; ``assert_clean()``
  fails the test if anything was recorded.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Response,
    Route,
    WebError,
)
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TIMEOUT_MS = 10_000


def artifacts_dir() -> Path:
    """Where tests save screenshots: $CORRIDOR_TEST_ARTIFACTS or <repo>/test-artifacts."""
    path = Path(os.environ.get("CORRIDOR_TEST_ARTIFACTS") or REPO_ROOT / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def launch_chromium(playwright: Playwright) -> Browser:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class LiveServer:
    """The app served by uvicorn in a thread; use as a context manager."""

    def __init__(self, app: Any, *, startup_timeout: float = 15.0) -> None:
        self.app = app
        self.startup_timeout = startup_timeout
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.host = f"127.0.0.1:{self.port}"
        self.base_url = f"http://{self.host}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"uvicorn-{self.port}",
            daemon=True,
        )

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if not self._thread.is_alive():
                raise RuntimeError("the live server thread died while starting")
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError as exc:
                last_error = exc
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the live server did not answer /healthz: {last_error}")

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()
        if self._thread.is_alive():
            raise RuntimeError("the live server did not shut down within 10 s")

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# Chromium reports every document or resource answered with 4xx/5xx as a console
# error; a test that expects such a page (a form re-rendered with 422, say)
# allows exactly that message with PageGuard.expect_status().
_FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


@dataclass
class PageGuard:
    """Records everything a browser test must not see (see the module docstring)."""

    host: str
    foreign_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    static_failures: list[str] = field(default_factory=list)
    checked: bool = False
    closing: bool = False
    _expected_statuses: list[int] = field(default_factory=list)

    def install(self, context: BrowserContext) -> None:
        context.route("**/*", self._route)
        context.on("console", self._on_console)
        context.on("weberror", self._on_web_error)

    def _route(self, route: Route, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob"):  # no network involved
            route.continue_()
        elif parts.scheme != "http" or parts.netloc != self.host:
            self.foreign_requests.append(f"{request.method} {request.url}")
            route.abort("blockedbyclient")
        elif parts.path.startswith("/static/"):
            # Fetched here so the status is seen even when Chromium then drops
            # the answer (a 404 problem+json for a stylesheet never reaches the
            # page's "response" event: strict MIME checking aborts it first).
            try:
                response = route.fetch()
                if response.status >= 400:
                    self.static_failures.append(f"{response.status} {request.url}")
                route.fulfill(response=response)
            except PlaywrightError:
                # e.g. the favicon still loading while the test closes its context
                if not self.closing:
                    raise
        else:
            route.continue_()

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        failed = _FAILED_LOAD.search(message.text)
        if failed and int(failed.group(1)) in self._expected_statuses:
            self._expected_statuses.remove(int(failed.group(1)))
            return
        where = message.location.get("url", "")
        self.console_errors.append(f"{message.text} ({where})")

    def _on_web_error(self, error: WebError) -> None:
        self.page_errors.append(str(error.error))

    @contextmanager
    def expect_status(self, status: int) -> Iterator[None]:
        """Allow one "failed to load resource" console error for ``status`` in the block."""
        self._expected_statuses.append(status)
        yield

    def problems(self) -> list[str]:
        return (
            [f"request to another host: {r}" for r in self.foreign_requests]
            + [f"console error: {m}" for m in self.console_errors]
            + [f"uncaught page error: {e}" for e in self.page_errors]
            + [f"static asset failed: {s}" for s in self.static_failures]
        )

    def clear(self) -> None:
        for found in (
            self.foreign_requests,
            self.console_errors,
            self.page_errors,
            self.static_failures,
        ):
            found.clear()

    def assert_clean(self) -> None:
        self.checked = True
        problems = self.problems()
        assert not problems, "the browser saw:\n  " + "\n  ".join(problems)


@dataclass
class Site:
    """One browser context on the live server, with its guard and helpers."""

    server: LiveServer
    context: BrowserContext
    page: Page
    guard: PageGuard

    def url(self, path: str) -> str:
        return self.server.url(path)

    def path(self) -> str:
        return urlsplit(self.page.url).path

    def goto(self, path: str) -> Response | None:
        return self.page.goto(self.url(path))

    def sign_in(self, login: str, password: str, *, next_path: str | None = None) -> None:
        """Sign in through the form; waits for the page after the redirect."""
        self.goto("/signin" + (f"?next={next_path}" if next_path else ""))
        self.fill_sign_in(login, password)
        self.page.wait_for_url(lambda url: urlsplit(url).path != "/signin")

    def fill_sign_in(self, login: str, password: str) -> None:
        page = self.page
        page.fill("#login", login)
        page.fill("#password", password)
        with page.expect_navigation():
            page.click("form[action='/signin'] button[type=submit]")

    def sign_out(self) -> None:
        with self.page.expect_navigation():
            self.page.click(".topnav form[action='/signout'] button[type=submit]")
        assert self.path() == "/signin"

    def close(self) -> None:
        self.guard.closing = True
        self.context.unroute_all(behavior="ignoreErrors")
        self.context.close()

    def screenshot(self, name: str) -> Path:
        path = artifacts_dir() / name
        self.page.screenshot(path=str(path), full_page=True)
        return path


def open_site(browser: Browser, server: LiveServer, **context_options: Any) -> Site:
    options: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}, "locale": "en-GB"}
    options.update(context_options)
    context = browser.new_context(base_url=server.base_url, **options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    guard = PageGuard(host=server.host)
    guard.install(context)
    page = context.new_page()
    return Site(server=server, context=context, page=page, guard=guard)
