"""JSON API of aid: places, the catalogue, stock movements, waybills, distributions.

Thin: each route checks who may do what (stock is moved by the organisation
that runs the place, or the lead's coordinators) and calls the services.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.exc import IntegrityError

from corridor.accounts.permissions import Action, decide
from corridor.aid import (
    catalogue,
    consultations,
    distributions,
    entitlements,
    ledger,
    places,
    recipients,
    reconciliation,
    reports,
    stock,
    waybills,
)
from corridor.aid.models import Distribution, EntitlementRule, Item, Movement, Place, Waybill
from corridor.aid.schemas import (
    AlertOut,
    BatchStockOut,
    ConsultationCountOut,
    ConsultationsIn,
    ConsultationsStored,
    CountIn,
    DistributedOut,
    DistributionIn,
    DistributionOut,
    EntitlementRuleIn,
    EntitlementRuleOut,
    EntitlementRuleUpdate,
    EntitlementStatusOut,
    ItemIn,
    ItemOut,
    ItemStockOut,
    ItemUpdate,
    LedgerCheckOut,
    LineIn,
    MovementOut,
    PlaceIn,
    PlaceOut,
    PlaceUpdate,
    ReceiptIn,
    RecipientFoundOut,
    ReconciliationOut,
    ReorderLevelIn,
    ReversalIn,
    ReviewIn,
    StandingOut,
    StockOut,
    StockOutOut,
    WaybillIn,
    WaybillOut,
    WaybillReceiptIn,
    WriteOffIn,
)
from corridor.errors import Conflict, Forbidden, InvalidInput, NotFound
from corridor.operations import service as operations
from corridor.web.deps import OperationContext, require
from corridor.web.schemas import RowId

router = APIRouter(prefix="/api/v1/operations/{slug}/aid", tags=["aid"])


def _runs(ctx: OperationContext, organisation_id: int) -> None:
    if not places.reaches_place(ctx.decision, organisation_id):
        raise Forbidden("this place is run by another organisation")


def _place(ctx: OperationContext, place_id: int, *, writing: bool = True) -> Place:
    place = places.get_place(ctx.session, operation_id=ctx.operation.id, place_id=place_id)
    if writing:
        _runs(ctx, place.organisation_id)
    return place


def _entries(lines: list[LineIn]) -> list[stock.Entry]:
    return [
        stock.Entry(
            item_id=line.item_id,
            quantity=line.quantity,
            batch=line.batch,
            batch_id=line.batch_id,
            expires_on=line.expires_on,
        )
        for line in lines
    ]


# Places ------------------------------------------------------------------------------


@router.get("/places", response_model=list[PlaceOut])
def list_places(ctx: OperationContext = Depends(require(Action.AID_READ))) -> list[Place]:
    return places.list_places(ctx.session, operation_id=ctx.operation.id)


@router.get("/places.geojson")
def places_geojson(ctx: OperationContext = Depends(require(Action.AID_READ))) -> dict[str, Any]:
    """Warehouses and aid points as GeoJSON points, with kind and status (for maps)."""
    found = places.list_places(ctx.session, operation_id=ctx.operation.id)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                "properties": {
                    "id": p.id,
                    "name": p.name,
                    "kind": p.kind.value,
                    "status": p.status.value,
                },
            }
            for p in found
        ],
    }


@router.post("/places", response_model=PlaceOut, status_code=201)
def create_place(
    body: PlaceIn, ctx: OperationContext = Depends(require(Action.PLACE_MANAGE))
) -> Place:
    organisation_id = body.organisation_id or min(ctx.decision.organisation_ids)
    if organisation_id not in ctx.operation.participation.active_organisation_ids:
        raise InvalidInput("organisation_id", "does not take part in this operation")
    _runs(ctx, organisation_id)
    return places.create_place(
        ctx.session,
        operation_id=ctx.operation.id,
        organisation_id=organisation_id,
        **body.model_dump(exclude={"organisation_id"}),
    )


@router.get("/places/{place_id}", response_model=PlaceOut)
def get_place(place_id: RowId, ctx: OperationContext = Depends(require(Action.AID_READ))) -> Place:
    return _place(ctx, place_id, writing=False)


@router.patch("/places/{place_id}", response_model=PlaceOut)
def update_place(
    place_id: RowId,
    body: PlaceUpdate,
    ctx: OperationContext = Depends(require(Action.PLACE_MANAGE)),
) -> Place:
    place = _place(ctx, place_id)
    return places.update_place(ctx.session, place, **body.model_dump(exclude_unset=True))


@router.get("/places/{place_id}/stock", response_model=StockOut)
def place_stock(
    place_id: RowId,
    expiring_within_days: Annotated[int, Query(ge=0, le=3650)] = ledger.EXPIRY_WARNING_DAYS,
    ctx: OperationContext = Depends(require(Action.AID_READ)),
) -> StockOut:
    """Balances by item and by batch, with the alerts (reorder level, expiry)."""
    place = _place(ctx, place_id, writing=False)
    held = ledger.stock(ctx.session, place_id=place.id)
    found = ledger.alerts(
        ctx.session, place_id=place.id, held=held, within_days=expiring_within_days
    )
    items = {
        item.id: item for item in catalogue.list_items(ctx.session, operation_id=ctx.operation.id)
    }
    totals: dict[int, int] = defaultdict(int)
    for row in held:
        totals[row.item_id] += row.quantity
    return StockOut(
        place=PlaceOut.model_validate(place),
        items=[
            ItemStockOut(
                item_id=item_id,
                item_code=items[item_id].code,
                name=items[item_id].name,
                unit=items[item_id].unit,
                quantity=quantity,
                weight_kg=round(quantity * items[item_id].unit_weight_kg, 3),
            )
            for item_id, quantity in sorted(totals.items(), key=lambda kv: items[kv[0]].code)
        ],
        batches=[
            BatchStockOut(
                item_id=row.item_id,
                item_code=items[row.item_id].code,
                batch_id=row.batch_id,
                batch=row.batch,
                expires_on=row.expires_on,
                quantity=row.quantity,
            )
            for row in held
        ],
        alerts=[
            AlertOut(
                kind=alert.kind,
                item_id=alert.item_id,
                item_code=items[alert.item_id].code,
                batch_id=alert.batch_id,
                quantity=alert.quantity,
                detail=alert.detail,
            )
            for alert in found
        ],
    )


@router.put("/places/{place_id}/reorder-levels/{item_id}", status_code=204)
def set_reorder_level(
    place_id: RowId,
    item_id: RowId,
    body: ReorderLevelIn,
    ctx: OperationContext = Depends(require(Action.STOCK_WRITE)),
) -> Response:
    """The quantity below which the place's stock of an item raises an alert (null: none)."""
    place = _place(ctx, place_id)
    item = catalogue.get_item(ctx.session, operation_id=ctx.operation.id, item_id=item_id)
    ledger.set_reorder_level(ctx.session, place=place, item=item, quantity=body.quantity)
    return Response(status_code=204)


