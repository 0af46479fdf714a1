"""Hazard zones: saving them, and the arc weights they imply for routing.

A hazard is either impassable (``avoid``) or discouraged by a cost factor.
Factor hazards multiply an arc's travel cost once (the largest factor wins
where hazards overlap) and round it to whole deciseconds. Impassable ones add a
large fixed penalty to every arc that enters the zone, and multiply the cost of
arcs that start inside it, so a route enters as few such zones as it can and
stays inside them as briefly as it can.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import orjson
from shapely.geometry.base import BaseGeometry
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, defer

from corridor.db.bulk import insert_many
from corridor.db.types import utcnow
from corridor.errors import InvalidInput, NotFound
from corridor.routing import service as networks
from corridor.routing.geo import (
    CheckedPolygon,
    Projection,
    polygon_from_geojson,
    projection_for,
    to_geojson,
)
from corridor.routing.models import Confidence, Hazard, HazardKind
from corridor.routing.state import INSIDE_AVOID_FACTOR, RouterState

MAX_FACTOR = 100.0
MAX_BUFFER_M = 50_000.0


@dataclass(frozen=True)
class HazardInput:
    geometry: dict[str, Any]
    kind: str
    severity: str = "avoid"
    factor: float | None = None
    buffer_m: float = 0.0
    name: str = ""
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    source: str = ""
    confidence: str = "medium"
    note: str = ""


def _effective(
    checked: CheckedPolygon, buffer_m: float, projection: Projection
) -> tuple[dict[str, Any], BaseGeometry]:
    """The zone routing avoids, as stored (GeoJSON) and as a shapely geometry."""
    if buffer_m <= 0:
        return checked.geojson, checked.geometry
    metric = projection.to_metric(checked.geometry).buffer(buffer_m, quad_segs=16)
    zone = projection.to_lonlat(metric)
    return to_geojson(zone), zone


def _checked(
    data: HazardInput, projection: Projection | None
) -> tuple[dict[str, Any], BaseGeometry]:
    """The columns to store, and the effective zone already parsed (for the router)."""
    checked = polygon_from_geojson(data.geometry, field="geometry")
    if projection is None:
        centre = checked.geometry.centroid
        projection = projection_for(centre.x, centre.y)
    try:
        kind = HazardKind(data.kind)
    except ValueError:
        raise InvalidInput(
            "kind", "must be one of " + ", ".join(k.value for k in HazardKind)
        ) from None
    if data.severity not in ("avoid", "factor"):
        raise InvalidInput("severity", "must be avoid or factor")
    factor = None
    if data.severity == "factor":
        if data.factor is None or not 1.0 < data.factor <= MAX_FACTOR:
            raise InvalidInput("factor", f"must be above 1 and at most {MAX_FACTOR:g}")
        factor = float(data.factor)
    if not 0 <= data.buffer_m <= MAX_BUFFER_M:
        raise InvalidInput("buffer_m", f"must be between 0 and {MAX_BUFFER_M:g} metres")
    try:
        confidence = Confidence(data.confidence)
    except ValueError:
        raise InvalidInput("confidence", "must be low, medium or high") from None
    valid_from = data.valid_from or utcnow()
    if data.valid_until is not None and data.valid_until <= valid_from:
        raise InvalidInput("valid_until", "must be after valid_from")
    effective, zone = _effective(checked, data.buffer_m, projection)
    notes = [n for n in (data.note.strip(), checked.note) if n]
    values = {
        "geometry": checked.geojson,
        "effective_geometry": effective,
        "kind": kind,
        "factor": factor,
        "buffer_m": float(data.buffer_m),
        "valid_from": valid_from,
        "valid_until": data.valid_until,
        "source": data.source[:200],
        "confidence": confidence,
        "note": "; ".join(notes),
        "name": data.name.strip()[:200],
    }
    return values, zone


def create_hazard(
    session: Session,
    *,
    operation_id: int,
    data: HazardInput,
    projection: Projection | None,
    created_by_id: int | None,
) -> Hazard:
    """Save a hazard; it takes effect for the next route query in every worker."""
    return create_hazards(
        session,
        operation_id=operation_id,
        items=[data],
        projection=projection,
        created_by_id=created_by_id,
    )[0]


def create_hazards(
    session: Session,
    *,
    operation_id: int,
    items: list[HazardInput],
    projection: Projection | None,
    created_by_id: int | None,
) -> list[Hazard]:
    """Save several hazards in one statement (one audit append): all or none.

    A batch is checked whole before anything is written, so a bad item leaves
    no hazard of the batch behind.
    """
    checked = [_checked(data, projection) for data in items]
    rows = insert_many(
        session,
        Hazard,
        [
            {"operation_id": operation_id, "created_by_id": created_by_id, **values}
            for values, _zone in checked
        ],
    )
    _share_zones(session, operation_id, rows, checked)
    _flag_corridors(session, operation_id, rows)
    return rows


def update_hazard(
    session: Session, *, hazard: Hazard, data: HazardInput, projection: Projection
) -> Hazard:
    if data.valid_from is None:  # an edit that leaves the start out keeps it
        data = dataclasses.replace(data, valid_from=hazard.valid_from)
    values, zone = _checked(data, projection)
    for key, value in values.items():
        setattr(hazard, key, value)
    session.flush()
    _share_zones(session, hazard.operation_id, [hazard], [(values, zone)])
    _flag_corridors(session, hazard.operation_id, [hazard])
    return hazard


def _share_zones(
    session: Session,
    operation_id: int,
    saved: list[Hazard],
    checked: list[tuple[dict[str, Any], BaseGeometry]],
) -> None:
    """Once committed, hand the parsed zones to this worker's loaded networks.

    The next route query here then neither reads nor parses them; other workers
    read them from the database on their next query, as before. Nothing is
    shared when the transaction rolls back. Zones are matched to the stored rows
    by their GeoJSON, not by position.
    """
    caches = session.info.get("caches")
    if caches is None:
        return
    parsed = {orjson.dumps(values["effective_geometry"]): zone for values, zone in checked}
    keyed = [
        (hazard.zone_key, parsed[found])
        for hazard in saved
        if (found := orjson.dumps(hazard.effective_geometry)) in parsed
    ]

    def share() -> None:
        for state in networks.loaded_states(caches, operation_id):
            state.add_zones(keyed)

    session.info.setdefault("after_commit", []).append(share)


def _flag_corridors(session: Session, operation_id: int, saved: list[Hazard]) -> None:
    """Flag the corridors the saved hazards touch (and queue their re-planning)."""
    from corridor.operations import corridors  # imported here: corridors route with us

    corridors.flag_corridors(session, operation_id=operation_id, hazards=saved)


def withdraw_hazard(session: Session, *, hazard: Hazard) -> None:
    """Stop a hazard now; it stays in the history."""
    if hazard.withdrawn_at is None:
        hazard.withdrawn_at = utcnow()
    session.flush()


def get_hazard(session: Session, *, operation_id: int, hazard_id: int) -> Hazard:
    hazard = session.get(Hazard, hazard_id)
    if hazard is None or hazard.operation_id != operation_id:
        raise NotFound("no such hazard")
    return hazard


def list_hazards(
    session: Session,
    *,
    operation_id: int,
    at: datetime | None = None,
    include_history: bool = False,
    without_geometry: bool = False,
) -> list[Hazard]:
    """Hazards in force at ``at`` (now by default), or every hazard ever saved.

    ``without_geometry`` leaves the polygons unloaded until used: the router
    keeps each hazard's zone per revision, so a query only reads new ones.
    """
    query = select(Hazard).where(Hazard.operation_id == operation_id)
    if without_geometry:
        query = query.options(defer(Hazard.geometry), defer(Hazard.effective_geometry))
    if not include_history:
        moment = at or utcnow()
        query = query.where(
            Hazard.withdrawn_at.is_(None),
            Hazard.valid_from <= moment,
            or_(Hazard.valid_until.is_(None), Hazard.valid_until > moment),
        )
    return list(session.scalars(query.order_by(Hazard.id)))


def _geometry_of(hazard: HazardInForce | Hazard) -> dict[str, Any]:
    if isinstance(hazard, HazardInForce):
        raise LookupError("prime_zones() must load a light hazard's zone first")
    return hazard.effective_geometry


@dataclass(frozen=True, slots=True)
class HazardInForce:
    """What routing needs of a hazard: a few columns, read without building ORM objects."""

    id: int
    revision: str
    name: str
    kind: str
    factor: float | None

    @property
    def zone_key(self) -> tuple[int, str]:
        return (self.id, self.revision)

    @property
    def severity(self) -> str:
        return "avoid" if self.factor is None else "factor"


# Built once: constructing the statement cost more than running it, on every query.
_IN_FORCE = (
    select(Hazard.id, Hazard.updated_at, Hazard.name, Hazard.kind, Hazard.factor)
    .where(
        Hazard.operation_id == bindparam("operation_id"),
        Hazard.withdrawn_at.is_(None),
        Hazard.valid_from <= bindparam("moment"),
        or_(Hazard.valid_until.is_(None), Hazard.valid_until > bindparam("moment")),
    )
    .order_by(Hazard.id)
)


def hazards_in_force(
    session: Session, *, operation_id: int, at: datetime | None = None
) -> list[HazardInForce]:
    """The hazards in force at ``at`` (now by default), as light rows for routing.

    Read on every route query so that a hazard saved by any worker counts at
    once; one narrow query, no geometry (zones are cached per revision).
    """
    rows = session.execute(
        _IN_FORCE, {"operation_id": operation_id, "moment": at or utcnow()}
    ).all()
    return [
        HazardInForce(id, updated_at.isoformat(), name, kind.value, factor)
        for id, updated_at, name, kind, factor in rows
    ]


# Weights ----------------------------------------------------------------------------


def prime_zones(
    session: Session, state: RouterState, hazards: Sequence[HazardInForce | Hazard]
) -> None:
    """Load, in one query, the polygons of the hazard revisions ``state`` has not seen."""
    missing = {h.id: h.zone_key for h in hazards if not state.has_zone(h.zone_key)}
    if not missing:
        return
    rows = session.execute(
        select(Hazard.id, Hazard.effective_geometry).where(Hazard.id.in_(list(missing)))
    ).all()
    state.add_zones([(missing[hazard_id], geometry) for hazard_id, geometry in rows])


def hazard_key(hazards: Sequence[HazardInForce | Hazard]) -> tuple[tuple[int, str], ...]:
    """Identifies a set of hazards at their current revisions."""
    return tuple(h.zone_key for h in hazards)


def weights_with(state: RouterState, hazards: Sequence[HazardInForce | Hazard]) -> np.ndarray:
    """The arc weights of the network with ``hazards`` in force.

    Where factor hazards overlap the largest factor wins; overlapping
    impassable ones add their penalty once per arc.
    """
    base = state.graph.weight.astype(np.int64)
    touched: list[np.ndarray] = []
    factors: list[float] = []
    entering: list[np.ndarray] = []
    inside: list[np.ndarray] = []
    for hazard in hazards:
        _polygon, arcs = state.zone(hazard.zone_key, lambda h=hazard: _geometry_of(h))
        if hazard.factor is not None:
            touched.append(arcs.touched)
            factors.append(hazard.factor)
        else:
            entering.append(arcs.entering)
            inside.append(arcs.inside)
    if touched:
        factor = np.ones(base.shape[0])
        for arcs_touched, value in zip(touched, factors, strict=True):
            # per hazard, not np.maximum.at over all: that one is unbuffered and slow
            factor[arcs_touched] = np.maximum(factor[arcs_touched], value)
        weights = np.maximum(1, np.rint(base * factor)).astype(np.int64)
    else:
        weights = base
    if inside:
        weights[np.concatenate(inside)] *= INSIDE_AVOID_FACTOR
    if entering:
        weights[np.concatenate(entering)] += state.avoid_penalty
    return weights
