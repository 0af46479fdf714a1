"""Deconfliction notices: sites and movements notified, acknowledged, versioned."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from corridor.accounts.models import Organisation, Role
from corridor.amnesty import desks
from corridor.db.session import Actor, unit_of_work
from corridor.db.types import utcnow
from corridor.errors import Conflict, InvalidInput
from corridor.operations import notices
from corridor.operations.models import Operation
from corridor.operations.notice_print import notice_geojson
from corridor.web.app import create_app
from tests.factories import Factory
from tests.reports.conftest import ReportWorld
from tests.web.conftest import bearer

pytestmark = pytest.mark.db


def _movement(session, world: ReportWorld, reference: str = "CONVOY-1", hours: int = 20):
    start = (utcnow() + timedelta(hours=hours)).replace(microsecond=0)
    return notices.create_movement(
        session,
        operation_id=world.operation.id,
        created_by_id=None,
        reference=reference,
        corridor_id=world.north,
        departs_at=start,
        arrives_at=start + timedelta(hours=3),
        vehicles=4,
        vehicle_kind="truck",
        organisations=[world.lead_id],
    )


def test_a_notice_holds_sites_and_movements_and_no_amnesty_site_unless_asked(
    world: ReportWorld,
) -> None:
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        desks.create_desk(
            session,
            operation_id=world.operation.id,
            organisation_id=world.lead_id,
            name="Desk A",
            place_name="Town hall",
            pcode="AD07",
            latitude=42.51,
            longitude=1.52,
        )
        _movement(session, world)
        operation = session.get(Operation, world.operation.id)
        plain = notices.issue(
            session,
            operation=operation,
            expires_at=utcnow() + timedelta(days=2),
            parties=["Party A", "Party B"],
            issued_by_id=None,
        )
        with_desks = notices.issue(
            session,
            operation=operation,
            expires_at=utcnow() + timedelta(days=2),
            parties=["Party A"],
            include_amnesty=True,
            issued_by_id=None,
        )
        kinds = {s["kind"] for s in plain.content["sites"]}
        assert {"aid_point", "checkpoint"} <= kinds and "amnesty_desk" not in kinds
        assert "amnesty_desk" in {s["kind"] for s in with_desks.content["sites"]}
        assert plain.number == 1 and with_desks.number == 2
        [movement] = plain.content["movements"]
        assert movement["vehicles"] == 4 and movement["route"]["type"] == "LineString"
        assert not {"plate", "plates", "driver", "drivers"} & set(movement)
        collection = json.loads(notice_geojson(plain.content))
        layers = {f["properties"]["layer"] for f in collection["features"]}
        assert layers == {"site", "movement"}
        assert plain.pdf.startswith(b"%PDF")


def test_acknowledgements_are_recorded_once_per_party_and_checked(world: ReportWorld) -> None:
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        operation = session.get(Operation, world.operation.id)
        notice = notices.issue(
            session,
            operation=operation,
            expires_at=utcnow() + timedelta(days=1),
            parties=["Party A", "Party B"],
            issued_by_id=None,
        )
        assert [m for _, m in notices.unacknowledged(session, operation_id=operation.id)] == [
            ["Party A", "Party B"]
        ]
        notices.acknowledge(
            session,
            notice=notice,
            party="Party A",
            channel="radio",
            acknowledged_at=utcnow(),
            recorded_by_id=None,
        )

        with pytest.raises(Conflict):
            notices.acknowledge(
                session,
                notice=notice,
                party="Party A",
                channel="radio",
                acknowledged_at=utcnow(),
                recorded_by_id=None,
            )
        for party, channel, when, field in (
            ("Party C", "radio", utcnow(), "party"),
            ("Party B", "pigeon", utcnow(), "channel"),
            ("Party B", "radio", utcnow() + timedelta(hours=2), "acknowledged_at"),
            ("Party B", "radio", utcnow() - timedelta(days=3), "acknowledged_at"),
        ):
            with pytest.raises(InvalidInput) as error:
                notices.acknowledge(
                    session,
                    notice=notice,
                    party=party,
                    channel=channel,
                    acknowledged_at=when,
                    recorded_by_id=None,
                )
            assert error.value.problems[0].field == field
        assert [m for _, m in notices.unacknowledged(session, operation_id=operation.id)] == [
            ["Party B"]
        ]


def test_changing_a_notified_movement_issues_a_new_version_and_keeps_the_old(
    world: ReportWorld,
) -> None:
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        movement = _movement(session, world)
        operation = session.get(Operation, world.operation.id)
        first = notices.issue(
            session,
            operation=operation,
            expires_at=utcnow() + timedelta(days=2),
            parties=["Party A"],
            issued_by_id=None,
        )
        later = movement.departs_at + timedelta(hours=2)
        [second] = notices.update_movement(
            session,
            movement=movement,
            changes={"departs_at": later, "arrives_at": later + timedelta(hours=3)},
            changed_by_id=None,
        )
        assert (second.number, second.version, second.supersedes_id) == (1, 2, first.id)
        assert "CONVOY-1" in second.reason
        assert second.content["movements"][0]["departs_at"] == later.isoformat()
        assert first.content["movements"][0]["departs_at"] != later.isoformat()  # kept as sent
        assert [n.id for n in notices.current_notices(session, operation_id=operation.id)] == [
            second.id
        ]
        assert [v.version for v in notices.versions(session, first)] == [1, 2]
        # The same values again change nothing.
        assert (
            notices.update_movement(
                session, movement=movement, changes={"vehicles": 4}, changed_by_id=None
            )
            == []
        )


def test_the_api_issues_a_package_and_records_an_acknowledgement(
    world: ReportWorld,
    factory: Factory,
) -> None:
    with unit_of_work(world.runtime.factory) as session:
        lead = session.get(Organisation, world.lead_id)
    coordinator = factory.user(lead, Role.COORDINATOR)
    viewer = factory.user(lead, Role.VIEWER)
    client = TestClient(create_app(runtime=world.runtime, start_jobs=False))
    base = f"/api/v1/operations/{world.operation.slug}/deconfliction"
    auth = bearer(factory.token(coordinator))
    start = datetime.now(UTC) + timedelta(hours=30)
    movement = {
        "reference": "CONVOY-9",
        "corridor_id": world.south,
        "departs_at": start.isoformat(),
        "arrives_at": (start + timedelta(hours=2)).isoformat(),
        "vehicles": 3,
        "vehicle_kind": "bus",
        "organisations": [world.lead_id],
    }
    created = client.post(f"{base}/movements", json=movement, headers=auth)
    assert created.status_code == 201, created.text
    bad = client.post(
        f"{base}/movements", json={**movement, "arrives_at": start.isoformat()}, headers=auth
    )
    assert bad.status_code == 422 and "arrives_at" in bad.json()["detail"]
    refused = client.post(f"{base}/movements", json=movement, headers=bearer(factory.token(viewer)))
    assert refused.status_code == 403
    issued = client.post(
        f"{base}/notices",
        json={"expires_at": (start + timedelta(days=1)).isoformat(), "parties": ["Party A"]},
        headers=auth,
    )
    assert issued.status_code == 201, issued.text
    notice = issued.json()
    assert [m["reference"] for m in notice["content"]["movements"]] == ["CONVOY-9"]
    pdf = client.get(notice["files"]["pdf"], headers=auth)
    assert pdf.headers["content-type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    assert "CONVOY-9" in text and "Party A" in text
    ack = client.post(
        f"{base}/notices/{notice['id']}/acknowledgements",
        json={
            "party": "Party A",
            "channel": "email",
            "acknowledged_at": datetime.now(UTC).isoformat(),
        },
        headers=auth,
    )
    assert ack.status_code == 201, ack.text
    again = client.get(f"{base}/notices/{notice['id']}", headers=bearer(factory.token(viewer)))
    assert [a["party"] for a in again.json()["acknowledgements"]] == ["Party A"]
