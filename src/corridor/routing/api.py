"""JSON API of the routing capability: networks, hazards, route queries."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from shapely.geometry import shape

from corridor.accounts.permissions import Action
from corridor.errors import InvalidInput, PayloadTooLarge
from corridor.jobs.runner import enqueue
from corridor.jobs.schemas import JobOut
from corridor.operations import service as operations
from corridor.routing import hazards, incidents, reachability, router, service
from corridor.routing.geo import Projection, projection_for
from corridor.routing.models import Hazard
from corridor.routing.router import RouteAnswer, RouteOption
from corridor.routing.schemas import (
    CoverageIn,
    CoverageOut,
    ExposureOut,
    HazardIn,
    HazardOut,
    IncidentHazardIn,
    IncidentIn,
    IncidentOut,
    IncidentStatusIn,
    NetworkOut,
    ReachIn,
    RouteIn,
    RouteOptionOut,
    RouteOut,
    SnapOut,
)
from corridor.web.deps import OperationContext, require
from corridor.web.schemas import RowId

MAX_UPLOAD_BYTES = 1 << 30
router_api = APIRouter(prefix="/api/v1/operations/{slug}", tags=["routing"])


def hazard_out(hazard: Hazard) -> HazardOut:
    return HazardOut(
        id=hazard.id,
        name=hazard.name,
        kind=hazard.kind,
        severity=hazard.severity,
        factor=hazard.factor,
        buffer_m=hazard.buffer_m,
        geometry=hazard.geometry,
        effective_geometry=hazard.effective_geometry,
        valid_from=hazard.valid_from,
        valid_until=hazard.valid_until,
        withdrawn_at=hazard.withdrawn_at,
        source=hazard.source,
        confidence=hazard.confidence,
        note=hazard.note,
        created_at=hazard.created_at,
        updated_at=hazard.updated_at,
    )


def _option(option: RouteOption) -> RouteOptionOut:
    return RouteOptionOut(
        geometry=option.geometry(),
        distance_m=option.distance_m,
        duration_s=option.duration_s,
        cost=option.cost,
        safe=option.safe,
        exposure=[ExposureOut(**e.__dict__) for e in option.exposure],
        avoid_entered=[ExposureOut(**e.__dict__) for e in option.avoid_entered],
    )


def route_out(answer: RouteAnswer) -> RouteOut:
    return RouteOut(
        status=answer.status,
        profile=answer.profile,
        departure=answer.departure,
        origin=SnapOut(
            lon=answer.origin.lon,
            lat=answer.origin.lat,
            distance_m=round(answer.origin.distance_m, 1),
        ),
        destination=SnapOut(
            lon=answer.destination.lon,
            lat=answer.destination.lat,
            distance_m=round(answer.destination.distance_m, 1),
        ),
        route=_option(answer.best),
        alternatives=[_option(o) for o in answer.alternatives],
    )


def _input(body: HazardIn) -> hazards.HazardInput:
    return hazards.HazardInput(**body.model_dump())


@router_api.get("/networks", response_model=list[NetworkOut])
def list_networks(ctx: OperationContext = Depends(require(Action.ROUTE_READ))) -> list[NetworkOut]:
    """The operation's road networks (one per profile), imported from OpenStreetMap."""
    return [
        NetworkOut.model_validate(n)
        for n in service.list_networks(ctx.session, operation_id=ctx.operation.id)
    ]


@router_api.get("/roads.geojson")
def roads_geojson(
    profile: str = Query("car", pattern="^(car|foot)$"),
    ctx: OperationContext = Depends(require(Action.ROUTE_READ)),
) -> dict[str, Any]:
    """The road network as GeoJSON lines (the map's base; © OpenStreetMap contributors)."""
    state = service.router_state(ctx.session, operation_id=ctx.operation.id, profile=profile)
    return state.roads_geojson()


