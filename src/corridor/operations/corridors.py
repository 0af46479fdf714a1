"""Corridors: agreed routes with checkpoints, opening windows and a status history.

A corridor is created from a router answer (its route is computed here, around
the hazards in force). When a hazard is saved, every corridor whose route it
touches is flagged, and a job re-plans the route around it for a coordinator
to accept or reject.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from shapely.geometry import LineString, Point, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.db.types import utcnow
from corridor.errors import Conflict, InvalidInput, NotFound
from corridor.jobs import notifications
from corridor.jobs.runner import JobContext, enqueue, handler
from corridor.operations import gazetteer
from corridor.operations.models import (
    Checkpoint,
    Corridor,
    CorridorFlag,
    CorridorStatus,
    CorridorStatusChange,
    Operation,
)
from corridor.routing import router
from corridor.routing.geo import projection_for
from corridor.routing.models import Hazard

REPLAN_JOB = "corridors.replan"
MAX_CHECKPOINT_OFFSET_M = 500.0


def _windows(windows: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    result = []
    for index, window in enumerate(windows or []):
        try:
            start = datetime.fromisoformat(str(window["from"]))
            end = datetime.fromisoformat(str(window["until"]))
        except (KeyError, ValueError, TypeError):
            raise InvalidInput(
                f"windows.{index}", "needs from and until as ISO 8601 times"
            ) from None
        if start.tzinfo is None or end.tzinfo is None:
            raise InvalidInput(f"windows.{index}", "times need a UTC offset")
        if end <= start:
            raise InvalidInput(f"windows.{index}.until", "must be after from")
        result.append({"from": start.isoformat(), "until": end.isoformat()})
    return result


def _place_checkpoints(
    session: Session, corridor: Corridor, checkpoints: list[dict[str, Any]]
) -> None:
    """Snap each checkpoint onto the route and order them along it."""
    line = LineString(corridor.route["coordinates"])
    centre = line.centroid
    projection = projection_for(centre.x, centre.y)
    metric_line = projection.to_metric(line)
    placed = []
    for index, item in enumerate(checkpoints):
        name = str(item.get("name", "")).strip()
        if not name:
            raise InvalidInput(f"checkpoints.{index}.name", "is required")
        try:
            lon, lat = float(item["lon"]), float(item["lat"])
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(f"checkpoints.{index}", "needs lon and lat") from None
        point = projection.to_metric(Point(lon, lat))
        offset = metric_line.distance(point)
        if offset > MAX_CHECKPOINT_OFFSET_M:
            raise InvalidInput(
                f"checkpoints.{index}", f"is {offset:,.0f} m from the corridor's route"
            )
        along = metric_line.project(point)
        snapped = projection.to_lonlat(metric_line.interpolate(along))
        pcode = item.get("pcode") or None
        if pcode is not None:
            gazetteer.resolve_pcode(
                session,
                operation_id=corridor.operation_id,
                pcode=str(pcode),
                field=f"checkpoints.{index}.pcode",
            )
        placed.append((along, name, snapped.x, snapped.y, offset, pcode))
    for checkpoint in list(corridor.checkpoints):
        corridor.checkpoints.remove(checkpoint)
    for position, (along, name, lon, lat, offset, pcode) in enumerate(
        sorted(placed, key=lambda p: p[:5])
    ):
        corridor.checkpoints.append(
            Checkpoint(
                operation_id=corridor.operation_id,
                name=name[:200],
                position=position,
                lon=lon,
                lat=lat,
                distance_along_m=round(along, 1),
                snapped_m=round(offset, 1),
                pcode=pcode,
            )
        )


def create_corridor(
    session: Session,
    *,
    operation_id: int,
    name: str,
    profile: str,
    origin: tuple[float, float],
    destination: tuple[float, float],
    checkpoints: list[dict[str, Any]] | None = None,
    windows: list[dict[str, Any]] | None = None,
    parties: list[str] | None = None,
    capacity_per_hour: int | None = None,
    created_by_id: int | None = None,
) -> Corridor:
    """Route between the two points around the hazards in force, and save the corridor."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name", "is required")
    if session.scalar(
        select(Corridor.id).where(Corridor.operation_id == operation_id, Corridor.name == name)
    ):
        raise Conflict("this operation already has a corridor with this name")
    if capacity_per_hour is not None and not 0 < capacity_per_hour <= 1_000_000:
        raise InvalidInput("capacity_per_hour", "must be a positive number of people")
    answer = router.route(
        session,
        operation_id=operation_id,
        profile=profile,
        origin=origin,
        destination=destination,
        alternatives=0,
    )
    corridor = Corridor(
        operation_id=operation_id,
        name=name[:200],
        profile=profile,
        origin=[answer.origin.lon, answer.origin.lat],
        destination=[answer.destination.lon, answer.destination.lat],
        route=answer.best.geometry(),
        distance_m=answer.best.distance_m,
        duration_s=answer.best.duration_s,
        windows=_windows(windows),
        parties=[str(p).strip()[:200] for p in parties or [] if str(p).strip()],
        capacity_per_hour=capacity_per_hour,
        created_by_id=created_by_id,
    )
    _place_checkpoints(session, corridor, checkpoints or [])
    session.add(corridor)
    session.flush()
    session.add(
        CorridorStatusChange(
            corridor_id=corridor.id,
            operation_id=operation_id,
            from_status=None,
            to_status=corridor.status.value,
            reason="created",
            changed_by_id=created_by_id,
        )
    )
    flag_corridors(session, operation_id=operation_id, corridors=[corridor])
    session.flush()
    return corridor


