"""The amnesty desk's JSON API (thin: parse, authorise, call the services).

Intakes, items, custody and certificates are for the DDR officers of the
organisation that runs the desk (``amnesty.read`` / ``amnesty.write``, whose
every use is in the access log); ``/summary`` gives everyone counts. The trust
list is public: checkpoint devices download it without an account.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid

from fastapi import APIRouter, Body, Depends, Response

from corridor.accounts.permissions import Action
from corridor.amnesty import (
    certificates,
    custody,
    desks,
    destruction,
    intakes,
    registry,
    signing_keys,
)
from corridor.amnesty.intakes import Topic
from corridor.amnesty.models import (
    Certificate,
    CustodyEvent,
    Depot,
    Desk,
    DestructionBatch,
    Intake,
    RegistryItem,
)
from corridor.amnesty.schemas import (
    CertificateIn,
    CertificateOut,
    CustodyEventOut,
    CustodyIn,
    DepotIn,
    DepotOut,
    DeskIn,
    DeskOut,
    DestructionIn,
    DestructionOut,
    HoldingOut,
    IntakeIn,
    IntakeOut,
    ItemIn,
    ItemOut,
    ReasonIn,
    SummaryOut,
)
from corridor.amnesty.summary import SMALL_CELL, summary
from corridor.amnesty.trust_list import b64url
from corridor.errors import Forbidden, InvalidInput, NotFound
from corridor.operations import service as operations
from corridor.web.deps import DbSession, OperationContext, public, require
from corridor.web.schemas import RowId

router = APIRouter(prefix="/api/v1/operations/{slug}/amnesty", tags=["amnesty"])
trust_router = APIRouter(tags=["amnesty"])


def _own_org(ctx: OperationContext, organisation_id: int | None) -> int:
    """The organisation a new desk or depot belongs to: the caller's own."""
    mine = ctx.decision.organisation_ids
    if organisation_id is None:
        if len(mine) != 1:
            raise InvalidInput("organisation_id", "say which of your organisations runs it")
        return next(iter(mine))
    if organisation_id not in mine:
        raise Forbidden("a desk or depot is set up by its own organisation")
    return organisation_id


def _orgs(ctx: OperationContext) -> frozenset[int]:
    return ctx.decision.organisation_ids


def _desk_out(desk: Desk) -> DeskOut:
    return DeskOut(
        id=desk.id,
        name=desk.name,
        organisation_id=desk.organisation_id,
        place_name=desk.place_name,
        pcode=desk.pcode,
        latitude=desk.latitude,
        longitude=desk.longitude,
        officer_ids=[o.user_id for o in desk.officers],
    )


def _intake_out(intake: Intake) -> IntakeOut:
    return IntakeOut.model_validate(
        {
            **{k: getattr(intake, k) for k in IntakeOut.model_fields if k != "has_photo"},
            "has_photo": intake.photo is not None,
        }
    )


def _item_out(
    item: RegistryItem,
    state: custody.State | None,
    photo_count: int,
    events: list[CustodyEvent] | None = None,
) -> ItemOut:
    return ItemOut(
        id=item.id,
        reference=item.reference,
        intake_id=item.intake_id,
        category=item.category,
        make=item.make,
        model=item.model,
        calibre=item.calibre,
        serial_number=item.serial_number,
        serial_status=item.serial_status,
        duplicate_serial_note=item.duplicate_serial_note,
        quantity=item.quantity,
        condition=item.condition,
        marking_status=item.marking_status,
        description=item.description,
        step=state.step if state else None,
        depot_id=state.depot_id if state else None,
        photo_count=photo_count,
        events=[CustodyEventOut.model_validate(e) for e in events] if events is not None else None,
    )


def _item_with_chain(session: DbSession, item: RegistryItem) -> ItemOut:
    events = custody.chain(session, item)
    photos = registry.photo_counts(session, [item.id]).get(item.id, 0)
    return _item_out(item, custody.state_of(events), photos, events)


