"""HTML pages of aid: the aid points on a map, a place's stock, and the distribution screen.

The distribution screen is where an officer at an aid point serves a family:
the household's entitlement standing (recorded in the access log, as the API
does), the items, and the answer: given, or refused with the reason.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

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
    stock,
    waybills,
)
from corridor.aid.models import (
    ConsultationCategory,
    PlaceKind,
    RecipientKind,
    Referral,
    WriteOffReason,
)
from corridor.crossings.models import AGE_BANDS, Registration
from corridor.errors import CorridorError, Forbidden, InvalidInput
from corridor.operations import service as operations
from corridor.web.deps import OperationContext, check_csrf, require
from corridor.web.i18n import gettext as _
from corridor.web.schemas import RowId
from corridor.web.templating import N_, flash, render

router = APIRouter(include_in_schema=False)
ITEM_SLOTS = 4


async def form_values(request: Request) -> dict[str, str]:
    """A posted form's text fields, once its CSRF token is checked."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, values.get("csrf_token"))
    return values


def _item_slots(values: dict[str, str]) -> list[tuple[int, str]]:
    """The (item id, quantity as typed) of the filled item rows of a form."""
    filled = []
    for slot in range(ITEM_SLOTS):
        item, quantity = values.get(f"item_{slot}", ""), values.get(f"quantity_{slot}", "")
        if not item and not quantity:
            continue
        if not item.isdigit():
            raise InvalidInput(f"item_{slot}", "choose an item")
        filled.append((int(item), quantity))
    if not filled:
        raise InvalidInput("items", "at least one item is required")
    return filled


def _may(ctx: OperationContext, action: Action, organisation_id: int) -> bool:
    """``action`` at a place run by ``organisation_id`` (the API's rule, for the links)."""
    decision = decide(ctx.principal, ctx.operation.participation, action)
    return decision.allowed and places.reaches_place(decision, organisation_id)


@router.get("/operations/{slug}/aid")
def aid_page(
    request: Request, ctx: OperationContext = Depends(require(Action.AID_READ))
) -> Response:
    """Warehouses and aid points on the map and in a table, with their alerts; waybills."""
    found = places.list_places(ctx.session, operation_id=ctx.operation.id)
    alerts = {p.id: ledger.alerts(ctx.session, place_id=p.id) for p in found}
    reconciling = decide(ctx.principal, ctx.operation.participation, Action.STOCK_CORRECT)
    may_reconcile = reconciling.allowed
    registration = request.query_params.get("registration") or ""
    area = operations.get_operation(ctx.session, operation_id=ctx.operation.id).area
    layers: list[dict[str, Any]] = []
    if area:
        layers.append(
            {
                "kind": "area",
                "label": _("Operation area"),
                "geojson": {"type": "Feature", "geometry": area, "properties": {}},
            }
        )
    layers.append(
        {
            "kind": "aid_points",
            "label": _("Aid points and warehouses"),
            "src": f"/api/v1/operations/{ctx.operation.slug}/aid/places.geojson",
        }
    )
    return render(
        request,
        "aid/overview.html",
        operation=ctx.operation,
        places=found,
        alerts=alerts,
        waybills=waybills.list_waybills(ctx.session, operation_id=ctx.operation.id)[:20],
        names={p.id: p.name for p in found},
        layers=layers,
        registration=registration,
        may_send_waybills=decide(
            ctx.principal, ctx.operation.participation, Action.STOCK_WRITE
        ).allowed,
        may_reconcile=may_reconcile,
        to_reconcile=len(
            reconciliation.flagged(
                ctx.session,
                operation_id=ctx.operation.id,
                organisation_ids=places.organisations_reached(reconciling),
            )
        )
        if may_reconcile
        else 0,
    )


@router.get("/operations/{slug}/aid/places/{place_id}")
def place_page(
    request: Request, place_id: RowId, ctx: OperationContext = Depends(require(Action.AID_READ))
) -> Response:
    """What a place holds, item by item and batch by batch, and what needs attention."""
    return _place_page(request, ctx, place_id)


