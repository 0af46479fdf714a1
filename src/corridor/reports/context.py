"""The small tables a report names things by: corridors, checkpoints, places, items.

They are read from the operational database (a few hundred rows at most) and
handed to DuckDB as Arrow tables, so that the big counts are joined to them in
the analytics engine, not in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.accounts.models import Organisation
from corridor.aid.models import Item, Place
from corridor.amnesty.models import Desk
from corridor.operations.models import AdminArea, Checkpoint, Corridor, Operation


@dataclass(frozen=True)
class CorridorInfo:
    id: int
    name: str
    status: str
    pcode: str
    windows: list[dict[str, str]]
    route: dict | None


@dataclass(frozen=True)
class PlaceInfo:
    id: int
    name: str
    kind: str
    organisation: str
    pcode: str
    lon: float
    lat: float
    status: str


@dataclass(frozen=True)
class ItemInfo:
    id: int
    code: str
    name: str
    category: str
    unit: str
    unit_weight_kg: float


@dataclass
class Context:
    operation_id: int
    slug: str
    name: str
    timezone: str
    lead: str
    has_amnesty: bool = False  # the operation has an amnesty desk: its counts are reported
    corridors: dict[int, CorridorInfo] = field(default_factory=dict)
    checkpoints: dict[int, int | None] = field(default_factory=dict)  # → corridor
    checkpoint_points: list[dict] = field(default_factory=list)
    places: dict[int, PlaceInfo] = field(default_factory=dict)
    items: dict[int, ItemInfo] = field(default_factory=dict)
    # P-code of any level → (admin-1 P-code, its English name, its Arabic name).
    adm1: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def area(self, pcode: str | None) -> tuple[str, str, str]:
        return self.adm1.get(pcode or "", ("", "", ""))

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Make the lookups joinable in DuckDB (``dim_checkpoints``, ``dim_items``)."""
        con.register(
            "dim_checkpoints",
            pa.table(
                {
                    "id": pa.array(list(self.checkpoints), pa.int64()),
                    "corridor_id": pa.array(list(self.checkpoints.values()), pa.int64()),
                }
            ),
        )
        con.register(
            "dim_items",
            pa.table(
                {
                    "id": pa.array([i.id for i in self.items.values()], pa.int64()),
                    "category": pa.array([i.category for i in self.items.values()], pa.string()),
                    "kg": pa.array([i.unit_weight_kg for i in self.items.values()], pa.float64()),
                }
            ),
        )


def _adm1_lookup(areas: list[AdminArea]) -> dict[str, tuple[str, str, str]]:
    by_code = {a.pcode: a for a in areas}
    found: dict[str, tuple[str, str, str]] = {}
    for area in areas:
        node, hops = area, 0
        while node is not None and node.admin_level > 1 and hops < 10:
            node = by_code.get(node.parent_pcode or "")
            hops += 1
        if node is not None and node.admin_level == 1:
            found[area.pcode] = (node.pcode, node.name_en, node.name_ar)
    return found


def load(session: Session, operation: Operation) -> Context:
    lead = session.get(Organisation, operation.lead_organisation_id)
    organisations = {o.id: o.acronym or o.name for o in session.scalars(select(Organisation)).all()}
    context = Context(
        operation_id=operation.id,
        slug=operation.slug,
        name=operation.name,
        timezone=operation.timezone or "UTC",
        lead=(lead.acronym or lead.name) if lead else "",
    )
    checkpoints = list(
        session.scalars(
            select(Checkpoint)
            .where(Checkpoint.operation_id == operation.id)
            .order_by(Checkpoint.corridor_id, Checkpoint.position)
        )
    )
    first_pcode: dict[int, str] = {}
    for checkpoint in checkpoints:
        context.checkpoints[checkpoint.id] = checkpoint.corridor_id
        if checkpoint.corridor_id is not None and checkpoint.pcode:
            first_pcode.setdefault(checkpoint.corridor_id, checkpoint.pcode)
        context.checkpoint_points.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [checkpoint.lon, checkpoint.lat]},
                "properties": {"name": checkpoint.name, "corridor_id": checkpoint.corridor_id},
            }
        )
    for corridor in session.scalars(
        select(Corridor).where(Corridor.operation_id == operation.id).order_by(Corridor.name)
    ):
        context.corridors[corridor.id] = CorridorInfo(
            id=corridor.id,
            name=corridor.name,
            status=corridor.status.value,
            pcode=first_pcode.get(corridor.id, ""),
            windows=list(corridor.windows or []),
            route=corridor.route,
        )
    for place in session.scalars(
        select(Place).where(Place.operation_id == operation.id).order_by(Place.name)
    ):
        context.places[place.id] = PlaceInfo(
            id=place.id,
            name=place.name,
            kind=place.kind.value,
            organisation=organisations.get(place.organisation_id, ""),
            pcode=place.pcode or "",
            lon=place.lon,
            lat=place.lat,
            status=place.status.value,
        )
    for item in session.scalars(select(Item).where(Item.operation_id == operation.id)):
        context.items[item.id] = ItemInfo(
            id=item.id,
            code=item.code,
            name=item.name,
            category=item.category.value,
            unit=item.unit.value,
            unit_weight_kg=item.unit_weight_kg or 0.0,
        )
    areas = list(session.scalars(select(AdminArea).where(AdminArea.operation_id == operation.id)))
    context.adm1 = _adm1_lookup(areas)
    context.has_amnesty = (
        session.scalar(select(Desk.id).where(Desk.operation_id == operation.id).limit(1))
        is not None
    )
    return context


def next_window(windows: list[dict[str, str]], after: datetime) -> dict[str, str] | None:
    """The opening window in force at ``after``, or the next one."""
    upcoming = []
    for window in windows:
        try:
            start = datetime.fromisoformat(window["from"])
            end = datetime.fromisoformat(window["until"])
        except (KeyError, ValueError):
            continue
        if end > after:
            upcoming.append((start, end))
    if not upcoming:
        return None
    start, end = min(upcoming)
    return {"from": start.isoformat(), "until": end.isoformat()}
