"""Server-rendered pages: sign-in, sessions, CSRF, languages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from corridor.accounts.models import Role
from tests.conftest import STRONG_PASSWORD
from tests.factories import Factory
from tests.page_helpers import csrf, sign_in


def test_session_cookie_is_httponly_and_samesite(client: TestClient, factory: Factory) -> None:
    user = factory.user(factory.organisation())
    response = client.post(
        "/signin",
        data={"login": user.login, "password": STRONG_PASSWORD, "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert STRONG_PASSWORD not in response.headers["location"]


def test_forms_without_the_csrf_token_are_refused(client: TestClient, factory: Factory) -> None:
    user = factory.user(factory.organisation())
    refused = client.post("/signin", data={"login": user.login, "password": STRONG_PASSWORD})
    assert refused.status_code in (403, 422)
    assert client.get("/operations", follow_redirects=False).status_code == 303


def test_wrong_password_page_and_throttle(client: TestClient, factory: Factory) -> None:
    user = factory.user(factory.organisation())
    for _ in range(5):
        assert sign_in(client, user.login, "wrong-password") == 401
    response = client.post(
        "/signin",
        data={"login": user.login, "password": STRONG_PASSWORD, "csrf_token": csrf(client)},
    )
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0


def test_sign_out_and_password_change_end_the_session(client: TestClient, factory: Factory) -> None:
    user = factory.user(factory.organisation())
    assert sign_in(client, user.login) == 303
    assert client.get("/account").status_code == 200
    response = client.post(
        "/account/password",
        data={
            "current_password": STRONG_PASSWORD,
            "new_password": "river-stone-quiet-88",
            "csrf_token": csrf(client, "/account"),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert client.get("/account").status_code == 200  # this session was renewed
    client.post("/signout", data={"csrf_token": csrf(client, "/account")})
    assert client.get("/account", follow_redirects=False).status_code == 303
    assert sign_in(client, user.login) == 401
    assert sign_in(client, user.login, "river-stone-quiet-88") == 303


def test_arabic_pages_are_right_to_left(client: TestClient, factory: Factory) -> None:
    user = factory.user(factory.organisation(), language="ar")
    sign_in(client, user.login)
    page = client.get("/operations").text
    assert '<html lang="ar" dir="rtl">' in page
    assert "العمليات" in page
    anonymous = TestClient(client.app)
    assert 'dir="rtl"' in anonymous.get("/signin", headers={"Accept-Language": "ar"}).text
    assert 'dir="ltr"' in anonymous.get("/signin", headers={"Accept-Language": "fr"}).text


def test_operation_overview_shows_area_map_and_partners(
    client: TestClient, factory: Factory
) -> None:
    lead = factory.organisation("Lead Org")
    partner = factory.organisation("Partner Org")
    operation = factory.operation(lead)
    factory.join(operation, partner)
    user = factory.user(lead, Role.COORDINATOR)
    sign_in(client, user.login)
    page = client.get(f"/operations/{operation.slug}").text
    assert 'class="corridor-map"' in page and 'data-layer="area"' in page
    assert "Lead Org" in page and "Partner Org" in page
    audit = client.get(f"/operations/{operation.slug}/audit").text
    assert 'id="chain-status"' in audit and "success" in audit


def test_security_headers(client: TestClient) -> None:
    response = client.get("/signin")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_operation_map_renders_as_svg_for_print(client: TestClient, factory: Factory) -> None:
    import xml.etree.ElementTree as ET

    lead = factory.organisation()
    operation = factory.operation(lead)
    sign_in(client, factory.user(lead, Role.VIEWER).login)
    response = client.get(f"/operations/{operation.slug}/map.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(response.text)
    assert root.tag.endswith("svg")
    assert any(el.tag.endswith("path") for el in root.iter())
