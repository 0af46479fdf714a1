"""HTML page of the routing capability: the operation's interactive map.

The page is a shell: the map component draws the layers, and the bundle's
``routing_map.js`` (initialised on ``[data-routing-map]``) draws hazard zones,
asks for routes and reachable areas, and saves corridors through the JSON API
(``/api/v1/operations/{slug}/...``) with the page's CSRF token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from corridor.accounts.permissions import Action, decide
from corridor.operations import service as operations
from corridor.operations.models import CorridorStatus
from corridor.routing import service as networks
from corridor.routing.hazards import MAX_BUFFER_M, MAX_FACTOR
from corridor.routing.models import HazardKind
from corridor.web import i18n
from corridor.web.deps import OperationContext, require
from corridor.web.i18n import gettext as _
from corridor.web.templating import render

router = APIRouter(include_in_schema=False)


def _layers(operation: Any, has_network: bool) -> list[dict[str, Any]]:
    """The map's layers: area, roads (once a network exists), corridors, hazards, checkpoints."""
    base = f"/api/v1/operations/{operation.slug}"
    layers: list[dict[str, Any]] = []
    if operation.area:
        layers.append(
            {
                "kind": "area",
                "label": _("Operation area"),
                "geojson": {
                    "type": "Feature",
                    "geometry": operation.area,
                    "properties": {"name": operation.name},
                },
            }
        )
    if has_network:
        layers.append({"kind": "roads", "label": _("Roads"), "src": f"{base}/roads.geojson"})
    for kind, label, path in (
        ("corridors", _("Corridors"), "corridors.geojson"),
        ("hazards", _("Hazards"), "hazards.geojson"),
        ("checkpoints", _("Checkpoints"), "checkpoints.geojson"),
    ):
        layers.append({"kind": kind, "label": label, "src": f"{base}/{path}"})
    return layers


@router.get("/operations/{slug}/map")
def operation_map(
    request: Request, ctx: OperationContext = Depends(require(Action.ROUTE_READ))
) -> Response:
    """The interactive map: hazards, safe routes, reachable areas, corridors."""
    # The labels below are translated here, before render() would set the language.
    i18n.set_language(getattr(request.state, "language", i18n.DEFAULT_LANGUAGE))
    operation = operations.get_operation(ctx.session, operation_id=ctx.operation.id)
    profiles = sorted(
        {n.profile for n in networks.list_networks(ctx.session, operation_id=operation.id)}
    )
    participation = ctx.operation.participation
    return render(
        request,
        "routing/map.html",
        operation=operation,
        layers=_layers(operation, bool(profiles)),
        has_network=bool(profiles),
        profiles=profiles or ["car", "foot"],
        may_write_hazards=decide(ctx.principal, participation, Action.HAZARD_WRITE).allowed,
        may_write_corridors=decide(ctx.principal, participation, Action.CORRIDOR_WRITE).allowed,
        hazard_kinds=list(HazardKind),
        kind_labels={k.value: _(k.value) for k in HazardKind},
        corridor_statuses=list(CorridorStatus),
        max_factor=MAX_FACTOR,
        max_buffer_m=MAX_BUFFER_M,
    )