# Movements ---------------------------------------------------------------------------


@router.post("/places/{place_id}/receipts", response_model=MovementOut, status_code=201)
def receive(
    place_id: RowId,
    body: ReceiptIn,
    ctx: OperationContext = Depends(require(Action.STOCK_WRITE)),
) -> Movement:
    """Stock received from a donor or supplier."""
    return stock.receive(
        ctx.session,
        place=_place(ctx, place_id),
        entries=_entries(body.lines),
        recorded_by_id=ctx.principal.user_id,
        counterpart=body.counterpart,
        reference=body.reference,
        occurred_at=body.occurred_at,
    )


@router.post("/places/{place_id}/write-offs", response_model=MovementOut, status_code=201)
def write_off(
    place_id: RowId,
    body: WriteOffIn,
    ctx: OperationContext = Depends(require(Action.STOCK_WRITE)),
) -> Movement:
    """Stock lost, damaged or expired at the place."""
    return stock.write_off(
        ctx.session,
        place=_place(ctx, place_id),
        entries=_entries(body.lines),
        reason=body.reason,
        note=body.note,
        recorded_by_id=ctx.principal.user_id,
    )


@router.post("/places/{place_id}/counts", response_model=MovementOut, status_code=201)
def count(
    place_id: RowId,
    body: CountIn,
    ctx: OperationContext = Depends(require(Action.STOCK_CORRECT)),
) -> Movement:
    """A physical count, recorded; the differences are its lines (none: it agreed)."""
    return stock.count(
        ctx.session,
        place=_place(ctx, place_id),
        entries=_entries(body.lines),
        recorded_by_id=ctx.principal.user_id,
        reference=body.reference,
    )


