"""JSON API of corridors: create from a route, edit, status with reasons, flags."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from corridor.accounts.permissions import Action
from corridor.operations import corridors
from corridor.operations.corridor_schemas import (
    CheckpointOut,
    CorridorIn,
    CorridorOut,
    CorridorUpdate,
    DecisionIn,
    FlagOut,
    StatusChangeOut,
    StatusIn,
)
from corridor.operations.models import Corridor
from corridor.web.deps import OperationContext, require
from corridor.web.schemas import RowId

router = APIRouter(prefix="/api/v1/operations/{slug}", tags=["corridors"])


def corridor_out(ctx: OperationContext, corridor: Corridor) -> CorridorOut:
    flags = [
        f
        for f in corridors.open_flags(ctx.session, operation_id=corridor.operation_id)
        if f.corridor_id == corridor.id
    ]
    return CorridorOut(
        id=corridor.id,
        name=corridor.name,
        profile=corridor.profile,
        origin=corridor.origin,
        destination=corridor.destination,
        route=corridor.route,
        distance_m=corridor.distance_m,
        duration_s=corridor.duration_s,
        status=corridor.status,
        windows=corridor.windows,
        parties=corridor.parties,
        capacity_per_hour=corridor.capacity_per_hour,
        checkpoints=[CheckpointOut.model_validate(c) for c in corridor.checkpoints],
        flags=[FlagOut.model_validate(f) for f in flags],
        created_at=corridor.created_at,
        updated_at=corridor.updated_at,
    )


def _windows(items: list[Any] | None) -> list[dict[str, Any]] | None:
    if items is None:
        return None
    return [{"from": w.from_.isoformat(), "until": w.until.isoformat()} for w in items]


@router.get("/corridors", response_model=list[CorridorOut])
def list_corridors(
    ctx: OperationContext = Depends(require(Action.OPERATION_READ)),
) -> list[CorridorOut]:
    return [
        corridor_out(ctx, c)
        for c in corridors.list_corridors(ctx.session, operation_id=ctx.operation.id)
    ]


@router.get("/corridors.geojson")
def corridors_geojson(
    ctx: OperationContext = Depends(require(Action.OPERATION_READ)),
) -> dict[str, Any]:
    """Corridor routes as GeoJSON, with status and whether a hazard flags them."""
    flagged = {
        f.corridor_id for f in corridors.open_flags(ctx.session, operation_id=ctx.operation.id)
    }
    features = [
        {
            "type": "Feature",
            "geometry": c.route,
            "properties": {
                "id": c.id,
                "name": c.name,
                "kind": c.status.value,
                "status": c.status.value,
                "flagged": c.id in flagged,
            },
        }
        for c in corridors.list_corridors(ctx.session, operation_id=ctx.operation.id)
    ]
    return {"type": "FeatureCollection", "features": features}


@router.get("/checkpoints.geojson")
def checkpoints_geojson(
    ctx: OperationContext = Depends(require(Action.OPERATION_READ)),
) -> dict[str, Any]:
    """Every corridor's checkpoints as GeoJSON points."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
            "properties": {"name": p.name, "kind": c.name},
        }
        for c in corridors.list_corridors(ctx.session, operation_id=ctx.operation.id)
        for p in c.checkpoints
    ]
    return {"type": "FeatureCollection", "features": features}


@router.post("/corridors", response_model=CorridorOut, status_code=201)
def create_corridor(
    body: CorridorIn, ctx: OperationContext = Depends(require(Action.CORRIDOR_WRITE))
) -> CorridorOut:
    """Route between the two points around the hazards in force and save it as a corridor."""
    corridor = corridors.create_corridor(
        ctx.session,
        operation_id=ctx.operation.id,
        name=body.name,
        profile=body.profile,
        origin=body.from_,
        destination=body.to,
        checkpoints=[c.model_dump() for c in body.checkpoints],
        windows=_windows(body.windows),
        parties=body.parties,
        capacity_per_hour=body.capacity_per_hour,
        created_by_id=ctx.principal.user_id,
    )
    return corridor_out(ctx, corridor)


@router.get("/corridors/{corridor_id}", response_model=CorridorOut)
def get_corridor(
    corridor_id: RowId, ctx: OperationContext = Depends(require(Action.OPERATION_READ))
) -> CorridorOut:
    return corridor_out(
        ctx,
        corridors.get_corridor(ctx.session, operation_id=ctx.operation.id, corridor_id=corridor_id),
    )


@router.patch("/corridors/{corridor_id}", response_model=CorridorOut)
def update_corridor(
    corridor_id: RowId,
    body: CorridorUpdate,
    ctx: OperationContext = Depends(require(Action.CORRIDOR_WRITE)),
) -> CorridorOut:
    corridor = corridors.get_corridor(
        ctx.session, operation_id=ctx.operation.id, corridor_id=corridor_id
    )
    changes = body.model_dump(exclude_unset=True, by_alias=False)
    if "windows" in changes:
        changes["windows"] = _windows(body.windows)
    corridors.update_corridor(ctx.session, corridor=corridor, changes=changes)
    return corridor_out(ctx, corridor)


@router.post("/corridors/{corridor_id}/status", response_model=CorridorOut)
def set_status(
    corridor_id: RowId,
    body: StatusIn,
    ctx: OperationContext = Depends(require(Action.CORRIDOR_WRITE)),
) -> CorridorOut:
    """Open, suspend or close a corridor; the reason is kept in its history."""
    corridor = corridors.get_corridor(
        ctx.session, operation_id=ctx.operation.id, corridor_id=corridor_id
    )
    corridors.set_status(
        ctx.session,
        corridor=corridor,
        status=body.status,
        reason=body.reason,
        changed_by_id=ctx.principal.user_id,
    )
    return corridor_out(ctx, corridor)


@router.get("/corridors/{corridor_id}/history", response_model=list[StatusChangeOut])
def history(
    corridor_id: RowId, ctx: OperationContext = Depends(require(Action.OPERATION_READ))
) -> list[StatusChangeOut]:
    corridor = corridors.get_corridor(
        ctx.session, operation_id=ctx.operation.id, corridor_id=corridor_id
    )
    return [
        StatusChangeOut.model_validate(c)
        for c in corridors.status_history(ctx.session, corridor=corridor)
    ]


@router.post("/corridors/{corridor_id}/flags/{flag_id}", response_model=CorridorOut)
def decide_flag(
    corridor_id: RowId,
    flag_id: RowId,
    body: DecisionIn,
    ctx: OperationContext = Depends(require(Action.CORRIDOR_WRITE)),
) -> CorridorOut:
    """Accept (the proposed route replaces the corridor's) or reject a re-planned route."""
    corridor = corridors.get_corridor(
        ctx.session, operation_id=ctx.operation.id, corridor_id=corridor_id
    )
    corridors.resolve_flag(
        ctx.session,
        corridor=corridor,
        flag_id=flag_id,
        accept=body.decision == "accept",
        resolved_by_id=ctx.principal.user_id,
    )
    return corridor_out(ctx, corridor)
