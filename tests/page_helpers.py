"""Filling Corridor's HTML forms from tests: the CSRF token, and signing in."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import STRONG_PASSWORD


def csrf(client: TestClient, path: str = "/signin") -> str:
    """The CSRF token of the form on ``path`` (the session's, so any form's)."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match is not None, f"no form with a CSRF token on {path}"
    return match.group(1)


def sign_in(client: TestClient, login: str, password: str = STRONG_PASSWORD) -> int:
    """Sign ``client`` in through the page; the status of the answer (303 when it worked)."""
    response = client.post(
        "/signin",
        data={"login": login, "password": password, "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    return response.status_code