def get_corridor(session: Session, *, operation_id: int, corridor_id: int) -> Corridor:
    corridor = session.get(Corridor, corridor_id)
    if corridor is None or corridor.operation_id != operation_id:
        raise NotFound("no such corridor")
    return corridor


def list_corridors(session: Session, *, operation_id: int) -> list[Corridor]:
    return list(
        session.scalars(
            select(Corridor).where(Corridor.operation_id == operation_id).order_by(Corridor.name)
        )
    )


def update_corridor(session: Session, *, corridor: Corridor, changes: dict[str, Any]) -> None:
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise InvalidInput("name", "is required")
        corridor.name = name[:200]
    if "windows" in changes:
        corridor.windows = _windows(changes["windows"])
    if "parties" in changes:
        corridor.parties = [
            str(p).strip()[:200] for p in changes["parties"] or [] if str(p).strip()
        ]
    if "capacity_per_hour" in changes:
        value = changes["capacity_per_hour"]
        if value is not None and not 0 < value <= 1_000_000:
            raise InvalidInput("capacity_per_hour", "must be a positive number of people")
        corridor.capacity_per_hour = value
    if "checkpoints" in changes:
        _place_checkpoints(session, corridor, changes["checkpoints"] or [])
    session.flush()


def set_status(
    session: Session, *, corridor: Corridor, status: str, reason: str, changed_by_id: int | None
) -> CorridorStatusChange:
    """Change the status; the reason is required and the change is kept."""
    try:
        new = CorridorStatus(status)
    except ValueError:
        raise InvalidInput("status", "must be planned, open, suspended or closed") from None
    if not reason.strip():
        raise InvalidInput("reason", "is required when the status changes")
    if corridor.status == CorridorStatus.CLOSED and new != CorridorStatus.CLOSED:
        raise Conflict("a closed corridor cannot be reopened; create a new one")
    change = CorridorStatusChange(
        corridor_id=corridor.id,
        operation_id=corridor.operation_id,
        from_status=corridor.status.value,
        to_status=new.value,
        reason=reason.strip()[:2000],
        changed_by_id=changed_by_id,
    )
    corridor.status = new
    session.add(change)
    session.flush()
    return change


def status_history(session: Session, *, corridor: Corridor) -> list[CorridorStatusChange]:
    return list(
        session.scalars(
            select(CorridorStatusChange)
            .where(CorridorStatusChange.corridor_id == corridor.id)
            .order_by(CorridorStatusChange.id)
        )
    )


# Flags and re-planning ----------------------------------------------------------------


def open_flags(session: Session, *, operation_id: int) -> list[CorridorFlag]:
    return list(
        session.scalars(
            select(CorridorFlag)
            .where(
                CorridorFlag.operation_id == operation_id,
                CorridorFlag.state.in_(("pending", "proposed")),
            )
            .order_by(CorridorFlag.id)
        )
    )


