"""Distribution lists captured offline and sent through OpenRosa: always accepted, flagged
when they do not add up, reconciled by a coordinator; phones get entitlements as media."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from typing import Any

import pytest
from defusedxml import ElementTree
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from corridor.accounts.models import Organisation, Role
from corridor.aid import catalogue, entitlements, ledger, places, stock
from corridor.aid.models import Balance, Distribution, Movement, MovementKind, PlaceKind
from corridor.audit.models import AccessLogEntry
from corridor.crossings import devices, forms
from corridor.crossings.collect import build_instance
from corridor.crossings.models import RegistrationMember, Submission
from corridor.db.session import Actor, unit_of_work
from corridor.db.types import utcnow
from corridor.operations.models import Operation
from corridor.runtime import Runtime
from corridor.web.app import create_app
from tests.crossings.openrosa_helpers import basic
from tests.factories import Factory
from tests.linkage.helpers import halabi_child, khaled_head, make_operation, page_client, register
from tests.page_helpers import csrf
from tests.web.conftest import bearer

LIST_NS = "{http://openrosa.org/xforms/xformsList}"
MANIFEST_NS = "{http://openrosa.org/xforms/xformsManifest}"


@pytest.fixture
def world(runtime: Runtime, factory: Factory) -> dict[str, Any]:
    operation = make_operation(runtime, factory)
    lead = Organisation(id=operation["lead"])
    partner = factory.organisation()
    with unit_of_work(runtime.factory, Actor(label="test")) as session:
        point = places.create_place(
            session,
            operation_id=operation["id"],
            organisation_id=operation["lead"],
            kind=PlaceKind.AID_POINT,
            name="Aid point North",
            lon=1.5,
            lat=42.5,
            status="open",
        )
        parcel = catalogue.item_by_code(session, operation_id=operation["id"], code="FOOD-PARCEL")
        stock.receive(
            session,
            place=point,
            entries=[stock.Entry(parcel.id, 10, batch="FP-1", expires_on=None)],
            recorded_by_id=None,
        )
        entitlements.create_rule(
            session,
            operation_id=operation["id"],
            name="One food parcel per household per 30 days",
            item_id=parcel.id,
            quantity=1,
            per="household",
            period_days=30,
        )
        secret, credential = devices.issue(
            session,
            operation_id=operation["id"],
            user_id=operation["officer"],
            name="Phone at the aid point",
            created_by_id=operation["coordinator"],
        )
        xform = forms.current_version(
            session,
            form=forms.get_form(session, operation_id=operation["id"], xml_form_id="distribution"),
        ).xform
    members = register(runtime, operation, [khaled_head(), halabi_child("سارة", "female", "2010")])
    with unit_of_work(runtime.factory) as session:
        registration = session.get_one(RegistrationMember, uuid.UUID(members[0])).registration_id
    app = create_app(runtime=runtime, start_jobs=False)
    return {
        **operation,
        "client": TestClient(app),
        "base": f"/openrosa/{operation['slug']}",
        "device": basic(credential.username, secret),
        "point": point.id,
        "parcel": parcel.id,
        "xform": xform,
        "registration": registration,
        "coordinator_token": bearer(factory.token(factory.user(lead, Role.COORDINATOR))),
        "partner": partner,
    }


def _list(world: dict[str, Any], **values: Any) -> bytes:
    lines = values.pop("lines", [{"item": str(world["parcel"]), "quantity": "1"}])
    ids = {k: values.pop(k) for k in ("instance_id", "deprecated_id") if k in values}
    filled = {
        "start": utcnow().isoformat(),
        "end": utcnow().isoformat(),
        "deviceid": "collect:aid-1",
        "aid_point": str(world["point"]),
        "distributed_at": utcnow().isoformat(),
        "recipient_kind": "household",
        "registration": str(world["registration"]),
        **values,
    }
    xml, _instance = build_instance(world["xform"], filled, {"line": lines}, **ids)
    return xml


def _send(world: dict[str, Any], xml: bytes, headers: dict[str, str] | None = None) -> Any:
    return world["client"].post(
        f"{world['base']}/submission",
        files=[("xml_submission_file", ("submission.xml", xml, "text/xml"))],
        headers=headers or world["device"],
    )


def _media(world: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The distribution form's media as the manifest lists them: name → (hash, url)."""
    client = world["client"]
    listing = ElementTree.fromstring(
        client.get(f"{world['base']}/formList", headers=world["device"]).content
    )
    entry = next(
        x
        for x in listing.findall(f"{LIST_NS}xform")
        if x.findtext(f"{LIST_NS}formID") == "distribution"
    )
    manifest = ElementTree.fromstring(
        client.get(entry.findtext(f"{LIST_NS}manifestUrl"), headers=world["device"]).content
    )
    return {
        f.findtext(f"{MANIFEST_NS}filename"): (
            f.findtext(f"{MANIFEST_NS}hash"),
            f.findtext(f"{MANIFEST_NS}downloadUrl"),
        )
        for f in manifest.findall(f"{MANIFEST_NS}mediaFile")
    }


