"""Headcount sync: idempotent, all-or-nothing per record, conflicts detected."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from corridor.accounts.models import Role
from corridor.db.session import unit_of_work
from corridor.db.types import utcnow
from corridor.operations.models import Checkpoint
from corridor.runtime import Runtime
from corridor.web.app import create_app
from tests.factories import Factory
from tests.web.conftest import bearer


@pytest.fixture
def world(runtime: Runtime, factory: Factory) -> dict[str, Any]:
    lead, partner = factory.organisation(), factory.organisation()
    operation = factory.operation(lead)
    factory.join(operation, partner)
    with unit_of_work(runtime.factory) as session:
        checkpoint = Checkpoint(operation_id=operation.id, name="Gate 1", lon=1.53, lat=42.50)
        session.add(checkpoint)
        session.flush()
        checkpoint_id = checkpoint.id
    client = TestClient(create_app(runtime=runtime, start_jobs=False))
    return {
        "client": client,
        "url": f"/api/v1/operations/{operation.slug}/crossings",
        "checkpoint": checkpoint_id,
        "officer": bearer(factory.token(factory.user(lead, Role.FIELD_OFFICER))),
        "partner_officer": bearer(factory.token(factory.user(partner, Role.FIELD_OFFICER))),
        "viewer": bearer(factory.token(factory.user(lead, Role.VIEWER))),
    }


def _record(world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    record = {
        "id": str(uuid.uuid4()),
        "checkpoint_id": world["checkpoint"],
        "slot_start": (utcnow() - timedelta(hours=1)).isoformat(),
        "slot_minutes": 60,
        "direction": "outbound",
        "means": "foot",
        "female_18_59": 3,
        "male_5_17": 2,
        "injured": 1,
        "device_id": "phone-7",
        "form_version": "2026-11",
    }
    record.update(overrides)
    return record


def _sync(
    world: dict[str, Any], records: list[dict[str, Any]], who: str = "officer"
) -> list[dict[str, Any]]:
    response = world["client"].post(
        f"{world['url']}/sync", json={"records": records}, headers=world[who]
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_resending_is_harmless_and_edits_need_the_current_version(world: dict[str, Any]) -> None:
    record = _record(world)
    assert _sync(world, [record])[0] == {
        "id": record["id"],
        "status": "created",
        "version": 1,
        "conflict_id": None,
        "errors": None,
    }
    assert _sync(world, [record])[0]["status"] == "duplicate"
    changed = {**record, "female_18_59": 4}
    conflict = _sync(world, [changed])[0]
    assert conflict["status"] == "conflict" and conflict["conflict_id"] == record["id"]
    updated = _sync(world, [{**changed, "base_version": 1}])[0]
    assert (updated["status"], updated["version"]) == ("updated", 2)
    # The same edit sent again (its answer was lost) changes nothing.
    assert _sync(world, [{**changed, "base_version": 1}])[0]["status"] == "duplicate"
    stale = _sync(world, [{**record, "female_18_59": 9, "base_version": 1}])[0]
    assert stale["status"] == "conflict" and stale["version"] == 2
    totals = world["client"].get(f"{world['url']}/totals", headers=world["viewer"]).json()
    assert totals["records"] == 1 and totals["people"] == 6 and totals["flags"]["injured"] == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"checkpoint_id": 999_999}, "checkpoint_id"),
        ({"female_18_59": -1}, "female_18_59"),
        ({"male_5_17": "two"}, "male_5_17"),
        ({"injured": 50}, "injured"),
        ({"unaccompanied_children": 3}, "unaccompanied_children"),
        ({"direction": "sideways"}, "direction"),
        ({"slot_start": "yesterday"}, "slot_start"),
        ({"slot_start": "2026-11-25T10:00:00"}, "slot_start"),
        ({"female_18_59": 0, "male_5_17": 0, "injured": 0}, "counts"),
        ({"id": "not-a-uuid"}, "id"),
        ({"base_version": 3}, "base_version"),
        ({"recorded_at": "soon"}, "recorded_at"),
    ],
)
def test_invalid_records_name_the_field_and_store_nothing(
    world: dict[str, Any], overrides: dict[str, Any], field: str
) -> None:
    good = _record(world)
    results = _sync(world, [_record(world, **overrides), good])
    assert results[0]["status"] == "invalid"
    assert field in [e["field"] for e in results[0]["errors"]]
    assert results[1]["status"] == "created"
    totals = world["client"].get(f"{world['url']}/totals", headers=world["viewer"]).json()
    assert totals["records"] == 1


def test_another_organisation_cannot_touch_a_record(world: dict[str, Any]) -> None:
    record = _record(world)
    _sync(world, [record])
    results = _sync(world, [{**record, "female_18_59": 1, "base_version": 1}], "partner_officer")
    assert results[0]["status"] == "invalid" and results[0]["errors"][0]["field"] == "id"
    assert (
        world["client"]
        .post(f"{world['url']}/sync", json={"records": [_record(world)]}, headers=world["viewer"])
        .status_code
        == 403
    )


def test_the_same_batch_from_several_devices_at_once_is_stored_once(world: dict[str, Any]) -> None:
    batch = [_record(world) for _ in range(20)]
    answers: list[list[dict[str, Any]]] = []
    lock = threading.Lock()

    def send() -> None:
        results = _sync(world, batch)
        with lock:
            answers.append(results)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(len(batch)):
        statuses = sorted(a[index]["status"] for a in answers)
        assert statuses == ["created", "duplicate", "duplicate", "duplicate"]
    totals = world["client"].get(f"{world['url']}/totals", headers=world["viewer"]).json()
    assert totals["records"] == 20 and totals["people"] == 20 * 5
