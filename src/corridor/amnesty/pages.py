"""The desk screens: overview (desks, intakes, depot inventory, destruction
batches; counts only for those who may not see intakes), intake, an intake's
items with their custody steps, certificates (issue, print, revoke), and the
destruction batch record. Thin: each form goes to the same services as the API.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from corridor.accounts.models import Membership, User
from corridor.accounts.permissions import Action, decide
from corridor.aid.pages import form_values
from corridor.amnesty import (
    certificates,
    custody,
    desks,
    destruction,
    intakes,
    qr,
    registry,
    signing_keys,
)
from corridor.amnesty.claims import CertificateKind
from corridor.amnesty.models import (
    CustodyStep,
    DestructionMethod,
    ItemCategory,
    ItemCondition,
    MarkingStatus,
    SerialStatus,
    Sex,
)
from corridor.amnesty.summary import SMALL_CELL, summary
from corridor.amnesty.trust_list import b64url
from corridor.audit.access import record_access
from corridor.errors import CorridorError, Forbidden, InvalidInput, NotFound
from corridor.web.deps import OperationContext, require
from corridor.web.templating import N_, flash, render

router = APIRouter(include_in_schema=False)


def _base(ctx: OperationContext) -> str:
    return f"/operations/{ctx.operation.slug}/amnesty"


def _int(values: dict[str, str], field: str) -> int:
    value = values.get(field, "").strip()
    if not value.isdigit():
        raise InvalidInput(field, "choose one")
    return int(value)


def _moment(values: dict[str, str], field: str) -> datetime | None:
    value = values.get(field, "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(field, "not a date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _uploaded_photo(request: Request) -> intakes.Photo | None:
    """The form's ``photo`` file, checked; None when none was chosen."""
    upload = (await request.form()).get("photo")
    if upload is None or isinstance(upload, str):
        return None
    data = await upload.read()
    return intakes.read_photo(data) if data else None


def _officers(ctx: OperationContext) -> list[tuple[int, str]]:
    """Who may witness: users of the operation's organisations (id, name)."""
    rows = ctx.session.execute(
        select(User.id, User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id.in_(ctx.operation.participation.active_organisation_ids),
            User.active.is_(True),
            User.id != ctx.principal.user_id,
        )
        .distinct()
        .order_by(User.display_name)
    ).all()
    return [(r.id, r.display_name) for r in rows]


@router.get("/operations/{slug}/amnesty")
def overview(
    request: Request, ctx: OperationContext = Depends(require(Action.AMNESTY_SUMMARY))
) -> Response:
    """DDR officers see their desks' work; everyone else the counts."""
    context: dict[str, object] = {
        "operation": ctx.operation,
        "counts": summary(ctx.session, operation_id=ctx.operation.id),
        "threshold": SMALL_CELL,
        "desks": desks.list_desks(ctx.session, operation_id=ctx.operation.id),
        "depots": {d.id: d for d in desks.list_depots(ctx.session, operation_id=ctx.operation.id)},
        "may_read": False,
        # What a checkpoint device compares when it is set up with the trust list.
        "fingerprint": signing_keys.root_fingerprint(ctx.session, ctx.operation.id),
    }
    read = decide(ctx.principal, ctx.operation.participation, Action.AMNESTY_READ)
    if read.allowed:
        orgs = read.organisation_ids
        record_access(
            ctx.session,
            user_id=ctx.principal.user_id,
            operation_id=ctx.operation.id,
            action=str(Action.AMNESTY_READ),
            entity_type="amnesty_overview",
            entity_id=None,
        )
        context.update(
            may_read=True,
            intakes=intakes.list_intakes(
                ctx.session, operation_id=ctx.operation.id, organisation_ids=orgs, limit=50
            ),
            holdings=custody.inventory(
                ctx.session, operation_id=ctx.operation.id, organisation_ids=orgs
            ),
            batches=[
                b
                for b in destruction.list_batches(ctx.session, operation_id=ctx.operation.id)
                if b.organisation_id in orgs
            ],
            methods=list(DestructionMethod),
            officers=_officers(ctx),
            own_desks=[d for d in context["desks"] if d.organisation_id in orgs],  # type: ignore[attr-defined]
            topics=intakes.Topic.ALL,
            sexes=list(Sex),
        )
    return render(request, "amnesty/overview.html", **context)


