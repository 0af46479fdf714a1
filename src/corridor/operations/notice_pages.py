"""The deconfliction notices pages: movements, sites, notices and acknowledgements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from corridor.accounts.permissions import Action, decide
from corridor.accounts.service import list_organisations
from corridor.errors import CorridorError, InvalidInput
from corridor.operations import corridors, notices
from corridor.operations.models import NotificationChannel, Operation, VehicleKind
from corridor.web.deps import OperationContext, check_csrf, require
from corridor.web.schemas import RowId
from corridor.web.templating import N_, flash, render

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]
Read = Depends(require(Action.NOTICE_READ))
Manage = Depends(require(Action.NOTICE_MANAGE))


def _moment(value: str, field: str) -> datetime:
    """A time from a datetime-local field, taken as UTC (the pages say so)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(field, "is not a date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _page(
    request: Request,
    ctx: OperationContext,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    corridor_list = corridors.list_corridors(ctx.session, operation_id=ctx.operation.id)
    parties: list[str] = []
    for corridor in corridor_list:
        for party in corridor.parties or []:
            if party not in parties:
                parties.append(party)
    organisations = {
        o.id: o.acronym or o.name
        for o in list_organisations(ctx.session)
        if o.id in ctx.operation.participation.active_organisation_ids
    }
    return render(
        request,
        "operations/notices.html",
        status_code=status_code,
        operation=ctx.operation,
        movements=notices.list_movements(ctx.session, operation_id=ctx.operation.id),
        sites=notices.list_sites(ctx.session, operation_id=ctx.operation.id),
        notice_list=notices.list_notices(ctx.session, operation_id=ctx.operation.id),
        current_ids={
            n.id for n in notices.current_notices(ctx.session, operation_id=ctx.operation.id)
        },
        corridors={c.id: c.name for c in corridor_list},
        organisations=organisations,
        parties=parties,
        vehicle_kinds=list(VehicleKind),
        may_manage=decide(ctx.principal, ctx.operation.participation, Action.NOTICE_MANAGE).allowed,
        default_expiry=(datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        errors=errors or {},
    )


@router.get("/operations/{slug}/notices")
def notices_page(request: Request, ctx: OperationContext = Read) -> Response:
    return _page(request, ctx)


@router.post("/operations/{slug}/notices/movements")
def add_movement(
    request: Request,
    reference: FormStr,
    corridor_id: FormStr,
    departs_at: FormStr,
    arrives_at: FormStr,
    vehicles: FormStr,
    vehicle_kind: FormStr,
    organisations: Annotated[list[str], Form()],
    csrf_token: FormStr = "",
    ctx: OperationContext = Manage,
) -> Response:
    check_csrf(request, csrf_token)
    try:
        notices.create_movement(
            ctx.session,
            operation_id=ctx.operation.id,
            created_by_id=ctx.principal.user_id,
            reference=reference,
            corridor_id=int(corridor_id) if corridor_id.isdigit() else 0,
            departs_at=_moment(departs_at, "departs_at"),
            arrives_at=_moment(arrives_at, "arrives_at"),
            vehicles=int(vehicles) if vehicles.isdigit() else -1,
            vehicle_kind=vehicle_kind,
            organisations=[int(o) for o in organisations if o.isdigit()],
        )
    except CorridorError as exc:
        return _page(
            request,
            ctx,
            errors={p.field: p.message for p in exc.problems} or {"movement": exc.detail},
            status_code=exc.status,
        )
    flash(request, N_("The movement has been added."))
    return RedirectResponse(f"/operations/{ctx.operation.slug}/notices", status_code=303)


@router.post("/operations/{slug}/notices")
def issue_notice(
    request: Request,
    expires_at: FormStr,
    parties: FormStr,
    include_amnesty: FormStr = "",
    csrf_token: FormStr = "",
    ctx: OperationContext = Manage,
) -> Response:
    check_csrf(request, csrf_token)
    try:
        notice = notices.issue(
            ctx.session,
            operation=ctx.session.get_one(Operation, ctx.operation.id),
            expires_at=_moment(expires_at, "expires_at"),
            parties=[line for line in parties.splitlines() if line.strip()],
            include_amnesty=include_amnesty == "on",
            issued_by_id=ctx.principal.user_id,
        )
    except CorridorError as exc:
        return _page(
            request,
            ctx,
            errors={p.field: p.message for p in exc.problems} or {"notice": exc.detail},
            status_code=exc.status,
        )
    flash(request, N_("The notice has been issued."))
    return RedirectResponse(
        f"/operations/{ctx.operation.slug}/notices/{notice.id}", status_code=303
    )


def _notice_page(
    request: Request,
    ctx: OperationContext,
    notice_id: int,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    notice = notices.get_notice(ctx.session, operation_id=ctx.operation.id, notice_id=notice_id)
    acks = notices.acknowledgements(ctx.session, notice)
    done = {a.party for a in acks}
    current = {n.id for n in notices.current_notices(ctx.session, operation_id=ctx.operation.id)}
    return render(
        request,
        "operations/notice.html",
        status_code=status_code,
        operation=ctx.operation,
        notice=notice,
        versions=notices.versions(ctx.session, notice),
        acknowledgements=acks,
        missing=[p for p in notice.parties if p not in done],
        is_current=notice.id in current,
        channels=list(NotificationChannel),
        may_manage=decide(ctx.principal, ctx.operation.participation, Action.NOTICE_MANAGE).allowed,
        now=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"),
        errors=errors or {},
    )


@router.get("/operations/{slug}/notices/{notice_id}")
def notice_page(request: Request, notice_id: RowId, ctx: OperationContext = Read) -> Response:
    return _notice_page(request, ctx, notice_id)


@router.post("/operations/{slug}/notices/{notice_id}/acknowledgements")
def acknowledge(
    request: Request,
    notice_id: RowId,
    party: FormStr,
    channel: FormStr,
    acknowledged_at: FormStr,
    csrf_token: FormStr = "",
    ctx: OperationContext = Manage,
) -> Response:
    check_csrf(request, csrf_token)
    notice = notices.get_notice(ctx.session, operation_id=ctx.operation.id, notice_id=notice_id)
    try:
        notices.acknowledge(
            ctx.session,
            notice=notice,
            party=party,
            channel=channel,
            acknowledged_at=_moment(acknowledged_at, "acknowledged_at"),
            recorded_by_id=ctx.principal.user_id,
        )
    except CorridorError as exc:
        errors: dict[str, Any] = {p.field: p.message for p in exc.problems} or {"party": exc.detail}
        return _notice_page(request, ctx, notice_id, errors=errors, status_code=exc.status)
    flash(request, N_("The acknowledgement has been recorded."))
    return RedirectResponse(
        f"/operations/{ctx.operation.slug}/notices/{notice.id}", status_code=303
    )