def _certificate_out(certificate: Certificate) -> CertificateOut:
    return CertificateOut(
        id=certificate.id,
        certificate_id=b64url(certificate.certificate_id),
        intake_id=certificate.intake_id,
        type=certificate.type,
        issued_at=certificate.issued_at,
        valid_from=certificate.valid_from,
        valid_until=certificate.valid_until,
        key_id=b64url(certificate.signing_key.kid),
        qr_text=certificate.qr_text,
        printed_count=certificate.printed_count,
        revoked_at=certificate.revoked_at,
        revocation_reason=certificate.revocation_reason,
    )


def _batch_out(session: DbSession, batch: DestructionBatch) -> DestructionOut:
    return DestructionOut(
        id=batch.id,
        reference=batch.reference,
        depot_id=batch.depot_id,
        method=batch.method,
        place_name=batch.place_name,
        destroyed_at=batch.destroyed_at,
        officer_id=batch.officer_id,
        witness_id=batch.witness_id,
        observers=batch.observers,
        note=batch.note,
        item_references=[i.reference for i in destruction.batch_items(session, batch)],
    )


# Desks and depots ------------------------------------------------------------------


@router.get("/topics", response_model=list[str])
def list_topics(ctx: OperationContext = Depends(require(Action.AMNESTY_SUMMARY))) -> list[str]:
    """What an officer explains before asking for consent: every one is required."""
    return list(Topic.ALL)


@router.get("/desks", response_model=list[DeskOut])
def list_desks(ctx: OperationContext = Depends(require(Action.AMNESTY_SUMMARY))) -> list[DeskOut]:
    return [_desk_out(d) for d in desks.list_desks(ctx.session, operation_id=ctx.operation.id)]


@router.post("/desks", response_model=DeskOut, status_code=201)
def create_desk(
    body: DeskIn, ctx: OperationContext = Depends(require(Action.DESK_MANAGE))
) -> DeskOut:
    desk = desks.create_desk(
        ctx.session,
        operation_id=ctx.operation.id,
        organisation_id=_own_org(ctx, body.organisation_id),
        name=body.name,
        place_name=body.place_name,
        pcode=body.pcode,
        latitude=body.latitude,
        longitude=body.longitude,
        officer_ids=body.officer_ids,
    )
    return _desk_out(desk)


@router.get("/depots", response_model=list[DepotOut])
def list_depots(ctx: OperationContext = Depends(require(Action.AMNESTY_SUMMARY))) -> list[Depot]:
    return desks.list_depots(ctx.session, operation_id=ctx.operation.id)


@router.post("/depots", response_model=DepotOut, status_code=201)
def create_depot(
    body: DepotIn, ctx: OperationContext = Depends(require(Action.DESK_MANAGE))
) -> Depot:
    return desks.create_depot(
        ctx.session,
        operation_id=ctx.operation.id,
        organisation_id=_own_org(ctx, body.organisation_id),
        name=body.name,
        place_name=body.place_name,
        pcode=body.pcode,
    )


# Intakes ----------------------------------------------------------------------------


def _photo(encoded: str | None) -> intakes.Photo | None:
    if encoded is None:
        return None
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("photo_base64", "not base64") from None
    return intakes.read_photo(data, "photo_base64")


@router.post("/intakes", response_model=IntakeOut, status_code=201)
def create_intake(
    body: IntakeIn, ctx: OperationContext = Depends(require(Action.AMNESTY_WRITE))
) -> IntakeOut:
    try:
        desk = desks.get_desk(ctx.session, operation_id=ctx.operation.id, desk_id=body.desk_id)
    except NotFound:
        raise InvalidInput("desk_id", "no such desk in this operation") from None
    if desk.organisation_id not in _orgs(ctx):
        raise Forbidden("this desk is run by another organisation")
    intake = intakes.record_intake(
        ctx.session,
        desk=desk,
        officer_id=ctx.principal.user_id,
        person=intakes.Person(
            name_arabic=body.name_arabic,
            name_latin=body.name_latin,
            birth_date=body.birth_date,
            sex=body.sex,
            registration_member_id=body.registration_member_id,
        ),
        took_place_at=body.took_place_at,
        explained=body.explained,
        consent_given=body.consent_given,
        photo=_photo(body.photo_base64),
    )
    return _intake_out(intake)