@router_api.post(
    "/networks",
    response_model=JobOut,
    status_code=202,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_network(
    request: Request, ctx: OperationContext = Depends(require(Action.NETWORK_IMPORT))
) -> JobOut:
    """Upload an OpenStreetMap extract (.osm.pbf); a job builds the networks.

    Follow the job at ``/api/v1/operations/{slug}/jobs/{id}``; a bad file fails
    the job with the reason and leaves the current networks in place.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge("the extract is larger than the upload limit (1 GB)")
    target = service.uploads_dir(ctx.session) / f"{uuid.uuid4().hex}.osm.pbf"
    size = 0
    with target.open("wb") as handle:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                handle.close()
                target.unlink(missing_ok=True)
                raise PayloadTooLarge("the extract is larger than the upload limit (1 GB)")
            handle.write(chunk)
    if size == 0:
        target.unlink(missing_ok=True)
        raise InvalidInput("file", "is empty")
    job = enqueue(
        ctx.session,
        kind=service.IMPORT_JOB,
        operation_id=ctx.operation.id,
        requested_by_id=ctx.principal.user_id,
        payload={"path": str(target)},
        max_attempts=1,
    )
    return JobOut.model_validate(job)


@router_api.get("/hazards", response_model=list[HazardOut])
def list_hazards(
    history: bool = Query(False, description="Include withdrawn and past ones"),
    ctx: OperationContext = Depends(require(Action.ROUTE_READ)),
) -> list[HazardOut]:
    return [
        hazard_out(h)
        for h in hazards.list_hazards(
            ctx.session, operation_id=ctx.operation.id, include_history=history
        )
    ]


@router_api.get("/hazards.geojson")
def hazards_geojson(ctx: OperationContext = Depends(require(Action.ROUTE_READ))) -> dict[str, Any]:
    """Hazards in force as a GeoJSON FeatureCollection (for maps and GIS)."""
    features = [
        {
            "type": "Feature",
            "geometry": h.effective_geometry,
            "properties": {
                "id": h.id,
                "name": h.name,
                "kind": h.kind.value,
                "severity": h.severity,
                "factor": h.factor,
            },
        }
        for h in hazards.list_hazards(ctx.session, operation_id=ctx.operation.id)
    ]
    return {"type": "FeatureCollection", "features": features}


@router_api.post("/hazards", response_model=HazardOut, status_code=201)
def create_hazard(
    body: HazardIn, ctx: OperationContext = Depends(require(Action.HAZARD_WRITE))
) -> HazardOut:
    """Save a hazard zone; routes avoid it from the next query on, in every worker."""
    projection = _projection(ctx)
    hazard = hazards.create_hazard(
        ctx.session,
        operation_id=ctx.operation.id,
        data=_input(body),
        projection=projection,
        created_by_id=ctx.principal.user_id,
    )
    return hazard_out(hazard)


@router_api.get("/hazards/{hazard_id}", response_model=HazardOut)
def get_hazard(
    hazard_id: RowId, ctx: OperationContext = Depends(require(Action.ROUTE_READ))
) -> HazardOut:
    return hazard_out(
        hazards.get_hazard(ctx.session, operation_id=ctx.operation.id, hazard_id=hazard_id)
    )


@router_api.put("/hazards/{hazard_id}", response_model=HazardOut)
def update_hazard(
    hazard_id: RowId, body: HazardIn, ctx: OperationContext = Depends(require(Action.HAZARD_WRITE))
) -> HazardOut:
    hazard = hazards.get_hazard(ctx.session, operation_id=ctx.operation.id, hazard_id=hazard_id)
    return hazard_out(
        hazards.update_hazard(
            ctx.session, hazard=hazard, data=_input(body), projection=_projection(ctx)
        )
    )


@router_api.delete("/hazards/{hazard_id}", status_code=204)
def withdraw_hazard(
    hazard_id: RowId, ctx: OperationContext = Depends(require(Action.HAZARD_WRITE))
) -> Response:
    """Withdraw a hazard (it stays in the history)."""
    hazard = hazards.get_hazard(ctx.session, operation_id=ctx.operation.id, hazard_id=hazard_id)
    hazards.withdraw_hazard(ctx.session, hazard=hazard)
    return Response(status_code=204)


@router_api.post("/routes", response_model=RouteOut)
def query_route(
    body: RouteIn, ctx: OperationContext = Depends(require(Action.ROUTE_READ))
) -> RouteOut:
    """The safest sensible route between two points, with up to three alternatives."""
    answer = router.route(
        ctx.session,
        operation_id=ctx.operation.id,
        profile=body.profile,
        origin=body.from_,
        destination=body.to,
        departure=body.departure,
        alternatives=body.alternatives,
    )
    return route_out(answer)


def _projection(ctx: OperationContext) -> Projection | None:
    """The UTM zone of the operation's area (None: the hazard's own zone)."""
    operation = operations.get_operation(ctx.session, operation_id=ctx.operation.id)
    if not operation.area:
        return None
    centre = shape(operation.area).centroid
    return projection_for(centre.x, centre.y)


@router_api.post("/reachability")
def reachable(
    body: ReachIn, ctx: OperationContext = Depends(require(Action.ROUTE_READ))
) -> dict[str, Any]:
    """The area reachable within N minutes around the hazards in force (GeoJSON Feature)."""
    reach = reachability.reachable_area(
        ctx.session,
        operation_id=ctx.operation.id,
        profile=body.profile,
        origin=body.from_,
        minutes=body.minutes,
        departure=body.departure,
    )
    return reach.feature()


@router_api.post("/corridors/{corridor_id}/coverage", response_model=CoverageOut)
def coverage(
    corridor_id: RowId,
    body: CoverageIn,
    ctx: OperationContext = Depends(require(Action.ROUTE_READ)),
) -> CoverageOut:
    """The share of a corridor within N minutes' walk of the given aid points."""
    from corridor.operations import corridors

    corridor = corridors.get_corridor(
        ctx.session, operation_id=ctx.operation.id, corridor_id=corridor_id
    )
    share = reachability.share_within(
        ctx.session,
        operation_id=ctx.operation.id,
        route=corridor.route,
        points=list(body.points),
        minutes=body.minutes,
    )
    return CoverageOut(corridor_id=corridor.id, minutes=body.minutes, share=round(share, 4))


