"""Fixtures of the crossings tests: an operation with a checkpoint, forms and a device."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from corridor.accounts.models import Role
from corridor.crossings import devices, forms
from corridor.db.session import unit_of_work
from corridor.operations.models import Checkpoint
from corridor.runtime import Runtime
from corridor.web.app import create_app
from tests.crossings.openrosa_helpers import basic
from tests.factories import Factory
from tests.web.conftest import bearer


@pytest.fixture
def world(runtime: Runtime, factory: Factory) -> dict[str, Any]:
    lead, other = factory.organisation(), factory.organisation()
    operation = factory.operation(lead)
    elsewhere = factory.operation(other)
    officer = factory.user(lead, Role.FIELD_OFFICER)
    coordinator = factory.user(lead, Role.COORDINATOR)
    with unit_of_work(runtime.factory) as session:
        checkpoint = Checkpoint(operation_id=operation.id, name="Gate 1", lon=1.53, lat=42.50)
        session.add(checkpoint)
        session.flush()
        checkpoint_id = checkpoint.id
        forms.ensure_shipped_forms(session, operation_id=operation.id)
        secret, credential = devices.issue(
            session,
            operation_id=operation.id,
            user_id=officer.id,
            name="Phone 1",
            created_by_id=coordinator.id,
        )
        device = basic(credential.username, secret)
        xform = {
            name: forms.current_version(
                session, form=forms.get_form(session, operation_id=operation.id, xml_form_id=name)
            ).xform
            for name in ("registration", "headcount")
        }
    app = create_app(runtime=runtime, start_jobs=False)
    return {
        "app": app,
        "client": TestClient(app),
        "base": f"/openrosa/{operation.slug}",
        "slug": operation.slug,
        "elsewhere": elsewhere.slug,
        "operation_id": operation.id,
        "device": device,
        "credential_id": credential.id,
        "officer": officer,
        "coordinator": bearer(factory.token(coordinator)),
        "coordinator_user": coordinator,
        "lead": lead,
        "checkpoint": checkpoint_id,
        "xform": xform,
    }
