"""An operation with an amnesty desk run by a partner, two DDR officers and two depots."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from corridor.accounts.models import Role, User
from corridor.amnesty import desks
from corridor.amnesty.models import Depot, Desk
from corridor.db.session import Actor, unit_of_work
from corridor.operations.models import Operation
from corridor.runtime import Runtime
from tests.factories import Factory


@dataclass
class DeskWorld:
    operation: Operation
    lead_id: int
    ddr_org_id: int
    officer: User
    witness: User
    coordinator: User  # the lead's coordinator: sees counts, never an intake
    desk: Desk
    depot: Depot
    far_depot: Depot

    @property
    def orgs(self) -> frozenset[int]:
        return frozenset({self.lead_id, self.ddr_org_id})


@pytest.fixture
def amnesty(runtime: Runtime, factory: Factory) -> DeskWorld:
    lead, ddr_org = factory.organisation(), factory.organisation()
    operation = factory.operation(lead)
    factory.join(operation, ddr_org)
    officer = factory.user(ddr_org, Role.DDR_OFFICER)
    witness = factory.user(ddr_org, Role.DDR_OFFICER)
    coordinator = factory.user(lead, Role.COORDINATOR)
    with unit_of_work(runtime.factory, Actor(label="test")) as session:
        desk = desks.create_desk(
            session,
            operation_id=operation.id,
            organisation_id=ddr_org.id,
            name="Desk at the north crossing",
            place_name="North crossing",
            latitude=42.51,
            longitude=1.52,
            officer_ids=[officer.id, witness.id],
        )
        depot = desks.create_depot(
            session, operation_id=operation.id, organisation_id=ddr_org.id, name="Depot A"
        )
        far_depot = desks.create_depot(
            session, operation_id=operation.id, organisation_id=ddr_org.id, name="Depot B"
        )
    return DeskWorld(
        operation, lead.id, ddr_org.id, officer, witness, coordinator, desk, depot, far_depot
    )