@router_api.get("/incidents", response_model=list[IncidentOut])
def list_incidents(
    ctx: OperationContext = Depends(require(Action.ROUTE_READ)),
) -> list[IncidentOut]:
    return [
        IncidentOut.model_validate(i)
        for i in incidents.list_incidents(ctx.session, operation_id=ctx.operation.id)
    ]


@router_api.post("/incidents", response_model=IncidentOut, status_code=201)
def report_incident(
    body: IncidentIn, ctx: OperationContext = Depends(require(Action.HAZARD_WRITE))
) -> IncidentOut:
    incident = incidents.create_incident(
        ctx.session,
        operation_id=ctx.operation.id,
        created_by_id=ctx.principal.user_id,
        **body.model_dump(exclude={"kind"}),
        kind=body.kind,
    )
    return IncidentOut.model_validate(incident)


@router_api.patch("/incidents/{incident_id}", response_model=IncidentOut)
def set_incident_status(
    incident_id: RowId,
    body: IncidentStatusIn,
    ctx: OperationContext = Depends(require(Action.HAZARD_WRITE)),
) -> IncidentOut:
    incident = incidents.get_incident(
        ctx.session, operation_id=ctx.operation.id, incident_id=incident_id
    )
    incidents.set_status(ctx.session, incident=incident, status=body.status)
    return IncidentOut.model_validate(incident)


@router_api.post("/incidents/{incident_id}/hazard", response_model=HazardOut, status_code=201)
def hazard_from_incident(
    incident_id: RowId,
    body: IncidentHazardIn,
    ctx: OperationContext = Depends(require(Action.HAZARD_WRITE)),
) -> HazardOut:
    """Create a hazard zone around an incident's place."""
    incident = incidents.get_incident(
        ctx.session, operation_id=ctx.operation.id, incident_id=incident_id
    )
    hazard = incidents.hazard_from_incident(
        ctx.session,
        incident=incident,
        radius_m=body.radius_m,
        severity=body.severity,
        factor=body.factor,
        valid_hours=body.valid_hours,
        created_by_id=ctx.principal.user_id,
    )
    return hazard_out(hazard)
