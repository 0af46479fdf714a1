"""The permission check records every allowed read of personal data."""

from __future__ import annotations

from fastapi import Depends
from fastapi.testclient import TestClient
from sqlalchemy import select

from corridor.accounts.models import Role
from corridor.accounts.permissions import Action
from corridor.audit.models import AccessLogEntry
from corridor.db.session import unit_of_work
from corridor.runtime import Runtime
from corridor.web.app import create_app
from corridor.web.deps import OperationContext, require
from tests.factories import Factory
from tests.web.conftest import bearer


def test_personal_data_reads_are_logged_and_refusals_are_not(
    runtime: Runtime, factory: Factory
) -> None:
    app = create_app(runtime=runtime, start_jobs=False)

    @app.get("/api/v1/operations/{slug}/people-example")
    def people(ctx: OperationContext = Depends(require(Action.PERSONAL_DATA_READ))) -> dict:
        return {"scope": str(ctx.decision.scope)}

    lead = factory.organisation()
    authority = factory.organisation()
    operation = factory.operation(lead)
    factory.join(operation, authority)
    coordinator = factory.user(lead, Role.COORDINATOR)
    viewer = factory.user(lead, Role.VIEWER)
    url = f"/api/v1/operations/{operation.slug}/people-example"
    with TestClient(app) as client:
        allowed = client.get(url, headers=bearer(factory.token(coordinator)))
        refused = client.get(url, headers=bearer(factory.token(viewer)))
    assert allowed.status_code == 200 and allowed.json()["scope"] == "operation"
    assert refused.status_code == 403
    with unit_of_work(runtime.factory) as session:
        entries = session.scalars(select(AccessLogEntry)).all()
    assert [(e.user_id, e.operation_id, e.action) for e in entries] == [
        (coordinator.id, operation.id, "personal_data.read")
    ]
    assert entries[0].request_id == allowed.headers["x-request-id"]
