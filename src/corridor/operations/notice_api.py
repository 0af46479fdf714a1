"""The deconfliction notices' JSON API (thin: parse, authorise, call the service)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from corridor.accounts.permissions import Action
from corridor.errors import NotFound
from corridor.operations import notices
from corridor.operations.models import Notice, NotifiedSite, Operation, PlannedMovement
from corridor.operations.notice_print import notice_geojson
from corridor.operations.notice_schemas import (
    AcknowledgementIn,
    AcknowledgementOut,
    MovementChanged,
    MovementIn,
    MovementOut,
    MovementUpdate,
    NoticeIn,
    NoticeOut,
    SiteIn,
    SiteOut,
)
from corridor.web.deps import OperationContext, require
from corridor.web.schemas import RowId

router = APIRouter(prefix="/api/v1/operations/{slug}/deconfliction", tags=["deconfliction"])
Read = Depends(require(Action.NOTICE_READ))
Manage = Depends(require(Action.NOTICE_MANAGE))


def notice_out(ctx: OperationContext, notice: Notice) -> NoticeOut:
    base = f"/api/v1/operations/{ctx.operation.slug}/deconfliction/notices/{notice.id}"
    current = {n.id for n in notices.current_notices(ctx.session, operation_id=notice.operation_id)}
    return NoticeOut(
        id=notice.id,
        number=notice.number,
        version=notice.version,
        supersedes_id=notice.supersedes_id,
        reason=notice.reason,
        issued_at=notice.issued_at,
        expires_at=notice.expires_at,
        parties=list(notice.parties),
        include_amnesty=notice.include_amnesty,
        current=notice.id in current,
        acknowledgements=[
            AcknowledgementOut.model_validate(a)
            for a in notices.acknowledgements(ctx.session, notice)
        ],
        content=notice.content,
        files={"pdf": f"{base}/notice.pdf", "geojson": f"{base}/notice.geojson"},
    )


@router.get("/sites", response_model=list[SiteOut])
def list_sites(ctx: OperationContext = Read) -> list[NotifiedSite]:
    return notices.list_sites(ctx.session, operation_id=ctx.operation.id)


@router.post("/sites", response_model=SiteOut, status_code=201)
def add_site(body: SiteIn, ctx: OperationContext = Manage) -> NotifiedSite:
    return notices.add_site(ctx.session, operation_id=ctx.operation.id, **body.model_dump())


@router.get("/movements", response_model=list[MovementOut])
def list_movements(ctx: OperationContext = Read) -> list[PlannedMovement]:
    return notices.list_movements(ctx.session, operation_id=ctx.operation.id)


@router.post("/movements", response_model=MovementOut, status_code=201)
def create_movement(body: MovementIn, ctx: OperationContext = Manage) -> PlannedMovement:
    return notices.create_movement(
        ctx.session,
        operation_id=ctx.operation.id,
        created_by_id=ctx.principal.user_id,
        **body.model_dump(),
    )


@router.patch("/movements/{movement_id}", response_model=MovementChanged)
def update_movement(
    movement_id: RowId, body: MovementUpdate, ctx: OperationContext = Manage
) -> MovementChanged:
    """Change a movement; the current notices that cover it get a new version."""
    movement = notices.get_movement(
        ctx.session, operation_id=ctx.operation.id, movement_id=movement_id
    )
    reissued = notices.update_movement(
        ctx.session,
        movement=movement,
        changes=body.model_dump(exclude_unset=True),
        changed_by_id=ctx.principal.user_id,
    )
    return MovementChanged(
        movement=MovementOut.model_validate(movement), reissued_notice_ids=[n.id for n in reissued]
    )


@router.get("/notices", response_model=list[NoticeOut])
def list_notices(ctx: OperationContext = Read) -> list[NoticeOut]:
    return [
        notice_out(ctx, n) for n in notices.list_notices(ctx.session, operation_id=ctx.operation.id)
    ]


@router.post("/notices", response_model=NoticeOut, status_code=201)
def issue_notice(body: NoticeIn, ctx: OperationContext = Manage) -> NoticeOut:
    notice = notices.issue(
        ctx.session,
        operation=ctx.session.get_one(Operation, ctx.operation.id),
        expires_at=body.expires_at,
        parties=body.parties,
        movement_ids=body.movement_ids,
        include_amnesty=body.include_amnesty,
        issued_by_id=ctx.principal.user_id,
    )
    return notice_out(ctx, notice)


@router.get("/notices/{notice_id}", response_model=NoticeOut)
def get_notice(notice_id: RowId, ctx: OperationContext = Read) -> NoticeOut:
    return notice_out(
        ctx, notices.get_notice(ctx.session, operation_id=ctx.operation.id, notice_id=notice_id)
    )


@router.get("/notices/{notice_id}/notice.{fmt}")
def notice_file(notice_id: RowId, fmt: str, ctx: OperationContext = Read) -> Response:
    notice = notices.get_notice(ctx.session, operation_id=ctx.operation.id, notice_id=notice_id)
    name = f"notice-{ctx.operation.slug}-N{notice.number:04d}-v{notice.version}"
    if fmt == "pdf":
        data, media = notice.pdf, "application/pdf"
    elif fmt == "geojson":
        data, media = notice_geojson(notice.content), "application/geo+json"
    else:
        raise NotFound("no such format: pdf or geojson")
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


@router.post(
    "/notices/{notice_id}/acknowledgements", response_model=AcknowledgementOut, status_code=201
)
def acknowledge(
    notice_id: RowId, body: AcknowledgementIn, ctx: OperationContext = Manage
) -> AcknowledgementOut:
    notice = notices.get_notice(ctx.session, operation_id=ctx.operation.id, notice_id=notice_id)
    row = notices.acknowledge(
        ctx.session,
        notice=notice,
        party=body.party,
        channel=body.channel,
        acknowledged_at=body.acknowledged_at,
        recorded_by_id=ctx.principal.user_id,
    )
    return AcknowledgementOut.model_validate(row)