@router.post("/operations/{slug}/amnesty/intakes")
async def intake_submit(
    request: Request, ctx: OperationContext = Depends(require(Action.AMNESTY_WRITE))
) -> Response:
    values = await form_values(request)
    try:
        desk = desks.get_desk(
            ctx.session, operation_id=ctx.operation.id, desk_id=_int(values, "desk_id")
        )
        if desk.organisation_id not in ctx.decision.organisation_ids:
            raise Forbidden("this desk is run by another organisation")
        photo = await _uploaded_photo(request)
        try:
            sex = Sex(values.get("sex", "unknown"))
        except ValueError:
            raise InvalidInput("sex", "choose one") from None
        member_id = None
        registration = values.get("registration_id", "").strip()
        if registration:
            try:
                registration_id = uuid.UUID(registration)
            except ValueError:
                raise InvalidInput("registration_id", "not a registration number") from None
            position = values.get("position", "1").strip() or "1"
            if not position.isdigit() or not 1 <= int(position) <= 50:
                raise InvalidInput("position", "a number from 1 (the head of the household)")
            member_id = intakes.registered_person(
                ctx.session,
                operation_id=ctx.operation.id,
                registration_id=registration_id,
                position=int(position),
            )
        intake = intakes.record_intake(
            ctx.session,
            desk=desk,
            officer_id=ctx.principal.user_id,
            person=intakes.Person(
                name_arabic=values.get("name_arabic", ""),
                name_latin=values.get("name_latin", ""),
                birth_date=values.get("birth_date", ""),
                sex=sex,
                registration_member_id=member_id,
            ),
            took_place_at=_moment(values, "took_place_at"),
            explained=[t for t in intakes.Topic.ALL if values.get(f"explained_{t}") == "on"],
            consent_given=values.get("consent_given") == "on",
            photo=photo,
        )
    except CorridorError as exc:
        ctx.session.rollback()
        flash(request, exc.detail, "error")
        return RedirectResponse(_base(ctx), status_code=303)
    flash(request, N_("Intake recorded."))
    return RedirectResponse(f"{_base(ctx)}/intakes/{intake.id}", status_code=303)


@router.get("/operations/{slug}/amnesty/intakes/{intake_id}")
def intake_page(
    request: Request,
    intake_id: uuid.UUID,
    ctx: OperationContext = Depends(require(Action.AMNESTY_READ)),
) -> Response:
    intake = intakes.get_intake(
        ctx.session,
        operation_id=ctx.operation.id,
        intake_id=intake_id,
        organisation_ids=ctx.decision.organisation_ids,
    )
    items = registry.list_items(
        ctx.session,
        operation_id=ctx.operation.id,
        organisation_ids=ctx.decision.organisation_ids,
        intake_id=intake.id,
    )
    chains = {item.id: custody.chain(ctx.session, item) for item in items}
    next_steps = {}
    for item_id, events in chains.items():
        state = custody.state_of(events)
        # Destruction is recorded in batches, from the depot inventory, not here.
        allowed = custody.NEXT[state.step] - {CustodyStep.DESTROYED} if state else set()
        next_steps[item_id] = sorted(allowed)
    return render(
        request,
        "amnesty/intake.html",
        operation=ctx.operation,
        intake=intake,
        desk=desks.get_desk(ctx.session, operation_id=ctx.operation.id, desk_id=intake.desk_id),
        items=items,
        chains=chains,
        next_steps=next_steps,
        photo_counts=registry.photo_counts(ctx.session, list(chains)),
        depots=desks.list_depots(ctx.session, operation_id=ctx.operation.id),
        certificates=certificates.of_intake(ctx.session, intake),
        b64url=b64url,
        qr_uri=qr.svg_data_uri,
        officers=_officers(ctx),
        categories=list(ItemCategory),
        serial_statuses=list(SerialStatus),
        conditions=list(ItemCondition),
        markings=list(MarkingStatus),
        certificate_types=list(CertificateKind),
    )


