"""JSON API of the operations capability."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.orm import Session

from corridor.accounts import service as accounts
from corridor.accounts.models import Role
from corridor.accounts.permissions import Action
from corridor.accounts.schemas import OrganisationOut
from corridor.db.types import utcnow
from corridor.errors import Forbidden, InvalidInput, NotFound, PayloadTooLarge
from corridor.operations import gazetteer, service
from corridor.operations.models import Invitation, Operation
from corridor.operations.schemas import (
    AdminAreaOut,
    GazetteerImportOut,
    InvitationAccept,
    InvitationCreated,
    InvitationIn,
    InvitationOut,
    OperationIn,
    OperationOut,
    OperationSummary,
    OperationUpdate,
    PartnerOut,
    PartnerStatusIn,
)
from corridor.web.deps import CurrentPrincipal, DbSession, OperationContext, require
from corridor.web.schemas import RowId

router = APIRouter(prefix="/api/v1", tags=["operations"])
MAX_GAZETTEER_BYTES = 5 * 1024 * 1024


def operation_out(operation: Operation) -> OperationOut:
    return OperationOut(
        slug=operation.slug,
        name=operation.name,
        description=operation.description,
        area=operation.area,
        timezone=operation.timezone,
        status=operation.status,
        start_date=operation.start_date,
        end_date=operation.end_date,
        lead_organisation=OrganisationOut.model_validate(operation.lead_organisation),
        partners=[
            PartnerOut(
                organisation=OrganisationOut.model_validate(p.organisation),
                status=p.status,
                is_lead=p.is_lead,
                joined_at=p.joined_at,
            )
            for p in sorted(operation.partners, key=lambda p: (not p.is_lead, p.joined_at))
        ],
        created_at=operation.created_at,
        updated_at=operation.updated_at,
    )


def invitation_state(invitation: Invitation) -> str:
    if invitation.accepted_at:
        return "accepted"
    if invitation.revoked_at:
        return "withdrawn"
    if invitation.expires_at <= utcnow():
        return "expired"
    return "pending"


def _invitation_out(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "organisation": OrganisationOut.model_validate(invitation.organisation),
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "state": invitation_state(invitation),
    }


def _load(ctx: OperationContext) -> Operation:
    return service.get_operation(ctx.session, operation_id=ctx.operation.id)


@router.get("/operations", response_model=list[OperationSummary])
def list_operations(principal: CurrentPrincipal, session: DbSession) -> list[OperationSummary]:
    """Operations the caller's organisations take part in; nothing of others."""
    return [
        OperationSummary(slug=r.slug, name=r.name, status=r.status, timezone=r.timezone)
        for r in service.visible_to(session, principal=principal)
    ]


def choose_lead(session: Session, principal: Any, lead_organisation_id: int | None) -> Any:
    """The lead organisation for a new operation the principal creates."""
    allowed = [
        m.organisation_id for m in principal.memberships if m.role in (Role.ADMIN, Role.COORDINATOR)
    ]
    if lead_organisation_id is None:
        if not allowed:
            raise Forbidden("only an admin or coordinator can create an operation")
        lead_organisation_id = allowed[0]
    elif lead_organisation_id not in allowed and not principal.site_admin:
        raise InvalidInput(
            "lead_organisation_id", "must be an organisation where you are admin or coordinator"
        )
    try:
        return accounts.get_organisation(session, organisation_id=lead_organisation_id)
    except NotFound:
        raise InvalidInput("lead_organisation_id", "is not a known organisation") from None


@router.post("/operations", response_model=OperationOut, status_code=201)
def create_operation(
    body: OperationIn, principal: CurrentPrincipal, session: DbSession
) -> OperationOut:
    """Create an operation led by one of the caller's organisations."""
    lead = choose_lead(session, principal, body.lead_organisation_id)
    operation = service.create_operation(
        session,
        slug=body.slug,
        name=body.name,
        description=body.description,
        area=body.area,
        timezone=body.timezone,
        status=body.status,
        start_date=body.start_date,
        end_date=body.end_date,
        lead_organisation=lead,
    )
    return operation_out(service.get_operation(session, operation_id=operation.id))


@router.get("/operations/{slug}", response_model=OperationOut)
def get_operation(ctx: OperationContext = Depends(require(Action.OPERATION_READ))) -> OperationOut:
    return operation_out(_load(ctx))


@router.patch("/operations/{slug}", response_model=OperationOut)
def update_operation(
    body: OperationUpdate, ctx: OperationContext = Depends(require(Action.OPERATION_UPDATE))
) -> OperationOut:
    """Change an operation (the lead organisation's admins and coordinators)."""
    operation = _load(ctx)
    service.update_operation(
        ctx.session, operation=operation, changes=body.model_dump(exclude_unset=True)
    )
    return operation_out(operation)


@router.get("/operations/{slug}/area.geojson")
def operation_area(
    ctx: OperationContext = Depends(require(Action.OPERATION_READ)),
) -> dict[str, Any]:
    """The operation's area as a GeoJSON FeatureCollection (for maps and GIS)."""
    operation = _load(ctx)
    features = []
    if operation.area:
        features.append(
            {
                "type": "Feature",
                "geometry": operation.area,
                "properties": {"name": operation.name, "slug": operation.slug},
            }
        )
    return {"type": "FeatureCollection", "features": features}