@router.get("/intakes", response_model=list[IntakeOut])
def list_intakes(
    desk_id: RowId | None = None, ctx: OperationContext = Depends(require(Action.AMNESTY_READ))
) -> list[IntakeOut]:
    found = intakes.list_intakes(
        ctx.session, operation_id=ctx.operation.id, organisation_ids=_orgs(ctx), desk_id=desk_id
    )
    return [_intake_out(i) for i in found]


def _intake(ctx: OperationContext, intake_id: uuid.UUID) -> Intake:
    return intakes.get_intake(
        ctx.session, operation_id=ctx.operation.id, intake_id=intake_id, organisation_ids=_orgs(ctx)
    )


@router.get("/intakes/{intake_id}", response_model=IntakeOut)
def get_intake(
    intake_id: uuid.UUID, ctx: OperationContext = Depends(require(Action.AMNESTY_READ))
) -> IntakeOut:
    return _intake_out(_intake(ctx, intake_id))


@router.get("/intakes/{intake_id}/photo", response_class=Response)
def get_intake_photo(
    intake_id: uuid.UUID, ctx: OperationContext = Depends(require(Action.AMNESTY_READ))
) -> Response:
    photo = intakes.intake_photo(ctx.session, _intake(ctx, intake_id))
    if photo is None:
        raise NotFound("this intake has no photo")
    return Response(photo.data, media_type=photo.media_type, headers={"Cache-Control": "no-store"})


@router.post("/intakes/{intake_id}/withdraw", response_model=IntakeOut)
def withdraw_intake(
    intake_id: uuid.UUID,
    body: ReasonIn,
    ctx: OperationContext = Depends(require(Action.AMNESTY_WRITE)),
) -> IntakeOut:
    """The person withdraws: the intake is closed and its certificates revoked."""
    intake = intakes.withdraw(ctx.session, _intake(ctx, intake_id), reason=body.reason)
    certificates.revoke_all(
        ctx.session,
        intake,
        reason=f"intake withdrawn: {body.reason}",
        revoked_by_id=ctx.principal.user_id,
    )
    return _intake_out(intake)


# Items and custody --------------------------------------------------------------------


@router.post("/intakes/{intake_id}/items", response_model=ItemOut, status_code=201)
def register_item(
    intake_id: uuid.UUID,
    body: ItemIn,
    ctx: OperationContext = Depends(require(Action.AMNESTY_WRITE)),
) -> ItemOut:
    item = registry.register_item(
        ctx.session,
        _intake(ctx, intake_id),
        registry.ItemDetails(
            category=body.category,
            serial_status=body.serial_status,
            condition=body.condition,
            marking_status=body.marking_status,
            make=body.make,
            model=body.model,
            calibre=body.calibre,
            serial_number=body.serial_number,
            quantity=body.quantity,
            description=body.description,
            duplicate_serial_note=body.duplicate_serial_note,
        ),
        officer_id=ctx.principal.user_id,
        witness_id=body.witness_id,
        operation_orgs=ctx.operation.participation.active_organisation_ids,
        collected_at=body.collected_at,
    )
    return _item_with_chain(ctx.session, item)


@router.get("/items", response_model=list[ItemOut])
def list_items(ctx: OperationContext = Depends(require(Action.AMNESTY_READ))) -> list[ItemOut]:
    found = registry.list_items(
        ctx.session, operation_id=ctx.operation.id, organisation_ids=_orgs(ctx)
    )
    ids = [i.id for i in found]
    states = custody.states(ctx.session, operation_id=ctx.operation.id, item_ids=ids)
    photos = registry.photo_counts(ctx.session, ids)
    return [_item_out(i, states.get(i.id), photos.get(i.id, 0)) for i in found]


