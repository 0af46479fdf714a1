"""The checkpoint tally screen for phones, and the service worker that keeps it offline.

``/operations/{slug}/checkpoints/{checkpoint_id}/tally`` is a shell: the
bundle's ``tally.js`` (initialised on ``[data-tally]``) keeps every tap in the
browser's storage at once and sends the tallies to the JSON sync
(``/api/v1/operations/{slug}/crossings/sync``) with the page's CSRF token,
whenever the server can be reached.

``/tally-sw.js`` is the service worker (built from ``frontend/src/tally-sw.js``),
served from the root so that its scope may cover the page. It keeps the page
and the assets listed below, so the page opens again without a connection.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from corridor.accounts.permissions import Action
from corridor.crossings.models import AGE_BANDS, FLAG_FIELDS, SEXES, Direction, Means
from corridor.errors import NotFound
from corridor.operations.models import Checkpoint
from corridor.web.deps import OperationContext, public, require
from corridor.web.service_workers import service_worker
from corridor.web.templating import render

router = APIRouter(include_in_schema=False)

# What the page needs besides itself (web/base.html): the worker keeps these.
OFFLINE_ASSETS = (
    "/static/build/corridor.js",
    "/static/build/corridor.css",
    "/static/css/corridor.css",
    "/static/favicon.svg",
)


@router.get("/tally-sw.js", dependencies=[Depends(public)])
def tally_service_worker() -> Response:
    """The service worker of the tally screen (public: a script without data)."""
    return service_worker("tally-sw.js", OFFLINE_ASSETS, "CORRIDOR_TALLY")


@router.get("/operations/{slug}/checkpoints/{checkpoint_id}/tally")
def tally_page(
    request: Request,
    checkpoint_id: int = PathParam(ge=1, le=2**31 - 1),
    ctx: OperationContext = Depends(require(Action.CROSSING_WRITE)),
) -> Response:
    """Count the people crossing at a checkpoint with large buttons; works offline."""
    checkpoint = ctx.session.get(Checkpoint, checkpoint_id)
    if checkpoint is None or checkpoint.operation_id != ctx.operation.id:
        raise NotFound("no such checkpoint")
    response = render(
        request,
        "crossings/tally.html",
        operation=ctx.operation,
        checkpoint=checkpoint,
        user_id=ctx.principal.user_id,
        sexes=SEXES,
        age_bands=AGE_BANDS,
        flags=FLAG_FIELDS,
        directions=[d.value for d in Direction],
        means=[m.value for m in Means],
    )
    # The page carries the session's CSRF token: never kept by shared caches.
    response.headers["Cache-Control"] = "private, no-cache"
    return response
