"""Warehouses and aid points: where stock is kept and where people are served."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.accounts.permissions import Decision, Scope
from corridor.aid.checks import choice, display_name
from corridor.aid.models import Place, PlaceKind, PlaceStatus, Service
from corridor.errors import Conflict, InvalidInput, NotFound
from corridor.operations import gazetteer
from corridor.operations.models import Checkpoint, Corridor


def reaches_place(decision: Decision, organisation_id: int) -> bool:
    """Stock of a place is moved by its organisation, unless the grant spans the operation."""
    return decision.scope == Scope.OPERATION or organisation_id in decision.organisation_ids


def organisations_reached(decision: Decision) -> frozenset[int] | None:
    """The organisations whose places a grant reaches; None: every place of the operation."""
    return None if decision.scope == Scope.OPERATION else decision.organisation_ids


def list_places(session: Session, *, operation_id: int) -> list[Place]:
    return list(
        session.scalars(
            select(Place).where(Place.operation_id == operation_id).order_by(Place.name)
        )
    )


def get_place(session: Session, *, operation_id: int, place_id: int) -> Place:
    place = session.get(Place, place_id)
    if place is None or place.operation_id != operation_id:
        raise NotFound("no such place in this operation")
    return place


def create_place(
    session: Session,
    *,
    operation_id: int,
    organisation_id: int,
    kind: PlaceKind | str,
    name: str,
    lon: float,
    lat: float,
    corridor_id: int | None = None,
    checkpoint_id: int | None = None,
    opening_hours: str = "",
    status: PlaceStatus | str = PlaceStatus.PLANNED,
    services: list[str] | None = None,
    pcode: str | None = None,
) -> Place:
    """A warehouse or aid point run by ``organisation_id``; names are unique in the operation."""
    name = display_name(name)
    if session.scalar(
        select(Place.id).where(Place.operation_id == operation_id, Place.name == name)
    ):
        raise Conflict("a place with this name already exists in the operation")
    place = Place(
        operation_id=operation_id,
        organisation_id=organisation_id,
        kind=choice(PlaceKind, kind, "kind"),
        name=name,
    )
    _apply(
        session,
        place,
        lon=lon,
        lat=lat,
        corridor_id=corridor_id,
        checkpoint_id=checkpoint_id,
        opening_hours=opening_hours,
        status=status,
        services=services or [],
        pcode=pcode,
    )
    session.add(place)
    session.flush()
    return place


def update_place(session: Session, place: Place, **changes: Any) -> Place:
    """Edit a place (status, hours, services, location, the corridor it serves)."""
    if "name" in changes:
        name = display_name(changes.pop("name"))
        clash = session.scalar(
            select(Place.id).where(
                Place.operation_id == place.operation_id, Place.name == name, Place.id != place.id
            )
        )
        if clash:
            raise Conflict("a place with this name already exists in the operation")
        place.name = name
    _apply(session, place, **changes)
    session.flush()
    return place


def _apply(session: Session, place: Place, **values: Any) -> None:
    if "lon" in values or "lat" in values:
        lon = _coordinate(values.get("lon", place.lon), "lon", 180)
        lat = _coordinate(values.get("lat", place.lat), "lat", 90)
        place.lon, place.lat = lon, lat
    if "corridor_id" in values:
        corridor_id = values["corridor_id"]
        if corridor_id is not None:
            corridor = session.get(Corridor, corridor_id)
            if corridor is None or corridor.operation_id != place.operation_id:
                raise InvalidInput("corridor_id", "is not a corridor of this operation")
        place.corridor_id = corridor_id
    if "checkpoint_id" in values:
        checkpoint_id = values["checkpoint_id"]
        if checkpoint_id is not None:
            checkpoint = session.get(Checkpoint, checkpoint_id)
            if checkpoint is None or checkpoint.operation_id != place.operation_id:
                raise InvalidInput("checkpoint_id", "is not a checkpoint of this operation")
        place.checkpoint_id = checkpoint_id
    if "opening_hours" in values:
        hours = " ".join((values["opening_hours"] or "").split())
        if len(hours) > 200:
            raise InvalidInput("opening_hours", "must be at most 200 characters")
        place.opening_hours = hours
    if "status" in values:
        place.status = choice(PlaceStatus, values["status"], "status")
    if "pcode" in values:
        pcode = values["pcode"] or None
        if pcode is not None:
            gazetteer.resolve_pcode(
                session, operation_id=place.operation_id, pcode=str(pcode), field="pcode"
            )
        place.pcode = pcode
    if "services" in values:
        services = [choice(Service, s, "services").value for s in values["services"] or []]
        place.services = sorted(set(services))


def _coordinate(value: Any, field: str, limit: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(field, "must be a number") from None
    if not math.isfinite(number) or abs(number) > limit:
        raise InvalidInput(field, f"must be between -{limit:g} and {limit:g}")
    return number