def _back(ctx: OperationContext, intake_id: uuid.UUID) -> RedirectResponse:
    return RedirectResponse(f"{_base(ctx)}/intakes/{intake_id}", status_code=303)


def _intake(ctx: OperationContext, intake_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return intakes.get_intake(
        ctx.session,
        operation_id=ctx.operation.id,
        intake_id=intake_id,
        organisation_ids=ctx.decision.organisation_ids,
    )


def _enum(kind, values: dict[str, str], field: str):  # type: ignore[no-untyped-def]
    try:
        return kind(values.get(field, ""))
    except ValueError:
        raise InvalidInput(field, "choose one") from None


@router.post("/operations/{slug}/amnesty/intakes/{intake_id}/items")
async def item_submit(
    request: Request,
    intake_id: uuid.UUID,
    ctx: OperationContext = Depends(require(Action.AMNESTY_WRITE)),
) -> Response:
    values = await form_values(request)
    try:
        photo = await _uploaded_photo(request)
        quantity = values.get("quantity", "1").strip() or "1"
        if not quantity.isdigit():
            raise InvalidInput("quantity", "a whole number")
        item = registry.register_item(
            ctx.session,
            _intake(ctx, intake_id),
            registry.ItemDetails(
                category=_enum(ItemCategory, values, "category"),
                serial_status=_enum(SerialStatus, values, "serial_status"),
                condition=_enum(ItemCondition, values, "condition"),
                marking_status=_enum(MarkingStatus, values, "marking_status"),
                make=values.get("make", ""),
                model=values.get("model", ""),
                calibre=values.get("calibre", ""),
                serial_number=values.get("serial_number", ""),
                quantity=int(quantity),
                description=values.get("description", ""),
                duplicate_serial_note=values.get("duplicate_serial_note", ""),
            ),
            officer_id=ctx.principal.user_id,
            witness_id=_int(values, "witness_id"),
            operation_orgs=ctx.operation.participation.active_organisation_ids,
        )
        if photo is not None:
            registry.add_photo(ctx.session, item, photo)
        flash(request, N_("Item registered."))
    except CorridorError as exc:
        ctx.session.rollback()
        flash(request, exc.detail, "error")
    return _back(ctx, intake_id)


@router.post("/operations/{slug}/amnesty/items/{item_id}/custody")
async def custody_submit(
    request: Request, item_id: int, ctx: OperationContext = Depends(require(Action.AMNESTY_WRITE))
) -> Response:
    values = await form_values(request)
    item = registry.get_item(
        ctx.session,
        operation_id=ctx.operation.id,
        item_id=item_id,
        organisation_ids=ctx.decision.organisation_ids,
    )
    intake_id = item.intake_id
    try:
        depot = values.get("depot_id", "").strip()
        custody.record(
            ctx.session,
            item,
            step=_enum(CustodyStep, values, "step"),
            officer_id=ctx.principal.user_id,
            witness_id=_int(values, "witness_id"),
            operation_orgs=ctx.operation.participation.active_organisation_ids,
            depot_id=int(depot) if depot.isdigit() else None,
            destination_depot_id=int(depot) if depot.isdigit() else None,
            disposal=values.get("disposal", ""),
            note=values.get("note", ""),
        )
        flash(request, N_("Custody step recorded."))
    except CorridorError as exc:
        ctx.session.rollback()
        flash(request, exc.detail, "error")
    return _back(ctx, intake_id)


@router.post("/operations/{slug}/amnesty/intakes/{intake_id}/certificates")
async def certificate_submit(
    request: Request,
    intake_id: uuid.UUID,
    ctx: OperationContext = Depends(require(Action.AMNESTY_WRITE)),
) -> Response:
    values = await form_values(request)
    try:
        certificates.issue(
            ctx.session,
            _intake(ctx, intake_id),
            kind=_enum(CertificateKind, values, "type"),
            issued_by_id=ctx.principal.user_id,
            valid_until=_moment(values, "valid_until"),
        )
        flash(request, N_("Certificate issued."))
    except CorridorError as exc:
        ctx.session.rollback()
        flash(request, exc.detail, "error")
    return _back(ctx, intake_id)


@router.post("/operations/{slug}/amnesty/certificates/{certificate_id}/revoke")
async def revoke_submit(
    request: Request,
    certificate_id: uuid.UUID,
    ctx: OperationContext = Depends(require(Action.AMNESTY_WRITE)),
) -> Response:
    values = await form_values(request)
    certificate = certificates.get_certificate(
        ctx.session,
        operation_id=ctx.operation.id,
        certificate_id=certificate_id,
        organisation_ids=ctx.decision.organisation_ids,
    )
    try:
        certificates.revoke(
            ctx.session,
            certificate,
            reason=values.get("reason", ""),
            revoked_by_id=ctx.principal.user_id,
        )
        flash(request, N_("Certificate revoked."))
    except CorridorError as exc:
        ctx.session.rollback()
        flash(request, exc.detail, "error")
    return _back(ctx, certificate.intake_id)


@router.post("/operations/{slug}/amnesty/destructions")
async def destruction_submit(
    request: Request, ctx: OperationContext = Depends(require(Action.AMNESTY_WRITE))
) -> Response:
    values = await form_values(request)
    form = await request.form()
    try:
        depot = desks.get_depot(
            ctx.session, operation_id=ctx.operation.id, depot_id=_int(values, "depot_id")
        )
        if depot.organisation_id not in ctx.decision.organisation_ids:
            raise Forbidden("this depot is kept by another organisation")
        item_ids = [int(v) for v in form.getlist("item_id") if isinstance(v, str) and v.isdigit()]
        batch = destruction.destroy(
            ctx.session,
            depot=depot,
            item_ids=item_ids,
            method=_enum(DestructionMethod, values, "method"),
            officer_id=ctx.principal.user_id,
            witness_id=_int(values, "witness_id"),
            operation_orgs=ctx.operation.participation.active_organisation_ids,
            observers=values.get("observers", ""),
            note=values.get("note", ""),
        )
    except CorridorError as exc:
        ctx.session.rollback()
        flash(request, exc.detail, "error")
        return RedirectResponse(_base(ctx), status_code=303)
    flash(request, N_("Destruction recorded."))
    return RedirectResponse(f"{_base(ctx)}/destructions/{batch.id}", status_code=303)


@router.get("/operations/{slug}/amnesty/destructions/{batch_id}")
def destruction_page(
    request: Request, batch_id: int, ctx: OperationContext = Depends(require(Action.AMNESTY_READ))
) -> Response:
    batch = destruction.get_batch(ctx.session, operation_id=ctx.operation.id, batch_id=batch_id)
    if batch.organisation_id not in ctx.decision.organisation_ids:
        raise NotFound("no such destruction batch")
    names = dict(_officers(ctx))
    me = ctx.session.get(User, ctx.principal.user_id)
    if me is not None:
        names[me.id] = me.display_name
    return render(
        request,
        "amnesty/destruction.html",
        operation=ctx.operation,
        batch=batch,
        items=destruction.batch_items(ctx.session, batch),
        depot=desks.get_depot(ctx.session, operation_id=ctx.operation.id, depot_id=batch.depot_id),
        names=names,
    )
