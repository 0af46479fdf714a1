"""The amnesty API end to end: intake, items, custody, destruction, certificate
issue/print/revoke, the public trust list; who may see what; bad input refused."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from corridor.accounts.models import Organisation, Role
from corridor.amnesty.intakes import Topic
from corridor.amnesty.trust_list import load
from corridor.amnesty.verifier import Verdict, Verifier
from corridor.runtime import Runtime
from corridor.web.app import create_app
from tests.amnesty.conftest import DeskWorld
from tests.factories import Factory
from tests.web.conftest import bearer

PHOTO = Path(__file__).with_name("holder.jpg").read_bytes()


@pytest.fixture
def api(amnesty: DeskWorld, runtime: Runtime, factory: Factory) -> dict[str, Any]:
    ddr_org = Organisation(id=amnesty.ddr_org_id)
    lead = Organisation(id=amnesty.lead_id)
    return {
        "client": TestClient(create_app(runtime=runtime, start_jobs=False)),
        "url": f"/api/v1/operations/{amnesty.operation.slug}/amnesty",
        "officer": bearer(factory.token(amnesty.officer)),
        "lead_coordinator": bearer(factory.token(amnesty.coordinator)),
        "lead_ddr": bearer(factory.token(factory.user(lead, Role.DDR_OFFICER))),
        "ddr_field_officer": bearer(factory.token(factory.user(ddr_org, Role.FIELD_OFFICER))),
    }


def _call(
    api: dict[str, Any], method: str, path: str, body: Any = None, who: str = "officer"
) -> Any:
    return api["client"].request(method, f"{api['url']}{path}", json=body, headers=api[who])


def _intake_body(world: DeskWorld, **changes: Any) -> dict[str, Any]:
    body = {
        "desk_id": world.desk.id,
        "name_arabic": "يوسف إبراهيم سليمان",
        "name_latin": "Yousef Ibrahim Suleiman",
        "birth_date": "1985",
        "sex": "male",
        "explained": list(Topic.ALL),
        "consent_given": True,
        "photo_base64": base64.b64encode(PHOTO).decode(),
    }
    body.update(changes)
    return body


def _weapon(world: DeskWorld, serial: str) -> dict[str, Any]:
    return {
        "category": "small_arm",
        "make": "Kalashnikov",
        "model": "AKM",
        "calibre": "7.62x39mm",
        "serial_number": serial,
        "serial_status": "present",
        "condition": "serviceable",
        "marking_status": "marked",
        "witness_id": world.witness.id,
    }


@pytest.mark.db
def test_an_intake_goes_through_to_a_verified_certificate(
    amnesty: DeskWorld, api: dict[str, Any]
) -> None:
    world = amnesty
    created = _call(api, "POST", "/intakes", _intake_body(world))
    assert created.status_code == 201, created.text
    intake = created.json()
    assert intake["has_photo"] and intake["status"] == "registered"
    assert "photo_base64" not in intake
    items = []
    for serial in ("AK-0001", "AK-0002"):
        answer = _call(api, "POST", f"/intakes/{intake['id']}/items", _weapon(world, serial))
        assert answer.status_code == 201, answer.text
        assert [e["step"] for e in answer.json()["events"]] == ["collected"]
        items.append(answer.json())
    for item in items:
        for step in ({"step": "recorded"}, {"step": "stored", "depot_id": world.depot.id}):
            answer = _call(
                api,
                "POST",
                f"/items/{item['id']}/custody",
                {**step, "witness_id": world.witness.id},
            )
            assert answer.status_code == 201, answer.text
    skipped = _call(
        api,
        "POST",
        f"/items/{items[0]['id']}/custody",
        {"step": "recorded", "witness_id": world.witness.id},
    )
    assert skipped.status_code == 409
    inventory = _call(api, "GET", "/inventory").json()
    assert sorted(h["reference"] for h in inventory) == ["W-000001", "W-000002"]
    batch = _call(
        api,
        "POST",
        "/destructions",
        {
            "depot_id": world.depot.id,
            "item_ids": [i["id"] for i in items],
            "method": "cutting",
            "witness_id": world.witness.id,
        },
    )
    assert batch.status_code == 201, batch.text
    assert batch.json()["item_references"] == ["W-000001", "W-000002"]
    assert _call(api, "GET", "/inventory").json() == []
    issued = _call(api, "POST", f"/intakes/{intake['id']}/certificates", {"type": "amnesty"})
    assert issued.status_code == 201, issued.text
    certificate = issued.json()
    printed = _call(api, "GET", f"/certificates/{certificate['id']}/pdf")
    assert printed.headers["content-type"] == "application/pdf" and printed.content.startswith(
        b"%PDF"
    )
    assert _call(api, "GET", f"/certificates/{certificate['id']}").json()["printed_count"] == 1
    trust = api["client"].get(f"/trust/{world.operation.slug}/trust-list.json")  # no account
    assert trust.status_code == 200
    verifier = Verifier(load(trust.content))
    result = verifier.verify(certificate["qr_text"])
    assert (
        result.verdict is Verdict.VALID and result.certificate_id == certificate["certificate_id"]
    )
    revoked = _call(
        api, "POST", f"/certificates/{certificate['id']}/revoke", {"reason": "issued in error"}
    )
    assert revoked.status_code == 200
    again = Verifier(
        load(api["client"].get(f"/trust/{world.operation.slug}/trust-list.json").content)
    )
    assert again.verify(certificate["qr_text"]).verdict is Verdict.REVOKED
    summary = _call(api, "GET", "/summary", who="lead_coordinator").json()
    assert summary["intakes"]["certified"] is None  # one person: suppressed
    assert summary["items_by_step"] == {"destroyed": None}


@pytest.mark.db
def test_intakes_are_seen_only_by_the_desks_ddr_officers(
    amnesty: DeskWorld, api: dict[str, Any]
) -> None:
    intake = _call(api, "POST", "/intakes", _intake_body(amnesty)).json()
    for who, status in (("lead_coordinator", 403), ("ddr_field_officer", 403), ("lead_ddr", 404)):
        assert _call(api, "GET", f"/intakes/{intake['id']}", who=who).status_code == status, who
    assert _call(api, "GET", "/intakes", who="lead_ddr").json() == []
    assert _call(api, "POST", "/intakes", _intake_body(amnesty), who="lead_ddr").status_code == 403
    photo = _call(api, "GET", f"/intakes/{intake['id']}/photo")
    assert photo.status_code == 200 and photo.content == PHOTO
    assert _call(api, "GET", "/summary", who="lead_coordinator").status_code == 200


BAD_INTAKES = [
    ({"consent_given": False}, 422, "consent_given"),
    ({"explained": ["programme"]}, 422, "explained"),
    ({"birth_date": "85"}, 422, "birth_date"),
    ({"photo_base64": "not base64!"}, 422, "photo_base64"),
    ({"photo_base64": base64.b64encode(b"plain text").decode()}, 422, "photo_base64"),
    ({"desk_id": 999999}, 422, "desk_id"),
    ({"sex": "other"}, 422, "sex"),
    ({"took_place_at": "2026-12-01T10:00:00"}, 422, "took_place_at"),  # no time zone
    ({"took_place_at": "2999-01-01T10:00:00Z"}, 422, "took_place_at"),
]


@pytest.mark.db
def test_bad_intakes_are_refused_naming_the_field(amnesty: DeskWorld, api: dict[str, Any]) -> None:
    for changes, status, field in BAD_INTAKES:  # one world for all: each case changes nothing
        answer = _call(api, "POST", "/intakes", _intake_body(amnesty, **changes))
        assert answer.status_code == status, (changes, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in json.dumps(answer.json()), changes
    assert _call(api, "GET", "/intakes").json() == []  # nothing recorded


@pytest.mark.db
def test_a_duplicate_serial_is_a_conflict_naming_the_first(
    amnesty: DeskWorld, api: dict[str, Any]
) -> None:
    intake = _call(api, "POST", "/intakes", _intake_body(amnesty)).json()
    assert (
        _call(api, "POST", f"/intakes/{intake['id']}/items", _weapon(amnesty, "X-77")).status_code
        == 201
    )
    again = _call(api, "POST", f"/intakes/{intake['id']}/items", _weapon(amnesty, "x77"))
    assert again.status_code == 409 and "W-000001" in again.json()["detail"]
    same_witness = {**_weapon(amnesty, "X-78"), "witness_id": amnesty.officer.id}
    answer = _call(api, "POST", f"/intakes/{intake['id']}/items", same_witness)
    assert answer.status_code == 422 and "witness_id" in answer.text


@pytest.mark.db
def test_withdrawal_revokes_the_certificates(amnesty: DeskWorld, api: dict[str, Any]) -> None:
    intake = _call(api, "POST", "/intakes", _intake_body(amnesty, photo_base64=None)).json()
    certificate = _call(
        api, "POST", f"/intakes/{intake['id']}/certificates", {"type": "safe_passage"}
    ).json()
    withdrawn = _call(
        api, "POST", f"/intakes/{intake['id']}/withdraw", {"reason": "the person asked"}
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    listed = _call(api, "GET", f"/intakes/{intake['id']}/certificates").json()
    assert listed[0]["id"] == certificate["id"] and listed[0]["revoked_at"] is not None
    refused = _call(api, "POST", f"/intakes/{intake['id']}/certificates", {"type": "safe_passage"})
    assert refused.status_code == 409


def test_the_trust_list_of_an_unknown_operation_is_404(runtime: Runtime) -> None:
    client = TestClient(create_app(runtime=runtime, start_jobs=False))
    assert client.get("/trust/no-such-operation/trust-list.json").status_code == 404


@pytest.mark.db
def test_payloads_stay_out_of_logs_and_private_keys_stay_encrypted(
    amnesty: DeskWorld, api: dict[str, Any], runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
    from sqlalchemy import select

    from corridor.amnesty import signing_keys
    from corridor.amnesty.models import SigningKey
    from corridor.db.session import unit_of_work

    caplog.set_level(logging.DEBUG)
    intake = _call(api, "POST", "/intakes", _intake_body(amnesty, photo_base64=None)).json()
    issued = _call(
        api, "POST", f"/intakes/{intake['id']}/certificates", {"type": "safe_passage"}
    ).json()
    assert _call(api, "GET", f"/certificates/{issued['id']}").status_code == 200
    assert _call(api, "GET", f"/certificates/{issued['id']}/pdf").status_code == 200
    trust = api["client"].get(f"/trust/{amnesty.operation.slug}/trust-list.json").text
    logged = caplog.text
    assert issued["qr_text"] not in logged and issued["qr_text"][4:60] not in logged
    assert "Yousef" not in logged and "يوسف" not in logged
    with unit_of_work(runtime.factory) as session:
        rows = session.scalars(select(SigningKey)).all()
        assert {r.role.value for r in rows} == {"root", "issuer"}
        for row in rows:
            raw = signing_keys.private_key(session, row).private_bytes(
                Encoding.Raw, PrivateFormat.Raw, NoEncryption()
            )
            assert raw not in row.private_key  # stored encrypted only
            assert base64.urlsafe_b64encode(raw).rstrip(b"=").decode() not in trust
    second = _call(
        api, "POST", f"/intakes/{intake['id']}/certificates", {"type": "safe_passage"}
    ).json()
    assert second["certificate_id"] != issued["certificate_id"]  # random ids
    first_id = base64.urlsafe_b64decode(issued["certificate_id"] + "==")
    second_id = base64.urlsafe_b64decode(second["certificate_id"] + "==")
    assert len(first_id) == 16 and abs(int.from_bytes(second_id) - int.from_bytes(first_id)) > 2**64