def flag_corridors(
    session: Session,
    *,
    operation_id: int,
    corridors: list[Corridor] | None = None,
    hazards: list[Hazard] | None = None,
) -> list[CorridorFlag]:
    """Flag every (corridor, hazard in force) pair whose route and zone touch; queue re-plans."""
    from corridor.routing import hazards as hazard_service

    corridors = (
        corridors
        if corridors is not None
        else [
            c
            for c in list_corridors(session, operation_id=operation_id)
            if c.status != CorridorStatus.CLOSED
        ]
    )
    if not corridors:
        return []
    hazards = (
        hazards
        if hazards is not None
        else hazard_service.list_hazards(session, operation_id=operation_id)
    )
    existing = {
        (f.corridor_id, f.hazard_id) for f in open_flags(session, operation_id=operation_id)
    }
    new_flags = []
    for corridor in corridors:
        line = shape(corridor.route)
        for hazard in hazards:
            if (corridor.id, hazard.id) in existing or not hazard.in_force(utcnow()):
                continue
            if line.intersects(shape(hazard.effective_geometry)):
                flag = CorridorFlag(
                    corridor_id=corridor.id,
                    operation_id=operation_id,
                    hazard_id=hazard.id,
                    hazard_name=hazard.name or hazard.kind.value,
                )
                session.add(flag)
                new_flags.append(flag)
    if new_flags:
        session.flush()
        enqueue(
            session,
            kind=REPLAN_JOB,
            operation_id=operation_id,
            payload={"flag_ids": [f.id for f in new_flags]},
        )
    return new_flags


def replan(session: Session, *, flag: CorridorFlag) -> None:
    """Propose a route for the flagged corridor around the hazards now in force."""
    corridor = session.get(Corridor, flag.corridor_id)
    if corridor is None or flag.state != "pending":
        return
    answer = router.route(
        session,
        operation_id=corridor.operation_id,
        profile=corridor.profile,
        origin=tuple(corridor.origin),
        destination=tuple(corridor.destination),
        alternatives=0,
    )
    flag.proposed_route = answer.best.geometry()
    flag.proposed_distance_m = answer.best.distance_m
    flag.proposed_duration_s = answer.best.duration_s
    flag.proposal_safe = answer.best.safe
    flag.state = "proposed"
    session.flush()


@handler(REPLAN_JOB)
def _replan_job(ctx: JobContext) -> dict[str, Any]:
    proposed = 0
    operation = None
    for flag_id in ctx.payload.get("flag_ids", []):
        flag = ctx.session.get(CorridorFlag, flag_id)
        if flag is None:
            continue
        replan(ctx.session, flag=flag)
        proposed += flag.state == "proposed"
        operation = operation or ctx.session.get(Operation, flag.operation_id)
        corridor = ctx.session.get(Corridor, flag.corridor_id)
        if operation is not None and corridor is not None:
            notifications.notify(
                ctx.session,
                kind="corridor.flagged",
                severity="warning",
                operation_id=operation.id,
                organisation_id=operation.lead_organisation_id,
                title=f"Corridor {corridor.name} crosses hazard {flag.hazard_name}",
                body="A re-planned route is proposed on the operation's page.",
            )
    return {"proposed": proposed}


def resolve_flag(
    session: Session, *, corridor: Corridor, flag_id: int, accept: bool, resolved_by_id: int | None
) -> CorridorFlag:
    """Accept the proposed route (it becomes the corridor's) or reject it."""
    flag = session.get(CorridorFlag, flag_id)
    if flag is None or flag.corridor_id != corridor.id:
        raise NotFound("no such flag on this corridor")
    if flag.state != "proposed":
        raise Conflict("there is no proposed route to decide on (yet)")
    if accept:
        corridor.route = flag.proposed_route or corridor.route
        corridor.distance_m = flag.proposed_distance_m or corridor.distance_m
        corridor.duration_s = flag.proposed_duration_s or corridor.duration_s
        checkpoints = [
            {"name": c.name, "lon": c.lon, "lat": c.lat, "pcode": c.pcode}
            for c in corridor.checkpoints
        ]
        # Checkpoints too far from the new route keep their old places.
        with contextlib.suppress(InvalidInput):
            _place_checkpoints(session, corridor, checkpoints)
        for other in open_flags(session, operation_id=corridor.operation_id):
            if other.corridor_id == corridor.id and other.id != flag.id:
                other.state, other.resolved_at = "superseded", utcnow()
    flag.state = "accepted" if accept else "rejected"
    flag.resolved_at = utcnow()
    flag.resolved_by_id = resolved_by_id
    session.flush()
    return flag
