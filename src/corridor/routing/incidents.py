"""Incidents: what happened where and when, verified or not; they may create hazards."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.db.types import utcnow
from corridor.errors import Conflict, InvalidInput, NotFound
from corridor.routing import hazards as hazard_service
from corridor.routing.models import Hazard, HazardKind, Incident, IncidentStatus


def create_incident(
    session: Session,
    *,
    operation_id: int,
    occurred_at: datetime,
    lon: float,
    lat: float,
    kind: str,
    injured: int = 0,
    killed: int = 0,
    source: str = "",
    description: str = "",
    corridor_id: int | None = None,
    checkpoint_id: int | None = None,
    created_by_id: int | None = None,
) -> Incident:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput("lon", "longitude and latitude must be in degrees")
    if injured < 0 or killed < 0:
        raise InvalidInput("injured" if injured < 0 else "killed", "must not be negative")
    if occurred_at > utcnow() + timedelta(minutes=5):
        raise InvalidInput("occurred_at", "is in the future")
    try:
        kind_value = HazardKind(kind)
    except ValueError:
        raise InvalidInput("kind", "is not a known incident kind") from None
    if corridor_id is not None:
        from corridor.operations import corridors

        corridors.get_corridor(session, operation_id=operation_id, corridor_id=corridor_id)
    incident = Incident(
        operation_id=operation_id,
        occurred_at=occurred_at,
        lon=lon,
        lat=lat,
        kind=kind_value,
        injured=injured,
        killed=killed,
        source=source[:200],
        description=description,
        corridor_id=corridor_id,
        checkpoint_id=checkpoint_id,
        created_by_id=created_by_id,
    )
    session.add(incident)
    session.flush()
    return incident


def get_incident(session: Session, *, operation_id: int, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None or incident.operation_id != operation_id:
        raise NotFound("no such incident")
    return incident


def list_incidents(
    session: Session,
    *,
    operation_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Incident]:
    query = select(Incident).where(Incident.operation_id == operation_id)
    if since is not None:
        query = query.where(Incident.occurred_at >= since)
    if until is not None:
        query = query.where(Incident.occurred_at < until)
    return list(session.scalars(query.order_by(Incident.occurred_at.desc())))


def set_status(session: Session, *, incident: Incident, status: str) -> None:
    try:
        incident.status = IncidentStatus(status)
    except ValueError:
        raise InvalidInput("status", "must be reported, verified or discounted") from None
    session.flush()


def hazard_from_incident(
    session: Session,
    *,
    incident: Incident,
    radius_m: float,
    severity: str = "avoid",
    factor: float | None = None,
    valid_hours: float | None = 24,
    created_by_id: int | None = None,
) -> Hazard:
    """A hazard zone around the incident's place (a circle of ``radius_m``)."""
    if incident.hazard_id is not None:
        raise Conflict("this incident already created a hazard")
    if incident.status == IncidentStatus.DISCOUNTED:
        raise Conflict("a discounted incident does not create a hazard")
    if not 10 <= radius_m <= 50_000:
        raise InvalidInput("radius_m", "must be between 10 and 50,000 metres")
    d = 1e-5
    point_square = {
        "type": "Polygon",
        "coordinates": [
            [
                [incident.lon - d, incident.lat - d],
                [incident.lon + d, incident.lat - d],
                [incident.lon + d, incident.lat + d],
                [incident.lon - d, incident.lat + d],
                [incident.lon - d, incident.lat - d],
            ]
        ],
    }
    now = utcnow()
    hazard = hazard_service.create_hazard(
        session,
        operation_id=incident.operation_id,
        projection=None,
        created_by_id=created_by_id,
        data=hazard_service.HazardInput(
            geometry=point_square,
            kind=incident.kind.value,
            severity=severity,
            factor=factor,
            buffer_m=radius_m,
            name=f"Incident {incident.id}",
            valid_from=now,
            valid_until=now + timedelta(hours=valid_hours) if valid_hours else None,
            source=incident.source,
            note=f"created from incident {incident.id}",
        ),
    )
    incident.hazard_id = hazard.id
    session.flush()
    return hazard