def _place_page(
    request: Request,
    ctx: OperationContext,
    place_id: int,
    *,
    status_code: int = 200,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    place = places.get_place(ctx.session, operation_id=ctx.operation.id, place_id=place_id)
    held = ledger.stock(ctx.session, place_id=place.id)
    items = {i.id: i for i in catalogue.list_items(ctx.session, operation_id=ctx.operation.id)}
    totals: dict[int, int] = defaultdict(int)
    for row in held:
        totals[row.item_id] += row.quantity
    return render(
        request,
        "aid/place.html",
        status_code=status_code,
        error=error,
        values=values or {},
        operation=ctx.operation,
        place=place,
        items=items,
        totals=sorted(totals.items(), key=lambda kv: items[kv[0]].code),
        batches=held,
        alerts=ledger.alerts(ctx.session, place_id=place.id, held=held),
        movements=ledger.movements(
            ctx.session, operation_id=ctx.operation.id, place_id=place.id, limit=20
        ),
        may_distribute=place.kind == PlaceKind.AID_POINT
        and _may(ctx, Action.DISTRIBUTE, place.organisation_id),
        may_count_consultations="medical" in (place.services or [])
        and _may(ctx, Action.CONSULTATION_WRITE, place.organisation_id),
        may_move_stock=_may(ctx, Action.STOCK_WRITE, place.organisation_id),
        write_off_reasons=[r.value for r in WriteOffReason],
    )


@router.post("/operations/{slug}/aid/places/{place_id}/receipts")
async def receipt_submit(
    request: Request, place_id: RowId, ctx: OperationContext = Depends(require(Action.STOCK_WRITE))
) -> Response:
    """Stock received from a donor or supplier."""
    return await _stock_movement(request, ctx, place_id, "receipts")


@router.post("/operations/{slug}/aid/places/{place_id}/write-offs")
async def write_off_submit(
    request: Request, place_id: RowId, ctx: OperationContext = Depends(require(Action.STOCK_WRITE))
) -> Response:
    """Stock lost, damaged or expired."""
    return await _stock_movement(request, ctx, place_id, "write-offs")


async def _stock_movement(
    request: Request, ctx: OperationContext, place_id: int, movement: str
) -> Response:
    values = await form_values(request)
    try:
        place = places.get_place(ctx.session, operation_id=ctx.operation.id, place_id=place_id)
        if not _may(ctx, Action.STOCK_WRITE, place.organisation_id):
            raise Forbidden("this place is run by another organisation")
        item = values.get("item", "")
        if not item.isdigit():
            raise InvalidInput("item", "choose an item")
        try:
            expires = values.get("expires_on", "")
            expires_on = date.fromisoformat(expires) if expires else None
        except ValueError:
            raise InvalidInput("expires_on", "is not a date") from None
        entry = stock.Entry(
            int(item),
            values.get("quantity", ""),
            batch=values.get("batch") or None,
            expires_on=expires_on,
        )
        if movement == "receipts":
            stock.receive(
                ctx.session,
                place=place,
                entries=[entry],
                recorded_by_id=ctx.principal.user_id,
                counterpart=values.get("counterpart", ""),
                reference=values.get("reference", ""),
            )
            message = N_("The stock has been received.")
        else:
            stock.write_off(
                ctx.session,
                place=place,
                entries=[entry],
                reason=values.get("reason", ""),
                note=values.get("note", ""),
                recorded_by_id=ctx.principal.user_id,
            )
            message = N_("The stock has been written off.")
    except CorridorError as exc:
        ctx.session.rollback()
        return _place_page(
            request, ctx, place_id, status_code=exc.status, error=exc.detail, values=values
        )
    flash(request, message)
    return RedirectResponse(
        f"/operations/{ctx.operation.slug}/aid/places/{place_id}", status_code=303
    )


def _registration(ctx: OperationContext, raw: str) -> uuid.UUID | None:
    if not raw:
        return None
    try:
        found = uuid.UUID(raw.strip())
    except ValueError:
        raise InvalidInput("registration", "is not a registration reference") from None
    registration = ctx.session.get(Registration, found)
    if registration is None or registration.operation_id != ctx.operation.id:
        raise InvalidInput("registration", "is not a registration of this operation")
    return found


def _screen(
    request: Request,
    ctx: OperationContext,
    place_id: int,
    *,
    values: dict[str, str],
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    place = places.get_place(ctx.session, operation_id=ctx.operation.id, place_id=place_id)
    items = catalogue.list_items(ctx.session, operation_id=ctx.operation.id, active_only=True)
    held = defaultdict(int)
    for row in ledger.stock(ctx.session, place_id=place.id):
        held[row.item_id] += row.quantity
    standing: list[entitlements.Standing] = []
    members = None
    registration = None
    try:
        registration = _registration(ctx, values.get("registration", ""))
    except InvalidInput as exc:
        error = error or exc.detail
    if registration is not None:
        identity, standing = entitlements.look_up(
            ctx.session,
            operation_id=ctx.operation.id,
            user_id=ctx.principal.user_id,
            registration_id=registration,
        )
        members = len(identity.ages)
    found: list[recipients.Found] | None = None
    if registration is None and values.get("given_name", "").strip():
        try:
            found = recipients.search(
                ctx.session,
                operation_id=ctx.operation.id,
                user_id=ctx.principal.user_id,
                given_name=values.get("given_name", ""),
                family_name=values.get("family_name", ""),
            )
        except InvalidInput as exc:
            error = error or exc.detail
    return render(
        request,
        "aid/distribute.html",
        status_code=status_code,
        operation=ctx.operation,
        place=place,
        items=[i for i in items if held.get(i.id)],
        held=held,
        names={i.id: i.name for i in items},
        standing=standing,
        members=members,
        found=found,
        registration=registration,
        values=values,
        error=error,
        slots=range(ITEM_SLOTS),
        distribution_id=values.get("distribution_id") or str(uuid.uuid4()),
        may_override=decide(
            ctx.principal, ctx.operation.participation, Action.ENTITLEMENT_OVERRIDE
        ).allowed,
    )


@router.get("/operations/{slug}/aid/places/{place_id}/distribute")
def distribute_page(
    request: Request,
    place_id: RowId,
    ctx: OperationContext = Depends(require(Action.DISTRIBUTE)),
) -> Response:
    """The screen an officer serves a family from (``?registration=`` from their record)."""
    return _screen(request, ctx, place_id, values=dict(request.query_params))


@router.post("/operations/{slug}/aid/places/{place_id}/distribute")
async def distribute_submit(
    request: Request,
    place_id: RowId,
    ctx: OperationContext = Depends(require(Action.DISTRIBUTE)),
) -> Response:
    values = await form_values(request)
    try:
        place = places.get_place(ctx.session, operation_id=ctx.operation.id, place_id=place_id)
        if not _may(ctx, Action.DISTRIBUTE, place.organisation_id):
            raise Forbidden("this aid point is run by another organisation")
        registration = _registration(ctx, values.get("registration", ""))
        given = [distributions.Given(item, quantity) for item, quantity in _item_slots(values)]
        recipient = (
            distributions.Recipient(kind=RecipientKind.HOUSEHOLD, registration_id=registration)
            if registration is not None
            else distributions.Recipient(
                kind=RecipientKind.ANONYMOUS, people_count=values.get("people_count") or "1"
            )
        )
        distributions.distribute(
            ctx.session,
            place=place,
            distribution_id=uuid.UUID(values.get("distribution_id") or str(uuid.uuid4())),
            organisation_id=place.organisation_id,
            recipient=recipient,
            items=given,
            recorded_by_id=ctx.principal.user_id,
            override_reason=values.get("override_reason") or None,
            may_override=decide(
                ctx.principal, ctx.operation.participation, Action.ENTITLEMENT_OVERRIDE
            ).allowed,
        )
    except (CorridorError, ValueError) as exc:
        ctx.session.rollback()
        detail = exc.detail if isinstance(exc, CorridorError) else str(exc)
        status = exc.status if isinstance(exc, CorridorError) else 422
        values.pop("distribution_id", None)  # a new attempt is a new distribution
        return _screen(request, ctx, place_id, values=values, status_code=status, error=detail)
    flash(request, N_("The distribution has been recorded."))
    return RedirectResponse(
        f"/operations/{ctx.operation.slug}/aid/places/{place_id}", status_code=303
    )


# Waybills ----------------------------------------------------------------------------


def _waybill_page(
    request: Request,
    ctx: OperationContext,
    waybill_id: int,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    waybill = waybills.get(ctx.session, operation_id=ctx.operation.id, waybill_id=waybill_id)
    found = places.list_places(ctx.session, operation_id=ctx.operation.id)
    owner = {p.id: p.organisation_id for p in found}
    items = {i.id: i for i in catalogue.list_items(ctx.session, operation_id=ctx.operation.id)}
    return render(
        request,
        "aid/waybill.html",
        status_code=status_code,
        operation=ctx.operation,
        waybill=waybill,
        names={p.id: p.name for p in found},
        items=items,
        error=error,
        may_send=_may(ctx, Action.STOCK_WRITE, owner[waybill.from_place_id]),
        may_receive=_may(ctx, Action.STOCK_WRITE, owner[waybill.to_place_id]),
    )


def _new_waybill_page(
    request: Request,
    ctx: OperationContext,
    *,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    found = places.list_places(ctx.session, operation_id=ctx.operation.id)
    return render(
        request,
        "aid/waybill_new.html",
        status_code=status_code,
        operation=ctx.operation,
        sources=[p for p in found if _may(ctx, Action.STOCK_WRITE, p.organisation_id)],
        places=found,
        items=catalogue.list_items(ctx.session, operation_id=ctx.operation.id, active_only=True),
        values=values or {},
        slots=range(ITEM_SLOTS),
        error=error,
    )


@router.get("/operations/{slug}/aid/waybills/new")
def new_waybill_page(
    request: Request, ctx: OperationContext = Depends(require(Action.STOCK_WRITE))
) -> Response:
    return _new_waybill_page(request, ctx)


@router.post("/operations/{slug}/aid/waybills")
async def create_waybill(
    request: Request, ctx: OperationContext = Depends(require(Action.STOCK_WRITE))
) -> Response:
    values = await form_values(request)
    try:
        source = values.get("from_place_id", "")
        target = values.get("to_place_id", "")
        if not source.isdigit() or not target.isdigit():
            raise InvalidInput("from_place_id", "choose where the waybill leaves from and goes to")
        place = places.get_place(ctx.session, operation_id=ctx.operation.id, place_id=int(source))
        if not _may(ctx, Action.STOCK_WRITE, place.organisation_id):
            raise Forbidden("this place is run by another organisation")
        entries = [stock.Entry(item, quantity) for item, quantity in _item_slots(values)]
        waybill = waybills.create(
            ctx.session,
            operation_id=ctx.operation.id,
            from_place_id=place.id,
            to_place_id=int(target),
            entries=entries,
            created_by_id=ctx.principal.user_id,
            carrier=values.get("carrier", ""),
            notes=values.get("notes", ""),
        )
    except CorridorError as exc:
        ctx.session.rollback()
        return _new_waybill_page(
            request, ctx, values=values, status_code=exc.status, error=exc.detail
        )
    return RedirectResponse(
        f"/operations/{ctx.operation.slug}/aid/waybills/{waybill.id}", status_code=303
    )


@router.get("/operations/{slug}/aid/waybills/{waybill_id}")
def waybill_page(
    request: Request, waybill_id: RowId, ctx: OperationContext = Depends(require(Action.AID_READ))
) -> Response:
    """A waybill: its lines as sent, and as received; the next step for who may take it."""
    return _waybill_page(request, ctx, waybill_id)


@router.post("/operations/{slug}/aid/waybills/{waybill_id}/{step}")
async def waybill_step(
    request: Request,
    waybill_id: RowId,
    step: str,
    ctx: OperationContext = Depends(require(Action.STOCK_WRITE)),
) -> Response:
    """Dispatch, cancel or receive (each line: received, lost, damaged)."""
    values = await form_values(request)
    try:
        waybill = waybills.get(ctx.session, operation_id=ctx.operation.id, waybill_id=waybill_id)
        end = waybill.to_place_id if step == "receive" else waybill.from_place_id
        owner = places.get_place(ctx.session, operation_id=ctx.operation.id, place_id=end)
        if not _may(ctx, Action.STOCK_WRITE, owner.organisation_id):
            raise Forbidden("this place is run by another organisation")
        if step == "dispatch":
            waybills.dispatch(ctx.session, waybill, recorded_by_id=ctx.principal.user_id)
            message = N_("The waybill has been dispatched.")
        elif step == "cancel":
            waybills.cancel(ctx.session, waybill)
            message = N_("The waybill has been cancelled.")
        elif step == "receive":
            arrivals = [
                waybills.Arrival(
                    line.id,
                    values.get(f"received_{line.id}", ""),
                    values.get(f"lost_{line.id}") or 0,
                    values.get(f"damaged_{line.id}") or 0,
                )
                for line in waybill.lines
            ]
            waybills.receive(
                ctx.session, waybill, arrivals=arrivals, recorded_by_id=ctx.principal.user_id
            )
            message = N_("The waybill has been received.")
        else:
            raise InvalidInput("step", "must be dispatch, cancel or receive")
    except CorridorError as exc:
        ctx.session.rollback()
        return _waybill_page(request, ctx, waybill_id, status_code=exc.status, error=exc.detail)
    flash(request, message)
    return RedirectResponse(
        f"/operations/{ctx.operation.slug}/aid/waybills/{waybill_id}", status_code=303
    )


# Consultations -----------------------------------------------------------------------


def _tally_page(
    request: Request,
    ctx: OperationContext,
    place_id: int,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    place = places.get_place(ctx.session, operation_id=ctx.operation.id, place_id=place_id)
    return render(
        request,
        "aid/consultations.html",
        status_code=status_code,
        operation=ctx.operation,
        place=place,
        counts=consultations.counts(
            ctx.session, operation_id=ctx.operation.id, place_id=place.id, suppress=False
        ),
        categories=[c.value for c in ConsultationCategory],
        referrals=[r.value for r in Referral],
        age_bands=AGE_BANDS,
        today=datetime.now(UTC).date(),
        tally_id=str(uuid.uuid4()),
        error=error,
    )


@router.get("/operations/{slug}/aid/places/{place_id}/consultations")
def consultations_page(
    request: Request,
    place_id: RowId,
    ctx: OperationContext = Depends(require(Action.CONSULTATION_WRITE)),
) -> Response:
    """A medical point's tally: one consultation a click, and the day's counts."""
    return _tally_page(request, ctx, place_id)


@router.post("/operations/{slug}/aid/places/{place_id}/consultations")
async def record_consultation(
    request: Request,
    place_id: RowId,
    ctx: OperationContext = Depends(require(Action.CONSULTATION_WRITE)),
) -> Response:
    values = await form_values(request)
    try:
        place = places.get_place(ctx.session, operation_id=ctx.operation.id, place_id=place_id)
        if not _may(ctx, Action.CONSULTATION_WRITE, place.organisation_id):
            raise Forbidden("this place is run by another organisation")
        try:
            tally_id = uuid.UUID(values.get("tally_id", ""))
            day = date.fromisoformat(values.get("day", ""))
        except ValueError:
            raise InvalidInput("day", "is not a date") from None
        consultations.record(
            ctx.session,
            place=place,
            tallies=[
                consultations.Tally(
                    id=tally_id,
                    day=day,
                    age_band=values.get("age_band", ""),
                    sex=values.get("sex", ""),
                    category=values.get("category", ""),
                    referral=values.get("referral") or "none",
                )
            ],
            recorded_by_id=ctx.principal.user_id,
        )
    except CorridorError as exc:
        ctx.session.rollback()
        return _tally_page(request, ctx, place_id, status_code=exc.status, error=exc.detail)
    flash(request, N_("The consultation has been counted."))
    return RedirectResponse(
        f"/operations/{ctx.operation.slug}/aid/places/{place_id}/consultations", status_code=303
    )
