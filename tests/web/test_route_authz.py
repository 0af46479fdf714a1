"""Every route of the app, enumerated: who may reach it.

New routes are covered automatically: each must declare its access through
exactly one of the dependencies in ``corridor.web.deps`` (public, signed_in,
require(action)); public ones must be on the short allowlist below; an
anonymous request gets 401 (API) or a redirect to sign-in (pages); a user of
an organisation outside an operation gets 404 for every route under it (field
apps' OpenRosa routes included, with Basic credentials), so the
existence of an operation does not leak.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from corridor.accounts.models import Role
from corridor.runtime import Runtime
from tests.conftest import STRONG_PASSWORD
from tests.crossings.openrosa_helpers import basic
from tests.factories import Factory
from tests.web.conftest import bearer

PUBLIC_ALLOWLIST = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/signin"),
    ("POST", "/signin"),
    ("POST", "/signout"),
    ("POST", "/language"),
    ("GET", "/"),
    ("POST", "/api/v1/tokens"),
    ("GET", "/invitations/accept"),
    ("POST", "/invitations/accept"),
    ("GET", "/tally-sw.js"),  # the tally screen's service worker: a script without data
    ("GET", "/verify"),  # checkpoints verify certificates without an account
    ("GET", "/verify-sw.js"),  # that page's service worker
    # The keys that sign certificates and the revoked ids: public by design.
    ("GET", "/trust/{slug}/trust-list.json"),
}
FRAMEWORK_PUBLIC = {"/api/openapi.json", "/api/docs", "/docs/oauth2-redirect"}
SAMPLE_PARAMS = {"pcode": "AD", "slug": None}


def _access_tags(route: Any) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []

    def walk(dependant: Any) -> None:
        for dependency in dependant.dependencies:
            access = getattr(dependency.call, "corridor_access", None)
            if access is not None:
                found.append((access, getattr(dependency.call, "corridor_action", None)))
            walk(dependency)

    walk(route.dependant)
    return list(dict.fromkeys(found))


def _api_routes(app: FastAPI) -> Iterator[tuple[str, str, Any]]:
    """Every (method, path, effective route) of the app, through included routers."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            for method in sorted((context.methods or set()) - {"HEAD"}):
                yield method, context.path, context


def _url(path: str, slug: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "slug":
            return slug
        return SAMPLE_PARAMS.get(name) or "1"

    return re.sub(r"\{(\w+)(?::\w+)?\}", fill, path)


def test_every_route_declares_exactly_one_access_rule(app: FastAPI) -> None:
    problems = []
    for method, path, route in _api_routes(app):
        tags = _access_tags(route)
        kinds = {kind for kind, _ in tags}
        if len(kinds) != 1:
            problems.append(f"{method} {path}: access {sorted(kinds) or 'undeclared'}")
            continue
        kind = kinds.pop()
        if kind == "public" and (method, path) not in PUBLIC_ALLOWLIST:
            problems.append(f"{method} {path}: public but not on the allowlist")
        if "{slug}" in path and kind != "operation" and (method, path) not in PUBLIC_ALLOWLIST:
            problems.append(f"{method} {path}: under an operation but not checked with require()")
        if kind == "operation" and len(tags) != 1:
            problems.append(f"{method} {path}: several actions {tags}")
    assert problems == []
    contexts = list(iter_route_contexts(app.routes))
    others = {
        c.path
        for c in contexts
        if isinstance(c.original_route, Route) and not isinstance(c.original_route, APIRoute)
    }
    assert others <= FRAMEWORK_PUBLIC
    assert any(isinstance(c.original_route, Mount) and c.path == "/static" for c in contexts)


@pytest.fixture
def world(runtime: Runtime, factory: Factory) -> dict[str, Any]:
    lead = factory.organisation()
    outsider_org = factory.organisation()
    factory.user(lead, Role.COORDINATOR)
    operation = factory.operation(lead)
    outsider = factory.user(outsider_org, Role.ADMIN, site_admin=False)
    return {"slug": operation.slug, "outsider": outsider, "outsider_token": factory.token(outsider)}


def test_anonymous_requests_get_401_or_a_redirect_to_sign_in(
    app: FastAPI, client: TestClient, world: dict[str, Any]
) -> None:
    failures = []
    for method, path, _route in _api_routes(app):
        if (method, path) in PUBLIC_ALLOWLIST:
            continue
        response = client.request(method, _url(path, world["slug"]), follow_redirects=False)
        if path.startswith("/api/"):
            ok = response.status_code == 401 and response.headers["content-type"].startswith(
                "application/problem+json"
            )
        elif path.startswith("/openrosa/"):  # field apps: a Basic challenge, then retry
            ok = response.status_code == 401 and response.headers.get(
                "www-authenticate", ""
            ).startswith("Basic")
        else:
            ok = response.status_code == 303 and response.headers["location"].startswith("/signin")
        if not ok:
            failures.append(f"{method} {path}: {response.status_code}")
    assert failures == []


def test_outsiders_get_404_for_everything_under_an_operation(
    app: FastAPI, client: TestClient, world: dict[str, Any]
) -> None:
    signin = client.get("/signin")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', signin.text)
    assert csrf is not None
    response = client.post(
        "/signin",
        data={
            "login": world["outsider"].login,
            "password": STRONG_PASSWORD,
            "csrf_token": csrf.group(1),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    checked, failures = 0, []
    for method, path, _route in _api_routes(app):
        if "{slug}" not in path or (method, path) in PUBLIC_ALLOWLIST:
            continue  # the trust list is published to anyone: checkpoints fetch it
        url = _url(path, world["slug"])
        headers = bearer(world["outsider_token"]) if path.startswith("/api/") else {}
        if path.startswith("/openrosa/"):
            headers = basic(world["outsider"].login, STRONG_PASSWORD)
        response = client.request(method, url, headers=headers, follow_redirects=False)
        checked += 1
        if response.status_code != 404:
            failures.append(f"{method} {path}: {response.status_code}")
        elif path.startswith("/api/") and world["slug"] in response.text:
            failures.append(f"{method} {path}: the 404 names the operation")
    assert checked >= 15
    assert failures == []


def test_outsiders_see_no_operation_in_lists(client: TestClient, world: dict[str, Any]) -> None:
    response = client.get("/api/v1/operations", headers=bearer(world["outsider_token"]))
    assert response.status_code == 200 and response.json() == []


def test_an_unknown_operation_and_a_foreign_one_look_the_same(
    client: TestClient, world: dict[str, Any]
) -> None:
    headers = bearer(world["outsider_token"])
    foreign = client.get(f"/api/v1/operations/{world['slug']}", headers=headers)
    unknown = client.get("/api/v1/operations/no-such-operation", headers=headers)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["detail"] == unknown.json()["detail"]