def _item(ctx: OperationContext, item_id: int) -> RegistryItem:
    return registry.get_item(
        ctx.session, operation_id=ctx.operation.id, item_id=item_id, organisation_ids=_orgs(ctx)
    )


@router.get("/items/{item_id}", response_model=ItemOut)
def get_item(
    item_id: RowId, ctx: OperationContext = Depends(require(Action.AMNESTY_READ))
) -> ItemOut:
    return _item_with_chain(ctx.session, _item(ctx, item_id))


@router.post("/items/{item_id}/custody", response_model=ItemOut, status_code=201)
def record_custody(
    item_id: RowId, body: CustodyIn, ctx: OperationContext = Depends(require(Action.AMNESTY_WRITE))
) -> ItemOut:
    """The next step of the item's chain of custody (409 when it would skip one)."""
    item = _item(ctx, item_id)
    custody.record(
        ctx.session,
        item,
        step=body.step,
        officer_id=ctx.principal.user_id,
        witness_id=body.witness_id,
        operation_orgs=ctx.operation.participation.active_organisation_ids,
        occurred_at=body.occurred_at,
        place_name=body.place_name,
        depot_id=body.depot_id,
        destination_depot_id=body.destination_depot_id,
        disposal=body.disposal,
        note=body.note,
    )
    return _item_with_chain(ctx.session, item)


@router.post("/items/{item_id}/photos", status_code=201)
def add_item_photo(
    item_id: RowId,
    data: bytes = Body(
        media_type="image/jpeg", description="the photo, as image/jpeg or image/png"
    ),
    ctx: OperationContext = Depends(require(Action.AMNESTY_WRITE)),
) -> dict[str, object]:
    photo = intakes.read_photo(data, "body")
    row = registry.add_photo(ctx.session, _item(ctx, item_id), photo)
    return {"id": row.id, "sha256": row.sha256, "media_type": row.media_type}


@router.get("/inventory", response_model=list[HoldingOut])
def depot_inventory(
    ctx: OperationContext = Depends(require(Action.AMNESTY_READ)),
) -> list[HoldingOut]:
    """What every depot of the caller's organisation holds now, awaiting destruction."""
    return [
        HoldingOut(
            depot_id=h.depot_id,
            item_id=h.item.id,
            reference=h.item.reference,
            category=h.item.category,
            make=h.item.make,
            model=h.item.model,
            calibre=h.item.calibre,
            serial_number=h.item.serial_number,
            quantity=h.item.quantity,
            condition=h.item.condition,
            since=h.since,
        )
        for h in custody.inventory(
            ctx.session, operation_id=ctx.operation.id, organisation_ids=_orgs(ctx)
        )
    ]


# Destruction ----------------------------------------------------------------------------


@router.post("/destructions", response_model=DestructionOut, status_code=201)
def destroy(
    body: DestructionIn, ctx: OperationContext = Depends(require(Action.AMNESTY_WRITE))
) -> DestructionOut:
    depot = desks.get_depot(ctx.session, operation_id=ctx.operation.id, depot_id=body.depot_id)
    if depot.organisation_id not in _orgs(ctx):
        raise Forbidden("this depot is kept by another organisation")
    batch = destruction.destroy(
        ctx.session,
        depot=depot,
        item_ids=body.item_ids,
        method=body.method,
        officer_id=ctx.principal.user_id,
        witness_id=body.witness_id,
        operation_orgs=ctx.operation.participation.active_organisation_ids,
        destroyed_at=body.destroyed_at,
        place_name=body.place_name,
        observers=body.observers,
        note=body.note,
    )
    return _batch_out(ctx.session, batch)


@router.get("/destructions", response_model=list[DestructionOut])
def list_destructions(
    ctx: OperationContext = Depends(require(Action.AMNESTY_READ)),
) -> list[DestructionOut]:
    return [
        _batch_out(ctx.session, b)
        for b in destruction.list_batches(ctx.session, operation_id=ctx.operation.id)
        if b.organisation_id in _orgs(ctx)
    ]