@router.get("/operations/{slug}/partners", response_model=list[PartnerOut])
def list_partners(
    ctx: OperationContext = Depends(require(Action.PARTNER_READ)),
) -> list[PartnerOut]:
    return operation_out(_load(ctx)).partners


@router.patch("/operations/{slug}/partners/{organisation_id}", response_model=PartnerOut)
def set_partner_status(
    organisation_id: RowId,
    body: PartnerStatusIn,
    ctx: OperationContext = Depends(require(Action.PARTNER_SUSPEND)),
) -> PartnerOut:
    """Suspend or reinstate a partner organisation."""
    partner = service.set_partner_status(
        ctx.session, operation=_load(ctx), organisation_id=organisation_id, status=body.status
    )
    return PartnerOut(
        organisation=OrganisationOut.model_validate(partner.organisation),
        status=partner.status,
        is_lead=partner.is_lead,
        joined_at=partner.joined_at,
    )


@router.get("/operations/{slug}/invitations", response_model=list[InvitationOut])
def list_invitations(
    ctx: OperationContext = Depends(require(Action.PARTNER_INVITE)),
) -> list[InvitationOut]:
    return [
        InvitationOut(**_invitation_out(i))
        for i in service.list_invitations(ctx.session, operation=_load(ctx))
    ]


@router.post("/operations/{slug}/invitations", response_model=InvitationCreated, status_code=201)
def invite_partner(
    body: InvitationIn,
    request: Request,
    ctx: OperationContext = Depends(require(Action.PARTNER_INVITE)),
) -> InvitationCreated:
    """Invite an organisation; the token is shown once and works once."""
    try:
        organisation = accounts.get_organisation(ctx.session, organisation_id=body.organisation_id)
    except NotFound:
        raise InvalidInput("organisation_id", "is not a known organisation") from None
    secret, invitation = service.invite_partner(
        ctx.session,
        operation=_load(ctx),
        organisation=organisation,
        created_by_id=ctx.principal.user_id,
        valid_days=body.valid_days,
    )
    accept_url = str(request.base_url).rstrip("/") + "/invitations/accept#token=" + secret
    return InvitationCreated(token=secret, accept_url=accept_url, **_invitation_out(invitation))


@router.delete("/operations/{slug}/invitations/{invitation_id}", status_code=204)
def withdraw_invitation(
    invitation_id: RowId, ctx: OperationContext = Depends(require(Action.PARTNER_INVITE))
) -> Response:
    service.revoke_invitation(ctx.session, operation=_load(ctx), invitation_id=invitation_id)
    return Response(status_code=204)


@router.post("/invitations/accept", response_model=OperationSummary)
def accept_invitation(
    body: InvitationAccept, principal: CurrentPrincipal, session: DbSession
) -> OperationSummary:
    """Join an operation as the invited organisation (its admin or coordinator)."""
    invitation = service.accept_invitation(session, secret=body.token, principal=principal)
    operation = service.get_operation(session, operation_id=invitation.operation_id)
    return OperationSummary(
        slug=operation.slug,
        name=operation.name,
        status=operation.status,
        timezone=operation.timezone,
    )


@router.get("/operations/{slug}/admin-areas", response_model=list[AdminAreaOut])
def list_admin_areas(
    level: int | None = Query(None, ge=0, le=gazetteer.MAX_LEVEL),
    ctx: OperationContext = Depends(require(Action.GAZETTEER_READ)),
) -> list[AdminAreaOut]:
    """The operation's gazetteer, optionally one admin level."""
    return [
        AdminAreaOut.model_validate(a)
        for a in gazetteer.list_areas(ctx.session, operation_id=ctx.operation.id, level=level)
    ]


@router.get("/operations/{slug}/admin-areas/{pcode}", response_model=AdminAreaOut)
def get_admin_area(
    pcode: str = Path(pattern=gazetteer.PCODE_PATTERN.pattern),
    ctx: OperationContext = Depends(require(Action.GAZETTEER_READ)),
) -> AdminAreaOut:
    return AdminAreaOut.model_validate(
        gazetteer.get_area(ctx.session, operation_id=ctx.operation.id, pcode=pcode)
    )


@router.post(
    "/operations/{slug}/admin-areas",
    response_model=GazetteerImportOut,
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
async def import_admin_areas(
    request: Request, ctx: OperationContext = Depends(require(Action.GAZETTEER_WRITE))
) -> GazetteerImportOut:
    """Import admin areas from CSV: pcode,name_en,name_ar,admin_level,parent_pcode."""
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > MAX_GAZETTEER_BYTES:
        raise PayloadTooLarge("the gazetteer file is larger than 5 MB")
    raw = await request.body()
    if len(raw) > MAX_GAZETTEER_BYTES:
        raise PayloadTooLarge("the gazetteer file is larger than 5 MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("file", "must be UTF-8 text") from None
    if "\x00" in text:  # PostgreSQL cannot store it
        raise InvalidInput("file", "must not contain NUL characters")
    rows = gazetteer.parse_csv(text)
    result = gazetteer.import_areas(ctx.session, operation_id=ctx.operation.id, rows=rows)
    return GazetteerImportOut(created=result.created, updated=result.updated)
