"""The desk screens through their forms: intake, two items through custody to a
destruction record, a certificate issued, printed and revoked; what others see."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from corridor.amnesty.intakes import Topic
from corridor.amnesty.trust_list import load
from corridor.runtime import Runtime
from corridor.web.app import create_app
from tests.amnesty.conftest import DeskWorld
from tests.page_helpers import csrf, sign_in

PHOTO = Path(__file__).with_name("holder.jpg").read_bytes()


@pytest.mark.db
def test_the_desk_screens_take_an_intake_to_destruction_and_a_certificate(
    amnesty: DeskWorld, runtime: Runtime
) -> None:
    world = amnesty
    client = TestClient(create_app(runtime=runtime, start_jobs=False))
    assert sign_in(client, world.officer.login) == 303
    base = f"/operations/{world.operation.slug}/amnesty"
    overview = client.get(base)
    assert overview.status_code == 200 and "Desk at the north crossing" in overview.text
    fingerprint = re.search(r'id="root-fingerprint" dir="ltr">([\w-]{43})<', overview.text)
    trust = client.get(f"/trust/{world.operation.slug}/trust-list.json").content
    assert fingerprint is not None and load(trust).root_thumbprint == fingerprint.group(1)
    token = csrf(client, base)
    form = {
        "csrf_token": token,
        "desk_id": str(world.desk.id),
        "name_arabic": "وليد فارس منصور",
        "name_latin": "Walid Fares Mansour",
        "birth_date": "1990-02",
        "sex": "male",
        "consent_given": "on",
        **{f"explained_{t}": "on" for t in Topic.ALL},
    }
    missing = client.post(
        f"{base}/intakes", data={**form, "consent_given": ""}, follow_redirects=True
    )
    assert "informed consent" in missing.text
    created = client.post(
        f"{base}/intakes",
        data=form,
        files={"photo": ("p.jpg", PHOTO, "image/jpeg")},
        follow_redirects=False,
    )
    assert created.status_code == 303
    intake_url = created.headers["location"]
    page = client.get(intake_url)
    assert "Walid Fares Mansour" in page.text and "Intake recorded." in page.text
    for serial in ("AK-55501", "AK-55502"):
        answer = client.post(
            f"{intake_url}/items",
            data={
                "csrf_token": token,
                "category": "small_arm",
                "make": "Kalashnikov",
                "model": "AKM",
                "calibre": "7.62x39mm",
                "serial_number": serial,
                "serial_status": "present",
                "condition": "serviceable",
                "marking_status": "marked",
                "quantity": "1",
                "witness_id": str(world.witness.id),
            },
            follow_redirects=True,
        )
        assert "Item registered." in answer.text
    item_ids = re.findall(r"/amnesty/items/(\d+)/custody", client.get(intake_url).text)
    assert len(item_ids) == 2
    for item_id in item_ids:
        for step in ({"step": "recorded"}, {"step": "stored", "depot_id": str(world.depot.id)}):
            answer = client.post(
                f"{base}/items/{item_id}/custody",
                data={"csrf_token": token, "witness_id": str(world.witness.id), **step},
                follow_redirects=True,
            )
            assert "Custody step recorded." in answer.text, answer.text[-2000:]
    inventory = client.get(base).text
    assert "W-000001" in inventory and "W-000002" in inventory
    destroyed = client.post(
        f"{base}/destructions",
        data={
            "csrf_token": token,
            "depot_id": str(world.depot.id),
            "item_id": item_ids,
            "method": "crushing",
            "witness_id": str(world.witness.id),
        },
        follow_redirects=True,
    )
    assert "Destruction recorded." in destroyed.text and "D-0001" in destroyed.text
    assert "W-000002" in destroyed.text
    issued = client.post(
        f"{intake_url}/certificates",
        data={"csrf_token": token, "type": "amnesty"},
        follow_redirects=True,
    )
    assert "Certificate issued." in issued.text
    (pdf_link,) = re.findall(r'href="([^"]+/pdf)"', issued.text)
    printed = client.get(pdf_link)
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")
    revoke = pdf_link.replace("/pdf", "/revoke")
    revoked = client.post(
        revoke, data={"csrf_token": token, "reason": "reissued"}, follow_redirects=True
    )
    assert "Certificate revoked." in revoked.text


@pytest.mark.db
def test_others_see_counts_and_never_an_intake(amnesty: DeskWorld, runtime: Runtime) -> None:
    client = TestClient(create_app(runtime=runtime, start_jobs=False))
    assert sign_in(client, amnesty.coordinator.login) == 303
    page = client.get(f"/operations/{amnesty.operation.slug}/amnesty")
    assert page.status_code == 200
    assert 'id="amnesty-counts"' in page.text and 'id="intakes"' not in page.text
    assert 'id="intake-form"' not in page.text
