"""The JSON API end to end: problem details, invitations, gazetteer, tokens."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from corridor.accounts.models import Role
from corridor.operations.api import MAX_GAZETTEER_BYTES
from corridor.runtime import Runtime
from tests.conftest import STRONG_PASSWORD
from tests.factories import SQUARE, Factory
from tests.web.conftest import bearer

PROBLEM = "application/problem+json"


@pytest.fixture
def lead(factory: Factory) -> dict[str, Any]:
    org = factory.organisation()
    user = factory.user(org, Role.COORDINATOR)
    return {"org": org, "user": user, "headers": bearer(factory.token(user))}


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["schema_current"] is True


def test_create_read_update_an_operation(client: TestClient, lead: dict[str, Any]) -> None:
    body = {
        "slug": "north",
        "name": "North corridor",
        "area": SQUARE,
        "timezone": "Asia/Damascus",
        "start_date": "2026-11-01",
        "end_date": "2026-12-31",
    }
    created = client.post("/api/v1/operations", json=body, headers=lead["headers"])
    assert created.status_code == 201, created.text
    assert created.json()["lead_organisation"]["id"] == lead["org"].id
    assert [p["is_lead"] for p in created.json()["partners"]] == [True]
    patched = client.patch(
        "/api/v1/operations/north", json={"status": "active"}, headers=lead["headers"]
    )
    assert patched.status_code == 200 and patched.json()["status"] == "active"
    area = client.get("/api/v1/operations/north/area.geojson", headers=lead["headers"]).json()
    assert area["features"][0]["geometry"] == SQUARE


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"slug": "x1", "name": "X", "start_date": "2026-02-02", "end_date": "2026-02-01"},
            "end_date",
        ),
        (
            {"slug": "x1", "name": "X", "area": {"type": "Polygon", "coordinates": [[[0, 0]]]}},
            "area",
        ),
        ({"slug": "x1"}, "name"),
        ({"slug": "x1", "name": "X", "start_date": "yesterday"}, "start_date"),
        ({"slug": "x1", "name": "X", "status": "paused"}, "status"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(
    client: TestClient, lead: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/operations", json=body, headers=lead["headers"])
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == 422 and problem["type"].startswith("urn:corridor:problem:")
    assert field in [e["field"] for e in problem["errors"]]
    assert problem["request_id"] == response.headers["x-request-id"]
    assert client.get("/api/v1/operations", headers=lead["headers"]).json() == []


def test_unexpected_errors_give_a_request_id_and_no_trace(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    from corridor.web.app import create_app

    app: FastAPI = create_app(runtime=runtime, start_jobs=False)

    @app.get("/api/v1/boom")
    def boom() -> None:
        # Built at run time so that the source line in the stack does not hold it.
        raise RuntimeError("secret detail: " + "".join(["Am", "ina"]) + ", born 1990")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["request_id"] == response.headers["x-request-id"]
    assert "Amina" not in response.text and "Traceback" not in response.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert response.json()["request_id"] in logged and "RuntimeError" in logged
    assert "Amina" not in logged


def test_invite_accept_and_suspend_a_partner_through_the_api(
    client: TestClient, factory: Factory, lead: dict[str, Any]
) -> None:
    operation = factory.operation(lead["org"])
    partner = factory.organisation()
    partner_headers = bearer(factory.token(factory.user(partner, Role.ADMIN)))
    base = f"/api/v1/operations/{operation.slug}"
    invited = client.post(
        f"{base}/invitations", json={"organisation_id": partner.id}, headers=lead["headers"]
    )
    assert invited.status_code == 201
    token = invited.json()["token"]
    assert "#token=" in invited.json()["accept_url"]
    assert client.get(base, headers=partner_headers).status_code == 404
    accepted = client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=partner_headers
    )
    assert accepted.status_code == 200 and accepted.json()["slug"] == operation.slug
    assert client.get(base, headers=partner_headers).status_code == 200
    reused = client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=partner_headers
    )
    assert reused.status_code == 409 and "already been used" in reused.json()["detail"]
    listed = client.get(f"{base}/invitations", headers=lead["headers"]).json()
    assert [i["state"] for i in listed] == ["accepted"]
    assert "token" not in listed[0]
    # Partners may not invite or suspend.
    assert (
        client.post(
            f"{base}/invitations", json={"organisation_id": lead["org"].id}, headers=partner_headers
        ).status_code
        == 403
    )
    suspended = client.patch(
        f"{base}/partners/{partner.id}", json={"status": "suspended"}, headers=lead["headers"]
    )
    assert suspended.status_code == 200
    assert client.get(base, headers=partner_headers).status_code == 404
    unknown = client.post(
        f"{base}/invitations", json={"organisation_id": 999999}, headers=lead["headers"]
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "organisation_id"


def test_gazetteer_upload(client: TestClient, factory: Factory, lead: dict[str, Any]) -> None:
    operation = factory.operation(lead["org"])
    url = f"/api/v1/operations/{operation.slug}/admin-areas"
    headers = {**lead["headers"], "Content-Type": "text/csv"}
    csv_text = (
        "pcode,name_en,name_ar,admin_level,parent_pcode\nSY,Syria,سوريا,0,\nSY02,Aleppo,حلب,1,SY\n"
    )
    result = client.post(url, content=csv_text.encode(), headers=headers)
    assert result.status_code == 200 and result.json() == {"created": 2, "updated": 0}
    assert client.get(f"{url}/SY02", headers=lead["headers"]).json()["name_ar"] == "حلب"
    assert client.get(f"{url}/SY99", headers=lead["headers"]).status_code == 404
    bad = client.post(
        url,
        content=b"pcode,name_en,name_ar,admin_level,parent_pcode\nSY03,Homs,,1,XX\n",
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "line 2: parent_pcode"
    big = client.post(url, content=b"x" * (MAX_GAZETTEER_BYTES + 1), headers=headers)
    assert big.status_code == 413
    assert len(client.get(url, headers=lead["headers"]).json()) == 2


def test_password_sign_in_for_a_token_is_throttled(client: TestClient, factory: Factory) -> None:
    user = factory.user(factory.organisation())
    for _ in range(5):
        wrong = client.post("/api/v1/tokens", json={"login": user.login, "password": "nope"})
        assert wrong.status_code == 401
    blocked = client.post("/api/v1/tokens", json={"login": user.login, "password": STRONG_PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert blocked.headers["content-type"].startswith(PROBLEM)


def test_tokens_are_shown_once_and_revocable(client: TestClient, lead: dict[str, Any]) -> None:
    created = client.post("/api/v1/me/tokens", json={"name": "sync phone"}, headers=lead["headers"])
    assert created.status_code == 201
    secret = created.json()["token"]
    assert client.get("/api/v1/me", headers=bearer(secret)).json()["login"] == lead["user"].login
    listed = client.get("/api/v1/me/tokens", headers=lead["headers"]).json()
    assert all("token" not in t for t in listed)
    client.delete(f"/api/v1/me/tokens/{created.json()['id']}", headers=lead["headers"])
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_cookie_authenticated_api_writes_need_the_csrf_header(
    client: TestClient, lead: dict[str, Any]
) -> None:
    import re

    page = client.get("/signin")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.post(
        "/signin",
        data={"login": lead["user"].login, "password": STRONG_PASSWORD, "csrf_token": csrf},
    )
    body = {"name": "from the browser"}
    assert client.post("/api/v1/me/tokens", json=body).status_code == 403
    ok = client.post("/api/v1/me/tokens", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201


def test_organisation_admin_manages_users_and_roles(client: TestClient, factory: Factory) -> None:
    org = factory.organisation()
    admin_headers = bearer(factory.token(factory.user(org, Role.ADMIN)))
    other_headers = bearer(factory.token(factory.user(factory.organisation(), Role.ADMIN)))
    body = {
        "login": "new.officer",
        "display_name": "New Officer",
        "password": STRONG_PASSWORD,
        "role": "field_officer",
    }
    url = f"/api/v1/organisations/{org.id}/users"
    assert client.post(url, json=body, headers=other_headers).status_code == 403
    created = client.post(url, json=body, headers=admin_headers)
    assert created.status_code == 201
    weak = client.post(
        url, json={**body, "login": "weak.one", "password": "password1234"}, headers=admin_headers
    )
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "password"
    duplicate = client.post(url, json=body, headers=admin_headers)
    assert duplicate.status_code == 409
    user_id = created.json()["id"]
    changed = client.patch(
        f"{url}/{user_id}", json={"role": "viewer", "active": False}, headers=admin_headers
    )
    assert changed.status_code == 200
    assert changed.json()["memberships"][0]["role"] == "viewer"
    assert changed.json()["active"] is False
