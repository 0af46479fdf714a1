"""The reconciliation page: distributions captured offline that did not add up.

A coordinator sees each flagged distribution (what was given, where, why it
is flagged, whether the stock shortfall is still open) and records a review.
The recipient appears as a kind and a registration number only: what the
coordinator needs to reconcile figures, and no more.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from corridor.accounts.permissions import Action
from corridor.aid import catalogue, places, reconciliation
from corridor.aid.models import Distribution
from corridor.aid.pages import form_values
from corridor.errors import CorridorError, Forbidden, NotFound
from corridor.web.deps import OperationContext, require
from corridor.web.templating import N_, flash, render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    ctx: OperationContext,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    include_reviewed = request.query_params.get("reviewed") == "1"
    found = reconciliation.flagged(
        ctx.session,
        operation_id=ctx.operation.id,
        organisation_ids=places.organisations_reached(ctx.decision),
        include_reviewed=include_reviewed,
    )
    items = {i.id: i for i in catalogue.list_items(ctx.session, operation_id=ctx.operation.id)}
    return render(
        request,
        "aid/reconciliation.html",
        status_code=status_code,
        error=error,
        operation=ctx.operation,
        found=found,
        items=items,
        include_reviewed=include_reviewed,
    )


@router.get("/operations/{slug}/aid/reconciliation")
def reconciliation_page(
    request: Request, ctx: OperationContext = Depends(require(Action.STOCK_CORRECT))
) -> Response:
    """Flagged distributions captured offline, at the points the coordinator's role reaches."""
    return _page(request, ctx)


@router.post("/operations/{slug}/aid/reconciliation/{distribution_id}")
async def review_submit(
    request: Request,
    distribution_id: uuid.UUID,
    ctx: OperationContext = Depends(require(Action.STOCK_CORRECT)),
) -> Response:
    values = await form_values(request)
    try:
        stored = ctx.session.get(Distribution, distribution_id)
        if stored is None or stored.operation_id != ctx.operation.id:
            raise NotFound("no such distribution in this operation")
        place = places.get_place(
            ctx.session, operation_id=ctx.operation.id, place_id=stored.place_id
        )
        if not places.reaches_place(ctx.decision, place.organisation_id):
            raise Forbidden("this place is run by another organisation")
        reconciliation.review(
            ctx.session,
            operation_id=ctx.operation.id,
            distribution_id=distribution_id,
            user_id=ctx.principal.user_id,
            note=values.get("note", ""),
        )
    except CorridorError as exc:
        ctx.session.rollback()
        return _page(request, ctx, status_code=exc.status, error=exc.detail)
    flash(request, N_("The distribution has been reviewed."))
    return RedirectResponse(f"/operations/{ctx.operation.slug}/aid/reconciliation", status_code=303)
