"""Medical consultations: a tally without names; small counts hidden from other organisations."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from corridor.accounts.models import Organisation, Role
from corridor.runtime import Runtime
from corridor.web.app import create_app
from tests.aid.conftest import AidWorld
from tests.factories import Factory
from tests.web.conftest import bearer

DAY = date(2026, 11, 20)


def _tally(category: str, n: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.uuid4()),
            "day": DAY.isoformat(),
            "age_band": "18_59",
            "sex": "female",
            "category": category,
            **extra,
        }
        for _ in range(n)
    ]


def test_tallies_are_stored_once_and_only_counts_leave_the_point(
    aid: AidWorld, runtime: Runtime, factory: Factory
) -> None:
    client = TestClient(create_app(runtime=runtime, start_jobs=False))
    url = f"/api/v1/operations/{aid.operation.slug}/aid"
    officer = bearer(factory.token(factory.user(Organisation(id=aid.lead_id), Role.FIELD_OFFICER)))
    partner = bearer(factory.token(factory.user(Organisation(id=aid.partner_id), Role.COORDINATOR)))
    batch = _tally("trauma_injury", 6, referral="hospital") + _tally("maternal", 2)
    first = client.post(
        f"{url}/places/{aid.point.id}/consultations", json={"consultations": batch}, headers=officer
    )
    assert first.status_code == 200 and first.json() == {"stored": 8, "already_stored": 0}
    again = client.post(
        f"{url}/places/{aid.point.id}/consultations", json={"consultations": batch}, headers=officer
    )
    assert again.json() == {"stored": 0, "already_stored": 8}

    own = client.get(f"{url}/consultations", params={"place_id": aid.point.id}, headers=officer)
    assert {(c["category"], c["consultations"], c["referred"]) for c in own.json()} == {
        ("trauma_injury", 6, 6),
        ("maternal", 2, 0),
    }
    others = client.get(f"{url}/consultations", headers=partner)
    assert {(c["category"], c["consultations"], c["referred"]) for c in others.json()} == {
        ("trauma_injury", 6, 6),
        ("maternal", None, 0),  # two: too few to show outside the point's organisation
    }

    bad = _tally("maternal", 1, age_band="adult")
    refused = client.post(
        f"{url}/places/{aid.point.id}/consultations", json={"consultations": bad}, headers=officer
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "consultations[0].age_band"
    coordinator = bearer(
        factory.token(factory.user(Organisation(id=aid.lead_id), Role.COORDINATOR))
    )
    food_only = client.patch(
        f"{url}/places/{aid.warehouse.id}", json={"services": ["food"]}, headers=coordinator
    )
    assert food_only.status_code == 200
    not_medical = client.post(
        f"{url}/places/{aid.warehouse.id}/consultations",
        json={"consultations": _tally("other", 1)},
        headers=officer,
    )
    assert not_medical.status_code == 409
