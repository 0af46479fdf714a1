"""The routing JSON API: uploads, hazards, routes, corridors, incidents, reachability."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from corridor.accounts.models import Role
from corridor.db.session import unit_of_work
from corridor.jobs.runner import run_pending
from corridor.routing import service
from corridor.runtime import Runtime
from corridor.web.app import create_app
from tests.factories import Factory

START, END = [1.5340, 42.5080], [1.5795, 42.5347]
BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[1.560, 42.520], [1.565, 42.525], [1.565, 42.520], [1.560, 42.525], [1.560, 42.520]]
    ],
}


@pytest.fixture
def api(runtime: Runtime, factory: Factory) -> dict[str, Any]:
    lead = factory.organisation()
    partner = factory.organisation()
    operation = factory.operation(lead)
    factory.join(operation, partner)
    client = TestClient(create_app(runtime=runtime, start_jobs=False))
    return {
        "client": client,
        "slug": operation.slug,
        "id": operation.id,
        "lead": {"Authorization": f"Bearer {factory.token(factory.user(lead, Role.COORDINATOR))}"},
        "viewer": {"Authorization": f"Bearer {factory.token(factory.user(partner, Role.VIEWER))}"},
        "partner": {
            "Authorization": f"Bearer {factory.token(factory.user(partner, Role.COORDINATOR))}"
        },
    }


def _upload(api: dict[str, Any], data: bytes) -> Any:
    return api["client"].post(
        f"/api/v1/operations/{api['slug']}/networks",
        content=data,
        headers={**api["lead"], "Content-Type": "application/octet-stream"},
    )


def test_upload_builds_networks_and_a_bad_file_keeps_them(
    runtime: Runtime, api: dict[str, Any], andorra_pbf: Path
) -> None:
    client, base = api["client"], f"/api/v1/operations/{api['slug']}"
    uploads = runtime.settings.data_dir / "uploads"
    # Other tests' uploads may wait in the shared data folder for a job runner.
    before = set(uploads.iterdir()) if uploads.exists() else set()
    accepted = _upload(api, andorra_pbf.read_bytes())
    assert accepted.status_code == 202
    run_pending(runtime.factory)
    job = client.get(f"{base}/jobs/{accepted.json()['id']}", headers=api["lead"]).json()
    assert job["status"] == "succeeded"
    networks = client.get(f"{base}/networks", headers=api["viewer"]).json()
    assert {(n["profile"], n["arcs"]) for n in networks} >= {("car", 31_493)}
    broken = _upload(api, andorra_pbf.read_bytes()[:50_000])
    run_pending(runtime.factory)
    failed = client.get(f"{base}/jobs/{broken.json()['id']}", headers=api["lead"]).json()
    assert failed["status"] == "failed" and "PBF" in failed["error"]
    assert client.get(f"{base}/networks", headers=api["viewer"]).json() == networks
    assert set(uploads.iterdir()) == before  # both uploads removed by their jobs
    # Only the lead imports networks.
    assert client.post(f"{base}/networks", content=b"x", headers=api["partner"]).status_code == 403


@pytest.fixture
def with_network(runtime: Runtime, api: dict[str, Any], andorra_pbf: Path) -> dict[str, Any]:
    with unit_of_work(runtime.factory) as session:
        service.import_file(session, operation_id=api["id"], path=andorra_pbf)
    return api


def test_hazards_routes_and_bad_input(with_network: dict[str, Any]) -> None:
    api = with_network
    client, base = api["client"], f"/api/v1/operations/{api['slug']}"
    repaired = client.post(
        f"{base}/hazards",
        headers=api["partner"],
        json={"geometry": BOWTIE, "kind": "shelling", "severity": "factor", "factor": 2},
    )
    assert repaired.status_code == 201, repaired.text
    assert "repaired" in repaired.json()["note"]
    assert (
        client.post(
            f"{base}/hazards", headers=api["viewer"], json={"geometry": BOWTIE, "kind": "shelling"}
        ).status_code
        == 403
    )
    for body, field in [
        (
            {
                "geometry": BOWTIE,
                "kind": "shelling",
                "valid_from": "2026-11-25T10:00:00Z",
                "valid_until": "2026-11-25T09:00:00Z",
            },
            "valid_until",
        ),
        ({"geometry": BOWTIE, "kind": "shelling", "severity": "factor"}, "factor"),
        ({"geometry": {"type": "Point", "coordinates": [1, 2]}, "kind": "shelling"}, "geometry"),
        ({"geometry": BOWTIE, "kind": "meteor"}, "kind"),
    ]:
        response = client.post(f"{base}/hazards", headers=api["partner"], json=body)
        assert response.status_code == 422, body
        assert field in [e["field"] for e in response.json()["errors"]]
    assert len(client.get(f"{base}/hazards", headers=api["viewer"]).json()) == 1
    route = client.post(
        f"{base}/routes", headers=api["viewer"], json={"from": START, "to": END, "profile": "car"}
    )
    assert route.status_code == 200, route.text
    body = route.json()
    assert body["status"] == "ok" and body["route"]["geometry"]["type"] == "LineString"
    assert body["origin"]["distance_m"] < 50
    foot = client.post(
        f"{base}/routes",
        headers=api["viewer"],
        json={"from": START, "to": END, "profile": "foot", "alternatives": 0},
    )
    assert foot.json()["route"]["duration_s"] > body["route"]["duration_s"]
    for payload, field in [
        ({"from": START, "to": END, "profile": "bicycle"}, "profile"),
        ({"from": [1.0, 42.0], "to": END}, "from"),
        ({"from": [200, 0], "to": END}, "from"),
    ]:
        bad = client.post(f"{base}/routes", headers=api["viewer"], json=payload)
        assert bad.status_code == 422
        assert field in [e["field"] for e in bad.json()["errors"]]
    hazard_id = repaired.json()["id"]
    assert client.delete(f"{base}/hazards/{hazard_id}", headers=api["partner"]).status_code == 204
    assert client.get(f"{base}/hazards", headers=api["viewer"]).json() == []
    history = client.get(f"{base}/hazards?history=true", headers=api["viewer"]).json()
    assert history[0]["withdrawn_at"] is not None


def test_corridor_incident_and_reachability_endpoints(with_network: dict[str, Any]) -> None:
    api = with_network
    client, base = api["client"], f"/api/v1/operations/{api['slug']}"
    created = client.post(
        f"{base}/corridors",
        headers=api["lead"],
        json={
            "name": "North",
            "from": START,
            "to": END,
            "capacity_per_hour": 300,
            "windows": [{"from": "2026-12-01T06:00:00Z", "until": "2026-12-01T18:00:00Z"}],
        },
    )
    assert created.status_code == 201, created.text
    corridor = created.json()
    assert (
        client.post(
            f"{base}/corridors",
            headers=api["partner"],
            json={"name": "Other", "from": START, "to": END},
        ).status_code
        == 403
    )
    status = client.post(
        f"{base}/corridors/{corridor['id']}/status",
        headers=api["lead"],
        json={"status": "open", "reason": "agreed"},
    )
    assert status.status_code == 200 and status.json()["status"] == "open"
    history = client.get(f"{base}/corridors/{corridor['id']}/history", headers=api["viewer"])
    assert [h["to_status"] for h in history.json()] == ["planned", "open"]
    incident = client.post(
        f"{base}/incidents",
        headers=api["partner"],
        json={
            "occurred_at": "2026-11-25T08:00:00Z",
            "lon": 1.55,
            "lat": 42.515,
            "kind": "shelling",
            "injured": 2,
            "killed": 0,
            "corridor_id": corridor["id"],
        },
    )
    assert incident.status_code == 201, incident.text
    zone = client.post(
        f"{base}/incidents/{incident.json()['id']}/hazard",
        headers=api["partner"],
        json={"radius_m": 200, "severity": "factor", "factor": 3},
    )
    assert zone.status_code == 201 and zone.json()["buffer_m"] == 200
    reach = client.post(
        f"{base}/reachability",
        headers=api["viewer"],
        json={"from": START, "minutes": 10, "profile": "foot"},
    )
    assert reach.status_code == 200
    assert reach.json()["geometry"]["type"] in ("Polygon", "MultiPolygon")
    coverage = client.post(
        f"{base}/corridors/{corridor['id']}/coverage",
        headers=api["viewer"],
        json={"points": [START], "minutes": 15},
    )
    assert coverage.status_code == 200 and 0 < coverage.json()["share"] <= 1
    layers = client.get(f"{base}/corridors.geojson", headers=api["viewer"]).json()
    assert layers["features"][0]["properties"]["status"] == "open"
