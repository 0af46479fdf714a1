"""JSON API of the crossings capability: headcount sync and totals."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query

from corridor.accounts.permissions import Action
from corridor.crossings import sync
from corridor.crossings.schemas import SyncErrorOut, SyncIn, SyncOut, SyncResultOut, TotalsOut
from corridor.web.deps import OperationContext, require

router = APIRouter(prefix="/api/v1/operations/{slug}/crossings", tags=["crossings"])


@router.post("/sync", response_model=SyncOut)
def sync_records(
    body: SyncIn, ctx: OperationContext = Depends(require(Action.CROSSING_WRITE))
) -> SyncOut:
    """Apply a batch of headcounts from a (possibly long offline) device; safe to resend.

    Each record is answered on its own: created, updated, duplicate, conflict or
    invalid (with the fields and problems); a record that fails changes nothing.
    """
    organisation_id = min(ctx.decision.organisation_ids)
    results = sync.sync_headcounts(
        ctx.session,
        operation_id=ctx.operation.id,
        organisation_id=organisation_id,
        officer_id=ctx.principal.user_id,
        records=body.records,
    )
    return SyncOut(
        results=[
            SyncResultOut(
                id=r.id,
                status=r.status,
                version=r.version,
                conflict_id=r.conflict_id,
                errors=[SyncErrorOut(field=e.field, message=e.message) for e in r.errors] or None,
            )
            for r in results
        ]
    )


@router.get("/totals", response_model=TotalsOut)
def crossing_totals(
    checkpoint_id: int | None = Query(None, ge=1, le=2**31 - 1),
    since: datetime | None = None,
    until: datetime | None = None,
    ctx: OperationContext = Depends(require(Action.CROSSING_READ)),
) -> TotalsOut:
    """People counted (anonymous headcounts), by direction, sex × age band and flags."""
    result = sync.totals(
        ctx.session,
        operation_id=ctx.operation.id,
        checkpoint_id=checkpoint_id,
        since=since,
        until=until,
    )
    return TotalsOut(
        records=result.records,
        people=result.people,
        by_direction=result.by_direction,
        by_band=result.by_band,
        flags=result.flags,
    )
