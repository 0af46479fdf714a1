"""HTML pages of the operations capability."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from corridor.accounts import service as accounts
from corridor.accounts.permissions import Action, decide
from corridor.aid import reports as aid_reports
from corridor.audit import service as audit
from corridor.crossings import sync as crossings
from corridor.errors import CorridorError, InvalidInput
from corridor.operations import corridors, gazetteer, service
from corridor.operations.api import choose_lead, invitation_state
from corridor.operations.models import OperationStatus
from corridor.routing import service as networks
from corridor.web import i18n
from corridor.web.deps import (
    CurrentPrincipal,
    DbSession,
    OperationContext,
    OptionalPrincipal,
    check_csrf,
    require,
)
from corridor.web.i18n import gettext as _
from corridor.web.svgmap import MapLayer, render_svg
from corridor.web.templating import N_, flash, form_errors, render

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


def _date(value: str, field: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(field, "must be a date (YYYY-MM-DD)") from None


def _area(value: str) -> dict[str, Any] | None:
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raise InvalidInput("area", "is not valid GeoJSON (JSON could not be read)") from None


@router.get("/")
def home(principal: OptionalPrincipal) -> Response:
    return RedirectResponse("/operations" if principal else "/signin", status_code=303)


@router.get("/operations")
def operations_page(request: Request, principal: CurrentPrincipal, session: DbSession) -> Response:
    return render(
        request, "operations/list.html", operations=service.visible_to(session, principal=principal)
    )


@router.get("/operations/new")
def new_operation_page(
    request: Request, principal: CurrentPrincipal, session: DbSession
) -> Response:
    return render(
        request,
        "operations/new.html",
        form={"timezone": "UTC"},
        errors={},
        statuses=list(OperationStatus),
    )


@router.post("/operations/new")
def create_operation(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    slug: FormStr,
    name: FormStr,
    description: FormStr = "",
    area: FormStr = "",
    timezone: FormStr = "UTC",
    status: FormStr = "planning",
    start_date: FormStr = "",
    end_date: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    check_csrf(request, csrf_token)
    form = {
        "slug": slug,
        "name": name,
        "description": description,
        "area": area,
        "timezone": timezone,
        "status": status,
        "start_date": start_date,
        "end_date": end_date,
    }
    try:
        lead = choose_lead(session, principal, None)
        operation = service.create_operation(
            session,
            slug=slug,
            name=name,
            description=description,
            area=_area(area),
            timezone=timezone,
            status=status,
            start_date=_date(start_date, "start_date"),
            end_date=_date(end_date, "end_date"),
            lead_organisation=lead,
        )
    except CorridorError as exc:
        session.rollback()
        errors = form_errors(exc, "slug")
        return render(
            request,
            "operations/new.html",
            status_code=exc.status,
            form=form,
            errors=errors,
            statuses=list(OperationStatus),
        )
    flash(request, N_("The operation has been created."))
    return RedirectResponse(f"/operations/{operation.slug}", status_code=303)


def _overview(
    request: Request,
    ctx: OperationContext,
    *,
    status_code: int = 200,
    new_invitation: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    operation = service.get_operation(ctx.session, operation_id=ctx.operation.id)
    may_manage = decide(ctx.principal, ctx.operation.participation, Action.PARTNER_INVITE).allowed
    partner_ids = {p.organisation_id for p in operation.partners}
    candidates = [o for o in accounts.list_organisations(ctx.session) if o.id not in partner_ids]
    invitations = service.list_invitations(ctx.session, operation=operation) if may_manage else []
    areas = gazetteer.list_areas(ctx.session, operation_id=operation.id)
    corridor_list = corridors.list_corridors(ctx.session, operation_id=operation.id)
    flags = corridors.open_flags(ctx.session, operation_id=operation.id)
    may_edit_corridors = decide(
        ctx.principal, ctx.operation.participation, Action.CORRIDOR_WRITE
    ).allowed
    may_review_duplicates = decide(
        ctx.principal, ctx.operation.participation, Action.LINKAGE_REVIEW
    ).allowed
    has_network = bool(networks.list_networks(ctx.session, operation_id=operation.id))
    crossing_totals = crossings.totals(ctx.session, operation_id=operation.id)
    aid_summary = aid_reports.summary(
        ctx.session, operation_id=operation.id, timezone=operation.timezone
    )
    i18n.set_language(getattr(request.state, "language", i18n.DEFAULT_LANGUAGE))
    map_layers = _map_layers(operation, has_network)
    return render(
        request,
        "operations/overview.html",
        status_code=status_code,
        operation=operation,
        may_manage=may_manage,
        candidates=candidates,
        invitations=invitations,
        invitation_state=invitation_state,
        new_invitation=new_invitation,
        errors=errors or {},
        areas=areas,
        statuses=list(OperationStatus),
        corridors=corridor_list,
        flags=flags,
        may_edit_corridors=may_edit_corridors,
        may_review_duplicates=may_review_duplicates,
        has_network=has_network,
        map_layers=map_layers,
        crossing_totals=crossing_totals,
        aid_summary=aid_summary,
    )


def _map_layers(operation: Any, has_network: bool) -> list[dict[str, Any]]:
    """The overview map: the area, and once a network exists its roads, corridors
    (coloured by status, flagged ones highlighted), hazards and checkpoints."""
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
        base = f"/api/v1/operations/{operation.slug}"
        for kind, label, path in (
            ("roads", _("Roads"), "roads.geojson"),
            ("corridors", _("Corridors"), "corridors.geojson"),
            ("hazards", _("Hazards"), "hazards.geojson"),
            ("checkpoints", _("Checkpoints"), "checkpoints.geojson"),
        ):
            layers.append({"kind": kind, "label": label, "src": f"{base}/{path}"})
    if layers:
        layers.append(
            {
                "kind": "aid_points",
                "label": _("Aid points and warehouses"),
                "src": f"/api/v1/operations/{operation.slug}/aid/places.geojson",
            }
        )
    return layers


@router.get("/operations/{slug}")
def operation_page(
    request: Request, ctx: OperationContext = Depends(require(Action.OPERATION_READ))
) -> Response:
    return _overview(request, ctx)


@router.post("/operations/{slug}/status")
def operation_status(
    request: Request,
    status: FormStr,
    csrf_token: FormStr = "",
    ctx: OperationContext = Depends(require(Action.OPERATION_UPDATE)),
) -> Response:
    check_csrf(request, csrf_token)
    operation = service.get_operation(ctx.session, operation_id=ctx.operation.id)
    service.update_operation(ctx.session, operation=operation, changes={"status": status})
    flash(request, N_("The operation has been updated."))
    return RedirectResponse(f"/operations/{operation.slug}", status_code=303)


@router.post("/operations/{slug}/invitations")
def operation_invite(
    request: Request,
    organisation_id: Annotated[int, Form()],
    csrf_token: FormStr = "",
    ctx: OperationContext = Depends(require(Action.PARTNER_INVITE)),
) -> Response:
    check_csrf(request, csrf_token)
    operation = service.get_operation(ctx.session, operation_id=ctx.operation.id)
    try:
        organisation = accounts.get_organisation(ctx.session, organisation_id=organisation_id)
        secret, _invitation = service.invite_partner(
            ctx.session,
            operation=operation,
            organisation=organisation,
            created_by_id=ctx.principal.user_id,
        )
    except CorridorError as exc:
        ctx.session.rollback()
        return _overview(
            request, ctx, status_code=exc.status, errors={"organisation_id": exc.detail}
        )
    link = str(request.base_url).rstrip("/") + "/invitations/accept#token=" + secret
    return _overview(
        request,
        ctx,
        new_invitation={"organisation": organisation.name, "token": secret, "link": link},
    )


@router.post("/operations/{slug}/partners/{organisation_id}")
def operation_partner_status(
    request: Request,
    organisation_id: int,
    status: FormStr,
    csrf_token: FormStr = "",
    ctx: OperationContext = Depends(require(Action.PARTNER_SUSPEND)),
) -> Response:
    check_csrf(request, csrf_token)
    operation = service.get_operation(ctx.session, operation_id=ctx.operation.id)
    service.set_partner_status(
        ctx.session, operation=operation, organisation_id=organisation_id, status=status
    )
    flash(request, N_("The partner's status has been changed."))
    return RedirectResponse(f"/operations/{operation.slug}", status_code=303)


@router.post("/operations/{slug}/corridors/{corridor_id}/flags/{flag_id}")
def corridor_flag_decision(
    request: Request,
    corridor_id: int,
    flag_id: int,
    decision: FormStr,
    csrf_token: FormStr = "",
    ctx: OperationContext = Depends(require(Action.CORRIDOR_WRITE)),
) -> Response:
    """Accept or reject the re-planned route proposed for a flagged corridor."""
    check_csrf(request, csrf_token)
    corridor = corridors.get_corridor(
        ctx.session, operation_id=ctx.operation.id, corridor_id=corridor_id
    )
    corridors.resolve_flag(
        ctx.session,
        corridor=corridor,
        flag_id=flag_id,
        accept=decision == "accept",
        resolved_by_id=ctx.principal.user_id,
    )
    flash(request, N_("The corridor has been updated."))
    return RedirectResponse(f"/operations/{ctx.operation.slug}#corridors", status_code=303)


@router.get("/operations/{slug}/map.svg")
def operation_map_svg(ctx: OperationContext = Depends(require(Action.OPERATION_READ))) -> Response:
    """The operation's map drawn server-side (the same layers as the page, for print)."""
    operation = service.get_operation(ctx.session, operation_id=ctx.operation.id)
    layers = []
    if operation.area:
        layers.append(
            MapLayer(
                "area",
                {
                    "type": "Feature",
                    "geometry": operation.area,
                    "properties": {"name": operation.name},
                },
            )
        )
    svg = render_svg(layers, title=operation.name)
    return Response(svg, media_type="image/svg+xml")