@router.get("/destructions/{batch_id}", response_model=DestructionOut)
def get_destruction(
    batch_id: RowId, ctx: OperationContext = Depends(require(Action.AMNESTY_READ))
) -> DestructionOut:
    batch = destruction.get_batch(ctx.session, operation_id=ctx.operation.id, batch_id=batch_id)
    if batch.organisation_id not in _orgs(ctx):
        raise NotFound("no such destruction batch")
    return _batch_out(ctx.session, batch)


# Certificates -------------------------------------------------------------------------------


@router.post("/intakes/{intake_id}/certificates", response_model=CertificateOut, status_code=201)
def issue_certificate(
    intake_id: uuid.UUID,
    body: CertificateIn,
    ctx: OperationContext = Depends(require(Action.AMNESTY_WRITE)),
) -> CertificateOut:
    certificate = certificates.issue(
        ctx.session,
        _intake(ctx, intake_id),
        kind=body.type,
        issued_by_id=ctx.principal.user_id,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
    )
    return _certificate_out(certificate)


@router.get("/intakes/{intake_id}/certificates", response_model=list[CertificateOut])
def intake_certificates(
    intake_id: uuid.UUID, ctx: OperationContext = Depends(require(Action.AMNESTY_READ))
) -> list[CertificateOut]:
    return [
        _certificate_out(c) for c in certificates.of_intake(ctx.session, _intake(ctx, intake_id))
    ]


def _certificate(ctx: OperationContext, certificate_id: uuid.UUID) -> Certificate:
    return certificates.get_certificate(
        ctx.session,
        operation_id=ctx.operation.id,
        certificate_id=certificate_id,
        organisation_ids=_orgs(ctx),
    )


@router.get("/certificates/{certificate_id}", response_model=CertificateOut)
def get_certificate(
    certificate_id: uuid.UUID, ctx: OperationContext = Depends(require(Action.AMNESTY_READ))
) -> CertificateOut:
    return _certificate_out(_certificate(ctx, certificate_id))


@router.get("/certificates/{certificate_id}/pdf", response_class=Response)
def certificate_pdf(
    certificate_id: uuid.UUID, ctx: OperationContext = Depends(require(Action.AMNESTY_WRITE))
) -> Response:
    """The printed certificate; a reprint is the same certificate, and is counted."""
    document = certificates.pdf(ctx.session, _certificate(ctx, certificate_id))
    return Response(
        document,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'inline; filename="certificate.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/certificates/{certificate_id}/revoke", response_model=CertificateOut)
def revoke_certificate(
    certificate_id: uuid.UUID,
    body: ReasonIn,
    ctx: OperationContext = Depends(require(Action.AMNESTY_WRITE)),
) -> CertificateOut:
    certificate = certificates.revoke(
        ctx.session,
        _certificate(ctx, certificate_id),
        reason=body.reason,
        revoked_by_id=ctx.principal.user_id,
    )
    return _certificate_out(certificate)


@router.get("/summary", response_model=SummaryOut)
def get_summary(ctx: OperationContext = Depends(require(Action.AMNESTY_SUMMARY))) -> SummaryOut:
    found = summary(ctx.session, operation_id=ctx.operation.id)
    return SummaryOut(threshold=SMALL_CELL, **found.__dict__)


# The public trust list ----------------------------------------------------------------------


@trust_router.get("/trust/{slug}/trust-list.json", dependencies=[Depends(public)])
def trust_list(slug: str, session: DbSession) -> Response:
    """The operation's signed trust list (public: checkpoint devices fetch it without an
    account). Signed afresh on each request; devices cache it and call it stale after
    its ``next_update``."""
    try:
        ref = operations.lookup(session, slug=slug)
    except NotFound:
        raise NotFound("no such operation") from None
    document = signing_keys.signed_trust_list(session, operation_id=ref.id, operation_slug=ref.slug)
    return Response(
        json.dumps(document, separators=(",", ":")),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=300"},
    )
