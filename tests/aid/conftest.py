"""An operation with a warehouse and an open aid point, built through the services."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from corridor.aid import catalogue, places
from corridor.aid.models import Item, Place, PlaceKind, PlaceStatus
from corridor.db.session import Actor, unit_of_work
from corridor.operations.models import Operation
from corridor.runtime import Runtime
from tests.factories import Factory


@dataclass
class AidWorld:
    operation: Operation
    lead_id: int
    partner_id: int
    warehouse: Place
    point: Place
    partner_point: Place

    def item(self, runtime: Runtime, code: str) -> Item:
        with unit_of_work(runtime.factory) as session:
            return catalogue.item_by_code(session, operation_id=self.operation.id, code=code)


@pytest.fixture
def aid(runtime: Runtime, factory: Factory) -> AidWorld:
    lead, partner = factory.organisation(), factory.organisation()
    operation = factory.operation(lead)
    factory.join(operation, partner)
    with unit_of_work(runtime.factory, Actor(label="test")) as session:

        def place(name: str, kind: PlaceKind, organisation_id: int) -> Place:
            return places.create_place(
                session,
                operation_id=operation.id,
                organisation_id=organisation_id,
                kind=kind,
                name=name,
                lon=1.52,
                lat=42.51,
                status=PlaceStatus.OPEN,
                services=["food", "medical"],
            )

        warehouse = place("Central warehouse", PlaceKind.WAREHOUSE, lead.id)
        point = place("Aid point North", PlaceKind.AID_POINT, lead.id)
        partner_point = place("Aid point South", PlaceKind.AID_POINT, partner.id)
    return AidWorld(operation, lead.id, partner.id, warehouse, point, partner_point)