@router.get("/operations/{slug}/audit")
def operation_audit(
    request: Request,
    before_seq: int | None = None,
    ctx: OperationContext = Depends(require(Action.AUDIT_READ)),
) -> Response:
    records = audit.list_records(
        ctx.session, operation_id=ctx.operation.id, limit=100, before_seq=before_seq
    )
    report = audit.verify_operation(ctx.session, operation_id=ctx.operation.id)
    return render(
        request, "operations/audit.html", operation=ctx.operation, records=records, report=report
    )


@router.get("/invitations/accept")
def invitation_page(request: Request, principal: OptionalPrincipal) -> Response:
    """The token travels in the URL fragment (never sent to servers or logs);
    the page's script copies it into the form."""
    return render(request, "operations/accept.html", error=None)


@router.post("/invitations/accept")
def invitation_accept(
    request: Request,
    session: DbSession,
    principal: OptionalPrincipal,
    token: FormStr,
    csrf_token: FormStr = "",
) -> Response:
    check_csrf(request, csrf_token)
    if principal is None:
        return render(
            request,
            "operations/accept.html",
            status_code=401,
            error=N_("Sign in as an admin of the invited organisation first."),
        )
    try:
        invitation = service.accept_invitation(session, secret=token, principal=principal)
    except CorridorError as exc:
        session.rollback()
        return render(request, "operations/accept.html", status_code=exc.status, error=exc.detail)
    operation = service.get_operation(session, operation_id=invitation.operation_id)
    flash(request, N_("Your organisation now takes part in this operation."))
    return RedirectResponse(f"/operations/{operation.slug}", status_code=303)
