"""The desk screens through their forms: intake, two items through custody to a
destruction record, a certificate issued, printed and revoked; what others see."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from corridor.accounts.models import Organisation, Role
from corridor.amnesty.intakes import Topic
from corridor.amnesty.models import Intake
from corridor.amnesty.trust_list import load
from corridor.crossings import forms
from corridor.crossings.models import RegistrationMember
from corridor.db.session import unit_of_work
from corridor.operations.models import Checkpoint
from corridor.runtime import Runtime
from corridor.web.app import create_app
from tests.amnesty.conftest import DeskWorld
from tests.factories import Factory
from tests.linkage.helpers import khaled_head, register
from tests.page_helpers import csrf, sign_in

PHOTO = Path(__file__).with_name("holder.jpg").read_bytes()


@pytest.mark.db
def _registered_household(runtime: Runtime, factory: Factory, world: DeskWorld) -> str:
    """A household registered at a crossing by the lead (its head: Khaled)."""
    with unit_of_work(runtime.factory) as session:
        checkpoint = Checkpoint(operation_id=world.operation.id, name="Gate", lon=1.5, lat=42.5)
        session.add(checkpoint)
        session.flush()
        forms.ensure_shipped_forms(session, operation_id=world.operation.id)
        checkpoint_id = checkpoint.id
    officer = factory.user(Organisation(id=world.lead_id), Role.FIELD_OFFICER)
    ids = {
        "id": world.operation.id,
        "lead": world.lead_id,
        "officer": officer.id,
        "checkpoint": checkpoint_id,
    }
    head = register(runtime, ids, [khaled_head()])[0]
    with unit_of_work(runtime.factory) as session:
        return str(session.get_one(RegistrationMember, uuid.UUID(head)).registration_id)


def test_the_desk_screens_take_an_intake_to_destruction_and_a_certificate(
    amnesty: DeskWorld, runtime: Runtime, factory: Factory
) -> None:
    world = amnesty
    registration = _registered_household(runtime, factory, world)
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
        "name_arabic": "",
        "name_latin": "",
        "registration_id": registration,
        "position": "1",
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
    assert "Intake recorded." in page.text
    with unit_of_work(runtime.factory) as session:  # linked to the registered head, names from it
        (intake,) = session.query(Intake).all()
        member = session.get_one(RegistrationMember, intake.registration_member_id)
        assert str(member.registration_id) == registration and member.position == 0
        shown = intake.name_arabic or intake.name_latin
        assert shown and shown in page.text
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
            files={"photo": ("rifle.jpg", PHOTO, "image/jpeg")} if serial.endswith("1") else None,
            follow_redirects=True,
        )
        assert "Item registered." in answer.text
    page = client.get(intake_url).text
    item_ids = re.findall(r"/amnesty/items/(\d+)/custody", page)
    assert len(item_ids) == 2 and page.count("Photos: <bdi>1</bdi>") == 1
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
    (revoke,) = re.findall(r'action="([^"]+/revoke)"', issued.text)
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
