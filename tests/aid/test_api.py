"""The aid API end to end: a waybill from the warehouse to an aid point, received with
a discrepancy, then distributed; bad input refused naming the field; who may do what."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from corridor.accounts.models import Organisation, Role
from corridor.runtime import Runtime
from corridor.web.app import create_app
from tests.aid.conftest import AidWorld
from tests.factories import Factory
from tests.web.conftest import bearer


@pytest.fixture
def api(aid: AidWorld, runtime: Runtime, factory: Factory) -> dict[str, Any]:
    lead = Organisation(id=aid.lead_id)
    partner = Organisation(id=aid.partner_id)
    return {
        "client": TestClient(create_app(runtime=runtime, start_jobs=False)),
        "url": f"/api/v1/operations/{aid.operation.slug}/aid",
        "coordinator": bearer(factory.token(factory.user(lead, Role.COORDINATOR))),
        "officer": bearer(factory.token(factory.user(lead, Role.FIELD_OFFICER))),
        "partner_officer": bearer(factory.token(factory.user(partner, Role.FIELD_OFFICER))),
        "viewer": bearer(factory.token(factory.user(lead, Role.VIEWER))),
        "items": {},
    }


def _item(api: dict[str, Any], code: str) -> int:
    if not api["items"]:
        listed = api["client"].get(f"{api['url']}/items", headers=api["viewer"]).json()
        api["items"].update({item["code"]: item["id"] for item in listed})
    return api["items"][code]  # type: ignore[no-any-return]


def _post(api: dict[str, Any], path: str, body: Any, who: str = "officer") -> Any:
    return api["client"].post(f"{api['url']}{path}", json=body, headers=api[who])


def _stock(api: dict[str, Any], place_id: int) -> dict[str, int]:
    found = api["client"].get(f"{api['url']}/places/{place_id}/stock", headers=api["viewer"])
    assert found.status_code == 200
    return {row["item_code"]: row["quantity"] for row in found.json()["items"]}


def test_a_waybill_is_received_with_a_discrepancy_and_the_stock_distributed(
    aid: AidWorld, api: dict[str, Any]
) -> None:
    parcels, blankets = _item(api, "FOOD-PARCEL"), _item(api, "BLANKET")
    receipt = _post(
        api,
        f"/places/{aid.warehouse.id}/receipts",
        {
            "counterpart": "Donor A",
            "reference": "GRN-1",
            "lines": [
                {"item_id": parcels, "quantity": 300, "batch": "FP-26", "expires_on": "2027-06-30"},
                {"item_id": blankets, "quantity": 500},
            ],
        },
    )
    assert receipt.status_code == 201, receipt.text
    drafted = _post(
        api,
        "/waybills",
        {
            "from_place_id": aid.warehouse.id,
            "to_place_id": aid.point.id,
            "carrier": "Truck 3",
            "lines": [{"item_id": parcels, "quantity": 120}, {"item_id": blankets, "quantity": 80}],
        },
    )
    assert drafted.status_code == 201, drafted.text
    waybill = drafted.json()
    assert waybill["number"] == "WB-000001" and waybill["status"] == "draft"
    sent = _post(api, f"/waybills/{waybill['id']}/dispatch", None)
    assert sent.status_code == 200 and sent.json()["status"] == "dispatched"
    assert _stock(api, aid.warehouse.id) == {"FOOD-PARCEL": 180, "BLANKET": 420}
    lines = {line["item_id"]: line["id"] for line in sent.json()["lines"]}

    more = _post(
        api,
        f"/waybills/{waybill['id']}/receipt",
        {"lines": [{"line_id": lines[parcels], "received": 121}]},
    )
    assert more.status_code == 422
    assert more.json()["errors"][0]["field"] == "lines[0].received"
    unaccounted = _post(
        api,
        f"/waybills/{waybill['id']}/receipt",
        {
            "lines": [
                {"line_id": lines[parcels], "received": 110},
                {"line_id": lines[blankets], "received": 80},
            ]
        },
    )
    assert unaccounted.status_code == 422  # 10 parcels neither received, lost nor damaged
    arrival = {
        "lines": [
            {"line_id": lines[parcels], "received": 110, "lost": 4, "damaged": 6},
            {"line_id": lines[blankets], "received": 80},
        ]
    }
    received = _post(api, f"/waybills/{waybill['id']}/receipt", arrival)
    assert received.status_code == 200, received.text
    assert {(x["received"], x["lost"], x["damaged"]) for x in received.json()["lines"]} == {
        (110, 4, 6),
        (80, 0, 0),
    }
    again = _post(api, f"/waybills/{waybill['id']}/receipt", arrival)
    assert again.status_code == 409
    assert _stock(api, aid.point.id) == {"FOOD-PARCEL": 110, "BLANKET": 80}

    household = {"kind": "household", "household_id": str(uuid.uuid4())}
    given = {
        "id": str(uuid.uuid4()),
        "place_id": aid.point.id,
        "recipient": household,
        "items": [{"item_id": parcels, "quantity": 1}, {"item_id": blankets, "quantity": 5}],
    }
    first = _post(api, "/distributions", given)
    assert first.status_code == 201, first.text
    resent = _post(api, "/distributions", given)
    assert resent.status_code == 200 and resent.json()["created"] is False
    changed = _post(
        api, "/distributions", {**given, "items": [{"item_id": parcels, "quantity": 2}]}
    )
    assert changed.status_code == 409
    too_many = _post(
        api,
        "/distributions",
        {**given, "id": str(uuid.uuid4()), "items": [{"item_id": blankets, "quantity": 76}]},
    )
    assert too_many.status_code == 409 and "not enough BLANKET" in too_many.json()["detail"]
    assert _stock(api, aid.point.id) == {"FOOD-PARCEL": 109, "BLANKET": 75}

    check = api["client"].get(f"{api['url']}/ledger/check", headers=api["viewer"]).json()
    assert check == {"mismatches": 0, "details": []}
    kinds = [
        m["kind"]
        for m in api["client"].get(f"{api['url']}/movements", headers=api["viewer"]).json()
    ]
    assert kinds == ["distribution", "waybill_receipt", "dispatch", "receipt"]


@pytest.mark.parametrize(
    ("quantity", "status"),
    [(1.5, 422), (-2, 422), (0, 422), ("ten", 422), (10**13, 422)],
)
def test_bad_quantities_are_refused_and_change_nothing(
    aid: AidWorld, api: dict[str, Any], quantity: Any, status: int
) -> None:
    blankets = _item(api, "BLANKET")
    answer = _post(
        api,
        f"/places/{aid.point.id}/receipts",
        {"lines": [{"item_id": blankets, "quantity": quantity}]},
    )
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert _stock(api, aid.point.id) == {}


def test_a_receipt_dated_in_the_future_is_refused(aid: AidWorld, api: dict[str, Any]) -> None:
    body = {
        "lines": [{"item_id": _item(api, "BLANKET"), "quantity": 1}],
        "occurred_at": "2099-01-01T00:00:00Z",
    }
    answer = _post(api, f"/places/{aid.point.id}/receipts", body)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "occurred_at"


def test_unknown_items_and_places_are_named(aid: AidWorld, api: dict[str, Any]) -> None:
    unknown_item = _post(
        api, f"/places/{aid.point.id}/receipts", {"lines": [{"item_id": 999999, "quantity": 1}]}
    )
    assert unknown_item.status_code == 404
    unknown_place = _post(
        api, "/places/999999/receipts", {"lines": [{"item_id": _item(api, "ORS"), "quantity": 1}]}
    )
    assert unknown_place.status_code == 404


def test_stock_is_moved_by_the_organisation_that_runs_the_place(
    aid: AidWorld, api: dict[str, Any]
) -> None:
    blankets = _item(api, "BLANKET")
    body = {"lines": [{"item_id": blankets, "quantity": 5}]}
    assert (
        _post(api, f"/places/{aid.point.id}/receipts", body, "partner_officer").status_code == 403
    )
    assert _post(api, f"/places/{aid.point.id}/receipts", body, "viewer").status_code == 403
    own = _post(api, f"/places/{aid.partner_point.id}/receipts", body, "partner_officer")
    assert own.status_code == 201
    # A count corrects stock: coordinators only.
    count = {"lines": [{"item_id": blankets, "quantity": 4}]}
    assert _post(api, f"/places/{aid.point.id}/counts", count, "officer").status_code == 403
    assert _post(api, f"/places/{aid.point.id}/counts", count, "coordinator").status_code == 201
    # The catalogue belongs to the lead's coordinators.
    item = {"code": "soap-bar", "name": "Soap bar", "unit": "piece", "category": "wash"}
    assert _post(api, "/items", item, "officer").status_code == 403
    created = _post(api, "/items", item, "coordinator")
    assert created.status_code == 201 and created.json()["code"] == "SOAP-BAR"
    assert _post(api, "/items", item, "coordinator").status_code == 409


def test_places_are_created_for_an_organisation_of_the_operation(
    aid: AidWorld, api: dict[str, Any]
) -> None:
    body = {"kind": "aid_point", "name": "Aid point East", "lon": 1.55, "lat": 42.52}
    created = _post(api, "/places", {**body, "services": ["food", "water"]}, "coordinator")
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "planned" and created.json()["services"] == [
        "food",
        "water",
    ]
    assert _post(api, "/places", body, "coordinator").status_code == 409  # same name
    outsider = _post(
        api, "/places", {**body, "name": "X", "organisation_id": 999999}, "coordinator"
    )
    assert outsider.status_code == 422
    far = _post(api, "/places", {**body, "name": "Y", "lon": 200}, "coordinator")
    assert far.status_code == 422
    # A planned point hands out nothing yet.
    given = {
        "id": str(uuid.uuid4()),
        "place_id": created.json()["id"],
        "recipient": {"kind": "anonymous", "people_count": 3},
        "items": [{"item_id": _item(api, "HEB"), "quantity": 3}],
    }
    refused = _post(api, "/distributions", given, "coordinator")
    assert refused.status_code == 409 and "planned" in refused.json()["detail"]