def _entitlements(world: dict[str, Any]) -> tuple[str, dict[str, dict[str, str]]]:
    digest, url = _media(world)["entitlements.csv"]
    response = world["client"].get(url, headers=world["device"])
    assert response.status_code == 200
    assert digest == "md5:" + hashlib.md5(response.content).hexdigest()
    return digest, {row["name"]: row for row in csv.DictReader(io.StringIO(response.text))}


def test_phones_get_aid_points_items_and_entitlements_as_form_media(
    runtime: Runtime, world: dict[str, Any]
) -> None:
    media = _media(world)
    assert set(media) == {"aid_points.csv", "items.csv", "entitlements.csv"}
    points = world["client"].get(media["aid_points.csv"][1], headers=world["device"]).text
    assert f"{world['point']},Aid point North" in points
    items = world["client"].get(media["items.csv"][1], headers=world["device"]).text
    assert f"{world['parcel']},Family food parcel (one month) (piece)" in items
    before, rows = _entitlements(world)
    key = str(world["registration"])
    assert rows[key]["household_size"] == "2"
    assert rows[f"{key}/{world['parcel']}"]["remaining"] == "1"
    assert "Khaled" not in str(rows) and "خالد" not in str(rows)  # no names leave for phones
    with unit_of_work(runtime.factory) as session:
        logged = session.scalar(
            select(func.count())
            .select_from(AccessLogEntry)
            .where(AccessLogEntry.entity_id == "entitlements.csv")
        )
    assert logged == 1  # the download (not the hash in the manifest) is in the access log
    assert _send(world, _list(world)).status_code == 201
    after, rows = _entitlements(world)
    assert after != before and rows[f"{key}/{world['parcel']}"]["remaining"] == "0"


def test_an_offline_list_is_always_accepted_and_what_does_not_add_up_is_flagged(
    runtime: Runtime, world: dict[str, Any]
) -> None:
    first = _list(world)
    assert _send(world, first).status_code == 201
    assert _send(world, first).status_code == 202  # a resend is stored once
    # Beyond the entitlement and beyond the 9 parcels left: accepted all the same.
    beyond = _send(world, _list(world, lines=[{"item": str(world["parcel"]), "quantity": "12"}]))
    assert beyond.status_code == 201
    # A registration number this server does not know (yet).
    unknown = _send(world, _list(world, registration="card-4711"))
    assert unknown.status_code == 201
    with unit_of_work(runtime.factory) as session:
        stored = session.scalars(select(Distribution).order_by(Distribution.distributed_at)).all()
        assert len(stored) == 3
        assert stored[0].flags == [] and not stored[0].flagged
        codes = [flag["code"] for flag in stored[1].flags]
        assert codes == ["entitlement_exceeded", "stock_shortfall"]
        assert "3 FOOD-PARCEL given beyond the recorded stock" in stored[1].flags[1]["detail"]
        discrepancy = session.get_one(Movement, stored[1].discrepancy_movement_id)
        assert discrepancy.kind == MovementKind.DISCREPANCY
        assert [line.quantity for line in discrepancy.lines] == [3]
        assert -sum(line.quantity for line in stored[1].movement.lines) == 12
        assert [flag["code"] for flag in stored[2].flags] == [
            "unknown_recipient",
            "stock_shortfall",
        ]
        assert stored[2].recipient_reference == "card-4711" and stored[2].registration_id is None
        assert all(d.submission_id is not None for d in stored)
        assert session.scalar(select(func.min(Balance.quantity))) == 0
        assert ledger.mismatches(session, operation_id=world["id"]) == []
    # Online, the same point now refuses: the ledger holds nothing.
    online = world["client"].post(
        f"/api/v1/operations/{world['slug']}/aid/distributions",
        json={
            "id": str(uuid.uuid4()),
            "place_id": world["point"],
            "recipient": {"kind": "anonymous", "people_count": 1},
            "items": [{"item_id": world["parcel"], "quantity": 1}],
        },
        headers=world["coordinator_token"],
    )
    assert online.status_code == 409


def test_bad_lists_are_refused_with_the_field_and_nothing_is_stored(
    runtime: Runtime, world: dict[str, Any], factory: Factory
) -> None:
    cases = {
        "aid_point: is not an aid point": _list(world, aid_point="999999"),
        "line[1]/quantity: must be a whole number": _list(
            world, lines=[{"item": str(world["parcel"]), "quantity": "1.5"}]
        ),
        "line[1]/item: is not an item": _list(world, lines=[{"item": "999999", "quantity": "1"}]),
        "people_count: must be a whole number": _list(
            world, recipient_kind="anonymous", registration="", people_count="many"
        ),
        "distributed_at: is in the future": _list(
            world, distributed_at="2099-01-01T00:00:00+00:00"
        ),
    }
    for message, xml in cases.items():
        response = _send(world, xml)
        assert response.status_code == 400, message
        assert message in response.text
    # An officer of another organisation distributes at their own points only.
    with unit_of_work(runtime.factory) as session:
        operation = session.get_one(Operation, world["id"])
    factory.join(operation, world["partner"])
    outsider = factory.user(world["partner"], Role.FIELD_OFFICER)
    with unit_of_work(runtime.factory, Actor(label="test")) as session:
        secret, credential = devices.issue(
            session,
            operation_id=world["id"],
            user_id=outsider.id,
            name="Partner phone",
            created_by_id=world["coordinator"],
        )
    refused = _send(world, _list(world), headers=basic(credential.username, secret))
    assert refused.status_code == 403 and "another organisation" in refused.text
    with unit_of_work(runtime.factory) as session:
        assert session.scalar(select(func.count()).select_from(Distribution)) == 0
        assert (
            session.scalar(
                select(func.count())
                .select_from(Submission)
                .where(Submission.purpose == "aid_distribution")
            )
            == 0
        )


