"""An operation with two corridors, an aid point and an amnesty desk, with figures
written straight into the tables on chosen days (no router, no field app)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from corridor.aid import catalogue, consultations, distributions, places, stock
from corridor.aid.models import Item, Place, PlaceKind, PlaceStatus
from corridor.crossings.models import COUNT_FIELDS, Headcount
from corridor.db.session import Actor, unit_of_work
from corridor.operations import gazetteer
from corridor.operations.models import (
    Checkpoint,
    Corridor,
    CorridorStatus,
    CorridorStatusChange,
    Operation,
    OperationStatus,
)
from corridor.runtime import Runtime
from tests.factories import Factory

ZONE = ZoneInfo("Europe/Andorra")
DAY = date(2026, 11, 20)  # D; D+1 is the 21st
AREAS = [
    gazetteer.AreaRow("AD", "Andorra", "أندورا", 0, None),
    gazetteer.AreaRow("AD07", "Andorra la Vella", "أندورا لا فيلا", 1, "AD"),
    gazetteer.AreaRow("AD07-01", "Centre", "المركز", 2, "AD07"),
    gazetteer.AreaRow("AD04", "La Massana", "لا ماسانا", 1, "AD"),
]


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZONE).astimezone(UTC)


@dataclass
class ReportWorld:
    runtime: Runtime
    operation: Operation
    lead_id: int
    north: int  # corridor ids
    south: int
    north_gate: int  # checkpoint ids
    south_gate: int
    point: Place
    items: dict[str, int] = field(default_factory=dict)

    def headcount(
        self, checkpoint: int, day: date, hour: int, direction: str, **counts: int
    ) -> None:
        """One tally of the given counts (every other band 0)."""
        with unit_of_work(self.runtime.factory, Actor(label="test")) as session:
            unknown = set(counts) - set(COUNT_FIELDS) - {"unaccompanied_children", "injured"}
            assert not unknown, unknown
            session.add(
                Headcount(
                    id=uuid.uuid4(),
                    operation_id=self.operation.id,
                    checkpoint_id=checkpoint,
                    organisation_id=self.lead_id,
                    slot_start=local(day, hour),
                    slot_minutes=60,
                    direction=direction,
                    means="foot",
                    recorded_at=local(day, hour),
                    **{name: counts.get(name, 0) for name in COUNT_FIELDS},
                    unaccompanied_children=counts.get("unaccompanied_children", 0),
                    injured=counts.get("injured", 0),
                )
            )

    def distribution(self, day: date, hour: int, people: int, **quantities: int) -> None:
        with unit_of_work(self.runtime.factory, Actor(label="test")) as session:
            point = session.get(Place, self.point.id)
            distributions.distribute(
                session,
                place=point,
                distribution_id=uuid.uuid4(),
                organisation_id=self.lead_id,
                recipient=distributions.Recipient(kind="anonymous", people_count=people),
                items=[
                    distributions.Given(self.items[code], quantity)
                    for code, quantity in quantities.items()
                ],
                recorded_by_id=None,
                distributed_at=local(day, hour),
            )

    def consultations(self, day: date, **per_category: int) -> None:
        with unit_of_work(self.runtime.factory, Actor(label="test")) as session:
            point = session.get(Place, self.point.id)
            tallies = [
                consultations.Tally(uuid.uuid4(), day, "18_59", "female", category)
                for category, n in per_category.items()
                for _ in range(n)
            ]
            consultations.record(session, place=point, tallies=tallies, recorded_by_id=None)


def _corridor(session, operation_id: int, name: str, pcode: str, lon: float) -> tuple[int, int]:
    corridor = Corridor(
        operation_id=operation_id,
        name=name,
        profile="foot",
        origin=[lon, 42.45],
        destination=[lon, 42.60],
        route={"type": "LineString", "coordinates": [[lon, 42.45], [lon, 42.60]]},
        distance_m=16_000.0,
        duration_s=12_000.0,
        status=CorridorStatus.OPEN,
        windows=[],
    )
    session.add(corridor)
    session.flush()
    session.add(
        CorridorStatusChange(
            corridor_id=corridor.id,
            operation_id=operation_id,
            from_status=None,
            to_status="open",
            changed_at=local(DAY - timedelta(days=10), 8),
        )
    )
    gate = Checkpoint(
        operation_id=operation_id,
        corridor_id=corridor.id,
        name=f"{name} gate",
        lon=lon,
        lat=42.5,
        pcode=pcode,
    )
    session.add(gate)
    session.flush()
    return corridor.id, gate.id


@pytest.fixture
def world(runtime: Runtime, factory: Factory) -> ReportWorld:
    lead = factory.organisation()
    operation = factory.operation(lead)
    with unit_of_work(runtime.factory, Actor(label="test")) as session:
        row = session.get(Operation, operation.id)
        row.status = OperationStatus.ACTIVE
        gazetteer.import_areas(session, operation_id=operation.id, rows=AREAS)
        north, north_gate = _corridor(session, operation.id, "North", "AD07-01", 1.50)
        south, south_gate = _corridor(session, operation.id, "South", "AD04", 1.60)
        catalogue.add_default_catalogue(session, operation_id=operation.id)
        items = {
            i.code: i.id
            for i in session.scalars(select(Item).where(Item.operation_id == operation.id))
        }
        point = places.create_place(
            session,
            operation_id=operation.id,
            organisation_id=lead.id,
            kind=PlaceKind.AID_POINT,
            name="Aid point North",
            lon=1.51,
            lat=42.5,
            status=PlaceStatus.OPEN,
            services=["food", "medical"],
            pcode="AD07",
        )
        stock.receive(
            session,
            place=point,
            entries=[
                stock.Entry(items["FOOD-PARCEL"], 500, batch="FP-1"),
                stock.Entry(items["BLANKET"], 500),
            ],
            recorded_by_id=None,
            occurred_at=local(DAY - timedelta(days=3), 9),
        )
    return ReportWorld(
        runtime=runtime,
        operation=operation,
        lead_id=lead.id,
        north=north,
        south=south,
        north_gate=north_gate,
        south_gate=south_gate,
        point=point,
        items=items,
    )