@router.get("/movements", response_model=list[MovementOut])
def list_movements(
    place_id: Annotated[RowId | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ctx: OperationContext = Depends(require(Action.AID_READ)),
) -> list[Movement]:
    return ledger.movements(
        ctx.session, operation_id=ctx.operation.id, place_id=place_id, limit=limit
    )


@router.post("/movements/{movement_id}/reversal", response_model=MovementOut, status_code=201)
def reverse(
    movement_id: RowId,
    body: ReversalIn,
    ctx: OperationContext = Depends(require(Action.STOCK_CORRECT)),
) -> Movement:
    """Undo a movement by one with every line negated, and the reason."""
    movement = ledger.get_movement(
        ctx.session, operation_id=ctx.operation.id, movement_id=movement_id
    )
    _place(ctx, movement.place_id)
    return ledger.reverse(
        ctx.session, movement=movement, reason=body.reason, recorded_by_id=ctx.principal.user_id
    )


@router.get("/ledger/check", response_model=LedgerCheckOut)
def check_ledger(ctx: OperationContext = Depends(require(Action.AID_READ))) -> LedgerCheckOut:
    """Balances that differ from the sum of their movements: always none."""
    found = ledger.mismatches(ctx.session, operation_id=ctx.operation.id)
    return LedgerCheckOut(
        mismatches=len(found),
        details=[
            {"place_id": p, "batch_id": b, "balance": bal, "ledger": led}
            for p, b, bal, led in found[:100]
        ],
    )


# Catalogue ---------------------------------------------------------------------------


@router.get("/items", response_model=list[ItemOut])
def list_items(ctx: OperationContext = Depends(require(Action.AID_READ))) -> list[Item]:
    return catalogue.list_items(ctx.session, operation_id=ctx.operation.id)


@router.post("/items", response_model=ItemOut, status_code=201)
def create_item(
    body: ItemIn, ctx: OperationContext = Depends(require(Action.CATALOGUE_MANAGE))
) -> Item:
    return catalogue.create_item(ctx.session, operation_id=ctx.operation.id, **body.model_dump())


@router.patch("/items/{item_id}", response_model=ItemOut)
def update_item(
    item_id: RowId,
    body: ItemUpdate,
    ctx: OperationContext = Depends(require(Action.CATALOGUE_MANAGE)),
) -> Item:
    item = catalogue.get_item(ctx.session, operation_id=ctx.operation.id, item_id=item_id)
    return catalogue.update_item(ctx.session, item, **body.model_dump(exclude_unset=True))


@router.post("/items/default-catalogue", response_model=list[ItemOut])
def add_default_catalogue(
    ctx: OperationContext = Depends(require(Action.CATALOGUE_MANAGE)),
) -> list[Item]:
    """Add the shipped items the catalogue lacks (by code); the added ones are returned."""
    return catalogue.add_default_catalogue(ctx.session, operation_id=ctx.operation.id)


# Waybills ----------------------------------------------------------------------------


@router.get("/waybills", response_model=list[WaybillOut])
def list_waybills(
    place_id: Annotated[RowId | None, Query()] = None,
    ctx: OperationContext = Depends(require(Action.AID_READ)),
) -> list[Waybill]:
    return waybills.list_waybills(ctx.session, operation_id=ctx.operation.id, place_id=place_id)


@router.post("/waybills", response_model=WaybillOut, status_code=201)
def create_waybill(
    body: WaybillIn, ctx: OperationContext = Depends(require(Action.STOCK_WRITE))
) -> Waybill:
    """A draft waybill from a place the caller's organisation runs."""
    _place(ctx, body.from_place_id)
    return waybills.create(
        ctx.session,
        operation_id=ctx.operation.id,
        from_place_id=body.from_place_id,
        to_place_id=body.to_place_id,
        entries=_entries(body.lines),
        created_by_id=ctx.principal.user_id,
        carrier=body.carrier,
        notes=body.notes,
    )


@router.get("/waybills/{waybill_id}", response_model=WaybillOut)
def get_waybill(
    waybill_id: RowId, ctx: OperationContext = Depends(require(Action.AID_READ))
) -> Waybill:
    return waybills.get(ctx.session, operation_id=ctx.operation.id, waybill_id=waybill_id)


@router.post("/waybills/{waybill_id}/dispatch", response_model=WaybillOut)
def dispatch_waybill(
    waybill_id: RowId, ctx: OperationContext = Depends(require(Action.STOCK_WRITE))
) -> Waybill:
    waybill = waybills.get(ctx.session, operation_id=ctx.operation.id, waybill_id=waybill_id)
    _place(ctx, waybill.from_place_id)
    return waybills.dispatch(ctx.session, waybill, recorded_by_id=ctx.principal.user_id)


@router.post("/waybills/{waybill_id}/receipt", response_model=WaybillOut)
def receive_waybill(
    waybill_id: RowId,
    body: WaybillReceiptIn,
    ctx: OperationContext = Depends(require(Action.STOCK_WRITE)),
) -> Waybill:
    """Receive once: for each line, what arrived, what was lost and what was damaged."""
    waybill = waybills.get(ctx.session, operation_id=ctx.operation.id, waybill_id=waybill_id)
    _place(ctx, waybill.to_place_id)
    return waybills.receive(
        ctx.session,
        waybill,
        arrivals=[waybills.Arrival(a.line_id, a.received, a.lost, a.damaged) for a in body.lines],
        recorded_by_id=ctx.principal.user_id,
    )


@router.post("/waybills/{waybill_id}/cancel", response_model=WaybillOut)
def cancel_waybill(
    waybill_id: RowId, ctx: OperationContext = Depends(require(Action.STOCK_WRITE))
) -> Waybill:
    waybill = waybills.get(ctx.session, operation_id=ctx.operation.id, waybill_id=waybill_id)
    _place(ctx, waybill.from_place_id)
    return waybills.cancel(ctx.session, waybill)


# Distributions -----------------------------------------------------------------------


@router.post("/distributions", response_model=DistributionOut, status_code=201)
def distribute(
    body: DistributionIn,
    response: Response,
    ctx: OperationContext = Depends(require(Action.DISTRIBUTE)),
) -> DistributionOut:
    """Hand out items at an aid point (201), or acknowledge a resend of one (200).

    Refused with 409 when the point holds too little: nothing is posted then.
    """
    for attempt in range(2):
        place = _place(ctx, body.place_id)
        try:
            done = distributions.distribute(
                ctx.session,
                place=place,
                distribution_id=body.id,
                organisation_id=place.organisation_id,
                recipient=distributions.Recipient(**body.recipient.model_dump()),
                items=[distributions.Given(g.item_id, g.quantity, g.batch_id) for g in body.items],
                recorded_by_id=ctx.principal.user_id,
                distributed_at=body.distributed_at,
                override_reason=body.override_reason,
                may_override=decide(
                    ctx.principal, ctx.operation.participation, Action.ENTITLEMENT_OVERRIDE
                ).allowed,
                # Nearly every request is a new distribution: a resend is met by
                # the primary key, and answered on the second attempt.
                look_for_resend=bool(attempt),
            )
            break
        except (IntegrityError, Conflict):
            # This id may be stored already (a resend, or one racing this request;
            # a resend also finds its entitlement or the stock used up by itself):
            # answer against the stored distribution, or refuse as before.
            ctx.session.rollback()
            if attempt:
                raise
    if not done.created:
        response.status_code = 200
    stored = done.distribution
    return DistributionOut(
        id=stored.id,
        place_id=stored.place_id,
        recipient_kind=stored.recipient_kind,
        people_count=stored.people_count,
        distributed_at=stored.distributed_at,
        movement_id=stored.movement_id,
        created=done.created,
    )


# Reconciliation of distributions captured offline --------------------------------------


def _reconciliation_out(found: reconciliation.Flagged) -> ReconciliationOut:
    d = found.distribution
    return ReconciliationOut(
        id=d.id,
        place_id=d.place_id,
        place_name=found.place_name,
        distributed_at=d.distributed_at,
        recipient_kind=d.recipient_kind,
        registration_id=d.registration_id,
        recipient_reference=d.recipient_reference,
        people_count=d.people_count,
        items=found.given,
        flags=d.flags,
        override_reason=d.override_reason,
        shortfall_open=found.shortfall_open,
        shortfall_settled_by=found.shortfall_settled_by.id if found.shortfall_settled_by else None,
        recorded_by_id=d.recorded_by_id,
        reviewed_at=d.reviewed_at,
        reviewed_by_id=d.reviewed_by_id,
        review_note=d.review_note,
    )


@router.get("/reconciliation", response_model=list[ReconciliationOut])
def list_reconciliation(
    include_reviewed: Annotated[bool, Query()] = False,
    ctx: OperationContext = Depends(require(Action.STOCK_CORRECT)),
) -> list[ReconciliationOut]:
    """Distributions captured offline that did not add up, at the points the caller runs."""
    return [
        _reconciliation_out(found)
        for found in reconciliation.flagged(
            ctx.session,
            operation_id=ctx.operation.id,
            organisation_ids=places.organisations_reached(ctx.decision),
            include_reviewed=include_reviewed,
        )
    ]


@router.post("/distributions/{distribution_id}/review", response_model=ReconciliationOut)
def review_distribution(
    distribution_id: uuid.UUID,
    body: ReviewIn,
    ctx: OperationContext = Depends(require(Action.STOCK_CORRECT)),
) -> ReconciliationOut:
    """A coordinator's review of a flagged distribution, with what was found."""
    stored = ctx.session.get(Distribution, distribution_id)
    if stored is None or stored.operation_id != ctx.operation.id:
        raise NotFound("no such distribution in this operation")
    _place(ctx, stored.place_id)
    done = reconciliation.review(
        ctx.session,
        operation_id=ctx.operation.id,
        distribution_id=distribution_id,
        user_id=ctx.principal.user_id,
        note=body.note,
    )
    (found,) = reconciliation.flagged(
        ctx.session, operation_id=ctx.operation.id, include_reviewed=True, distribution_id=done.id
    )
    return _reconciliation_out(found)


# Entitlements ------------------------------------------------------------------------


@router.get("/entitlement-rules", response_model=list[EntitlementRuleOut])
def list_rules(
    ctx: OperationContext = Depends(require(Action.AID_READ)),
) -> list[EntitlementRule]:
    return entitlements.list_rules(ctx.session, operation_id=ctx.operation.id)


@router.post("/entitlement-rules", response_model=EntitlementRuleOut, status_code=201)
def create_rule(
    body: EntitlementRuleIn, ctx: OperationContext = Depends(require(Action.ENTITLEMENT_MANAGE))
) -> EntitlementRule:
    """E.g. one food parcel per household per 30 days; one hygiene kit per person of 12+."""
    return entitlements.create_rule(ctx.session, operation_id=ctx.operation.id, **body.model_dump())


@router.patch("/entitlement-rules/{rule_id}", response_model=EntitlementRuleOut)
def update_rule(
    rule_id: RowId,
    body: EntitlementRuleUpdate,
    ctx: OperationContext = Depends(require(Action.ENTITLEMENT_MANAGE)),
) -> EntitlementRule:
    """Rules are not edited once used (past checks relied on them): retire and add."""
    rule = entitlements.get_rule(ctx.session, operation_id=ctx.operation.id, rule_id=rule_id)
    rule.active = body.active
    ctx.session.flush()
    return rule


def _standing_out(found: list[entitlements.Standing]) -> list[StandingOut]:
    return [
        StandingOut(
            rule_id=s.rule.id,
            rule=s.rule.name,
            item_id=s.rule.item_id,
            allowance=s.allowance,
            received=s.received,
            remaining=s.remaining,
            next_on=s.next_on,
        )
        for s in found
    ]


@router.get("/recipients", response_model=list[RecipientFoundOut])
def find_recipients(
    given_name: Annotated[str, Query(min_length=1, max_length=100)],
    family_name: Annotated[str, Query(max_length=100)] = "",
    father_name: Annotated[str, Query(max_length=100)] = "",
    age: Annotated[str, Query(max_length=10)] = "",
    ctx: OperationContext = Depends(require(Action.DISTRIBUTE)),
) -> list[RecipientFoundOut]:
    """The household in front of an officer, among all registered in the operation: its
    name, size and entitlements only, whichever organisation registered it (logged)."""
    return [
        RecipientFoundOut(
            registration_id=f.registration_id,
            name=f.name,
            household_members=f.household_members,
            probability=f.probability,
            rules=_standing_out(f.standing),
        )
        for f in recipients.search(
            ctx.session,
            operation_id=ctx.operation.id,
            user_id=ctx.principal.user_id,
            given_name=given_name,
            family_name=family_name,
            father_name=father_name,
            age=age,
        )
    ]


@router.get("/entitlements", response_model=EntitlementStatusOut)
def entitlement_status(
    registration_id: Annotated[uuid.UUID | None, Query()] = None,
    person_id: Annotated[uuid.UUID | None, Query()] = None,
    household_id: Annotated[uuid.UUID | None, Query()] = None,
    individual: bool = False,
    ctx: OperationContext = Depends(require(Action.DISTRIBUTE)),
) -> EntitlementStatusOut:
    """What a household (or person) may still receive: for any officer who distributes,
    whichever organisation registered them, and recorded in the access log."""
    if registration_id is None and person_id is None and household_id is None:
        raise InvalidInput("registration_id", "name a registration, person or household")
    identity, standing = entitlements.look_up(
        ctx.session,
        operation_id=ctx.operation.id,
        user_id=ctx.principal.user_id,
        registration_id=registration_id,
        person_id=person_id,
        household_id=household_id,
        individual=individual,
    )
    return EntitlementStatusOut(household_members=len(identity.ages), rules=_standing_out(standing))


# Consultations -----------------------------------------------------------------------


@router.post("/places/{place_id}/consultations", response_model=ConsultationsStored)
def record_consultations(
    place_id: RowId,
    body: ConsultationsIn,
    ctx: OperationContext = Depends(require(Action.CONSULTATION_WRITE)),
) -> ConsultationsStored:
    """A medical point's tally (no names, no diagnosis text); safe to resend."""
    stored, known = consultations.record(
        ctx.session,
        place=_place(ctx, place_id),
        tallies=[consultations.Tally(**c.model_dump()) for c in body.consultations],
        recorded_by_id=ctx.principal.user_id,
    )
    return ConsultationsStored(stored=stored, already_stored=known)


@router.get("/consultations", response_model=list[ConsultationCountOut])
def consultation_counts(
    place_id: Annotated[RowId | None, Query()] = None,
    since: date | None = None,
    ctx: OperationContext = Depends(require(Action.AID_READ)),
) -> list[consultations.Count]:
    """Consultations per day and category. Counts under 5 are shown as null, except to
    the organisation that runs the point asked about."""
    own = False
    if place_id is not None:
        place = _place(ctx, place_id, writing=False)
        own = place.organisation_id in ctx.principal.organisation_ids
    return consultations.counts(
        ctx.session,
        operation_id=ctx.operation.id,
        place_id=place_id,
        since=since,
        suppress=not own,
    )


# Reports -----------------------------------------------------------------------------


def _codes(ctx: OperationContext) -> dict[int, str]:
    return {i.id: i.code for i in catalogue.list_items(ctx.session, operation_id=ctx.operation.id)}


@router.get("/reports/distributions", response_model=list[DistributedOut])
def distributed_report(
    since: date | None = None,
    until: date | None = None,
    ctx: OperationContext = Depends(require(Action.AID_READ)),
) -> list[DistributedOut]:
    """What was distributed per day (the operation's days), aid point and item, in tonnes."""
    codes = _codes(ctx)
    timezone = operations.get_operation(ctx.session, operation_id=ctx.operation.id).timezone
    return [
        DistributedOut(**vars(row), item_code=codes[row.item_id])
        for row in reports.distributed(
            ctx.session,
            operation_id=ctx.operation.id,
            timezone=timezone,
            since=since,
            until=until,
        )
    ]


@router.get("/reports/stock-outs", response_model=list[StockOutOut])
def stock_out_report(
    until: date | None = None,
    ctx: OperationContext = Depends(require(Action.AID_READ)),
) -> list[StockOutOut]:
    """Days on which a place had none of an item it had held."""
    codes = _codes(ctx)
    timezone = operations.get_operation(ctx.session, operation_id=ctx.operation.id).timezone
    return [
        StockOutOut(**vars(row), item_code=codes[row.item_id])
        for row in reports.stock_outs(
            ctx.session, operation_id=ctx.operation.id, timezone=timezone, until=until
        )
    ]