def test_a_coordinator_reconciles_and_the_next_count_settles_the_shortfall(
    runtime: Runtime, world: dict[str, Any]
) -> None:
    assert _send(world, _list(world)).status_code == 201
    over = _list(world, lines=[{"item": str(world["parcel"]), "quantity": "11"}], reason="twins")
    assert _send(world, over).status_code == 201
    api = f"/api/v1/operations/{world['slug']}/aid"
    client, token = world["client"], world["coordinator_token"]
    listed = client.get(f"{api}/reconciliation", headers=token).json()
    assert len(listed) == 1
    (entry,) = listed
    assert entry["shortfall_open"] is True and entry["override_reason"] == "twins"
    assert [f["code"] for f in entry["flags"]] == ["entitlement_exceeded", "stock_shortfall"]
    # The count at the point settles the shortfall (agreeing with the ledger's zero).
    counted = client.post(
        f"{api}/places/{world['point']}/counts",
        json={"lines": [{"item_id": world["parcel"], "batch": "FP-1", "quantity": 0}]},
        headers=token,
    )
    assert counted.status_code == 201 and counted.json()["lines"] == []
    entry = client.get(f"{api}/reconciliation", headers=token).json()[0]
    assert (
        entry["shortfall_open"] is False and entry["shortfall_settled_by"] == counted.json()["id"]
    )
    review = f"{api}/distributions/{entry['id']}/review"
    assert client.post(review, json={"note": " "}, headers=token).status_code == 422
    assert (
        client.post(review, json={"note": "twins born last week"}, headers=token).status_code == 200
    )
    assert client.post(review, json={"note": "again"}, headers=token).status_code == 409
    assert client.get(f"{api}/reconciliation", headers=token).json() == []
    reviewed = client.get(f"{api}/reconciliation?include_reviewed=true", headers=token).json()
    assert reviewed[0]["review_note"] == "twins born last week"
    with unit_of_work(runtime.factory) as session:
        distribution = session.get_one(Distribution, uuid.UUID(entry["id"]))
        assert distribution.overridden_by_id is not None  # the reviewer decided


def test_the_reconciliation_page_lists_flags_and_takes_a_review(
    runtime: Runtime, world: dict[str, Any]
) -> None:
    over = _list(world, lines=[{"item": str(world["parcel"]), "quantity": "12"}])
    assert _send(world, over).status_code == 201
    client = page_client(runtime, world["coordinator"])
    url = f"/operations/{world['slug']}/aid/reconciliation"
    assert 'id="reconciliation-link"' in client.get(f"/operations/{world['slug']}/aid").text
    page = client.get(url)
    assert page.status_code == 200
    assert "stock_shortfall" not in page.text  # flags are shown in words
    assert "2 FOOD-PARCEL given beyond the recorded stock" in page.text
    with unit_of_work(runtime.factory) as session:
        distribution_id = session.scalar(select(Distribution.id))
    action = f"{url}/{distribution_id}"
    refused = client.post(action, data={"csrf_token": csrf(client, url), "note": " "})
    assert refused.status_code == 422 and "note: is required" in refused.text
    done = client.post(
        action,
        data={"csrf_token": csrf(client, url), "note": "a delivery not yet entered"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert 'id="reconciliation-empty"' in client.get(url).text
    assert "a delivery not yet entered" in client.get(f"{url}?reviewed=1").text
    # An officer neither sees the page nor reviews.
    officer = page_client(runtime, world["officer"])
    assert officer.get(url).status_code == 403


def test_an_edited_list_replaces_the_distribution_it_recorded(
    runtime: Runtime, world: dict[str, Any]
) -> None:
    first = "uuid:" + str(uuid.uuid4())
    assert _send(world, _list(world, instance_id=first)).status_code == 201
    two = [{"item": str(world["parcel"]), "quantity": "2"}]
    edit = _list(world, lines=two, instance_id="uuid:" + str(uuid.uuid4()), deprecated_id=first)
    assert _send(world, edit).status_code == 201
    with unit_of_work(runtime.factory) as session:
        kinds = [m.kind for m in session.scalars(select(Movement).order_by(Movement.id))]
        assert kinds[-3:] == [
            MovementKind.DISTRIBUTION,
            MovementKind.REVERSAL,
            MovementKind.DISTRIBUTION,
        ]
        assert session.scalar(select(func.sum(Balance.quantity))) == 10 - 2
        assert ledger.mismatches(session, operation_id=world["id"]) == []
