"""Distribution lists captured offline, on phones, through the OpenRosa server.

An officer at an aid point without a connection records each distribution in
ODK Collect (or Enketo) with the shipped ``distribution`` form, and the phone
sends it when it can. What the form records has already happened: it is
always stored, even when the ledger held less than was given, the recipient
had already received their entitlement, or the point was not open. Each such
fact is a flag (``ReconciliationFlag``) on the distribution, and the
reconciliation page lists them for a coordinator. A shortfall is brought into
the ledger as a ``discrepancy`` movement (so that no balance goes below zero
and every balance still equals its movements) and stays open until the next
stock count at that point settles it. Only online distributions are refused.

Phones learn the aid points, the items and every registration's entitlement
standing from the form's media files (``aid_points.csv``, ``items.csv``,
``entitlements.csv``), in the manner of ODK Entities: the form warns the
officer of a distribution beyond the entitlement while offline.

Crossings stores the submission; this module is registered with it through
``corridor.crossings.extensions``.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.accounts.permissions import Action
from corridor.aid import catalogue, checks, entitlement_table, entitlements, ledger, places
from corridor.aid.distributions import MAX_PEOPLE
from corridor.aid.models import (
    DISTRIBUTION_PURPOSE,
    Distribution,
    Item,
    Movement,
    MovementKind,
    Place,
    PlaceKind,
    PlaceStatus,
    RecipientKind,
    ReconciliationFlag,
)
from corridor.crossings import extensions
from corridor.crossings.forms import csv_file
from corridor.crossings.models import FormKind, Registration, Submission
from corridor.crossings.openrosa import BadSubmission
from corridor.db.mixins import LawfulBasis
from corridor.db.types import utcnow
from corridor.errors import Forbidden, InvalidInput

FORM_NAME = "distribution"
SHORTFALL_REASON = "given offline beyond the recorded stock; open until the next stock count"


@dataclass(frozen=True)
class Captured:
    """A distribution list entry as the checks found it (nothing written yet)."""

    distribution_id: uuid.UUID
    place_id: int
    organisation_id: int
    recorded_by_id: int
    kind: RecipientKind
    registration_id: uuid.UUID | None
    reference: str  # the registration number as typed or scanned, when none is stored
    people: int
    items: dict[int, int]  # item id → whole quantity given
    distributed_at: datetime
    reason: str


# Checks (before anything is written) ------------------------------------------------


def check(session: Session, submitted: extensions.Submitted) -> Captured:
    values = submitted.values
    place = session.get(Place, _whole(values.get("aid_point", ""), "aid_point"))
    if place is None or place.operation_id != submitted.operation_id:
        raise BadSubmission("aid_point: is not an aid point of this operation")
    if place.kind != PlaceKind.AID_POINT:
        raise BadSubmission("aid_point: is a warehouse; distributions are made at aid points")
    if not places.reaches_place(submitted.may(Action.DISTRIBUTE), place.organisation_id):
        raise Forbidden("aid_point: this aid point is run by another organisation")
    try:
        kind = RecipientKind(values.get("recipient_kind", ""))
    except ValueError:
        raise BadSubmission("recipient_kind: must be household, individual or anonymous") from None
    reference = " ".join(values.get("registration", "").split())
    registration_id, people = None, 1
    if kind == RecipientKind.ANONYMOUS:
        people = _whole(values.get("people_count", ""), "people_count")
        if people > MAX_PEOPLE:
            raise BadSubmission(f"people_count: must be at most {MAX_PEOPLE}")
        reference = ""
    else:
        if not reference:
            raise BadSubmission("registration: is required unless the distribution is anonymous")
        if len(reference) > 100:
            raise BadSubmission("registration: must be at most 100 characters")
        registration_id = _registration(session, submitted.operation_id, reference)
    lines = next((rows for path, rows in submitted.rows.items() if path.endswith("/line")), [])
    if not lines:
        raise BadSubmission("line: at least one item is required")
    items: dict[int, int] = {}
    for index, row in enumerate(lines):
        where = f"line[{index + 1}]"
        item = session.get(Item, _whole(row.get("item", ""), f"{where}/item"))
        if item is None or item.operation_id != submitted.operation_id:
            raise BadSubmission(f"{where}/item: is not an item of this operation")
        quantity = _whole(row.get("quantity", ""), f"{where}/quantity")
        items[item.id] = items.get(item.id, 0) + quantity
    distributed_at = _moment(values.get("distributed_at", "")) or submitted.recorded_at
    try:
        distributed_at = checks.past_moment(distributed_at, "distributed_at") or utcnow()
    except InvalidInput as error:
        raise BadSubmission(error.detail) from None
    return Captured(
        distribution_id=uuid.uuid5(
            uuid.NAMESPACE_URL, f"corridor:distribution:{submitted.instance_id}"
        ),
        place_id=place.id,
        organisation_id=submitted.organisation_id,
        recorded_by_id=submitted.user_id,
        kind=kind,
        registration_id=registration_id,
        reference="" if registration_id else reference,
        people=people,
        items=items,
        distributed_at=distributed_at,
        reason=" ".join(values.get("reason", "").split())[:2000],
    )


def _whole(raw: str, field: str) -> int:
    """A positive whole number; the device reads the error as the shared check words it."""
    try:
        return checks.quantity(raw, field)
    except InvalidInput as error:
        raise BadSubmission(error.detail) from None


def _moment(raw: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _registration(session: Session, operation_id: int, reference: str) -> uuid.UUID | None:
    """The registration a number names, if it is stored here (it may still be on its way)."""
    try:
        wanted = uuid.UUID(reference.removeprefix("uuid:"))
    except ValueError:
        return None
    found = session.scalar(
        select(Registration.operation_id).where(
            Registration.id == wanted, Registration.deleted_at.is_(None)
        )
    )
    return wanted if found == operation_id else None


# Storing (never refuses: the checks are behind it) ------------------------------------


def store(
    session: Session, submission: Submission, captured: Captured, previous: Submission | None
) -> None:
    if previous is not None:
        _withdraw(session, previous, recorded_by_id=captured.recorded_by_id)
    record(session, captured, submission_id=submission.id)


def record(
    session: Session, captured: Captured, *, submission_id: uuid.UUID | None
) -> Distribution:
    """Post what was given, bringing any shortfall into the ledger, and flag what
    did not add up; the distribution is kept whatever the flags."""
    place = session.get_one(Place, captured.place_id)
    flags: list[dict[str, str]] = []
    if place.status != PlaceStatus.OPEN:
        flags.append(_flag(ReconciliationFlag.POINT_NOT_OPEN, f"the aid point was {place.status}"))
    if captured.kind != RecipientKind.ANONYMOUS and captured.registration_id is None:
        flags.append(
            _flag(
                ReconciliationFlag.UNKNOWN_RECIPIENT,
                "no registration with this number is stored (yet)",
            )
        )
    exceeded = _entitlement_breach(session, place, captured)
    if exceeded:
        flags.append(_flag(ReconciliationFlag.ENTITLEMENT_EXCEEDED, exceeded))
    lines, shortfalls, codes = [], [], []
    for item_id, quantity in sorted(captured.items.items()):
        item = session.get_one(Item, item_id)
        picked, short = ledger.pick_available(
            session, place=place, item=item, quantity=quantity, lock=True
        )
        lines.extend(picked)
        if short:
            batch = catalogue.unrecorded_batch(session, item)
            shortfalls.append(ledger.Line(item.id, batch.id, short))
            lines.append(ledger.Line(item.id, batch.id, -short))
            codes.append(f"{short} {item.code}")
    reference = f"distribution {captured.distribution_id}"
    discrepancy = None
    if shortfalls:
        discrepancy = ledger.post(
            session,
            place=place,
            kind=MovementKind.DISCREPANCY,
            lines=shortfalls,
            recorded_by_id=captured.recorded_by_id,
            occurred_at=captured.distributed_at,
            reference=reference,
            reason=SHORTFALL_REASON,
        )
        flags.append(
            _flag(
                ReconciliationFlag.STOCK_SHORTFALL,
                ", ".join(codes) + " given beyond the recorded stock",
            )
        )
    movement = ledger.post(
        session,
        place=place,
        kind=MovementKind.DISTRIBUTION,
        lines=lines,
        recorded_by_id=captured.recorded_by_id,
        occurred_at=captured.distributed_at,
        reference=reference,
        flush=False,
    )
    distribution = Distribution(
        id=captured.distribution_id,
        operation_id=place.operation_id,
        organisation_id=captured.organisation_id,
        place_id=place.id,
        recipient_kind=captured.kind,
        registration_id=captured.registration_id,
        people_count=captured.people,
        distributed_at=captured.distributed_at,
        recorded_by_id=captured.recorded_by_id,
        movement=movement,
        content_sha256=_digest(captured),
        override_reason=captured.reason or None,
        submission_id=submission_id,
        flags=flags,
        flagged=bool(flags),
        recipient_reference=captured.reference,
        discrepancy_movement_id=discrepancy.id if discrepancy else None,
        purpose=DISTRIBUTION_PURPOSE,
        lawful_basis=LawfulBasis.VITAL_INTEREST,
    )
    session.add(distribution)
    session.flush()
    return distribution


def _entitlement_breach(session: Session, place: Place, captured: Captured) -> str:
    """The rules this distribution went beyond, explained ("" when none)."""
    if captured.registration_id is None:
        return ""
    identity = entitlements.identify(
        session, operation_id=place.operation_id, registration_id=captured.registration_id
    )
    exceeded = entitlements.breaches(
        entitlements.standing(
            session,
            operation_id=place.operation_id,
            identity=identity,
            individual=captured.kind == RecipientKind.INDIVIDUAL,
            at=captured.distributed_at,
            item_ids=captured.items,
        ),
        captured.items,
    )
    return entitlements.explain(exceeded, captured.items) if exceeded else ""


def _withdraw(session: Session, previous: Submission, *, recorded_by_id: int) -> None:
    """An edit replaces the distribution its earlier version recorded: reverse that one."""
    earlier = session.scalar(select(Distribution).where(Distribution.submission_id == previous.id))
    if earlier is None:
        return
    reversed_already = session.scalar(
        select(Movement.id).where(Movement.reverses_id == earlier.movement_id)
    )
    if reversed_already is None:
        ledger.reverse(
            session,
            movement=earlier.movement,
            reason="replaced by an edit of the distribution list",
            recorded_by_id=recorded_by_id,
        )


def _flag(code: ReconciliationFlag, detail: str) -> dict[str, str]:
    return {"code": code.value, "detail": detail}


def _digest(captured: Captured) -> str:
    content = {
        "place": captured.place_id,
        "kind": captured.kind.value,
        "registration": str(captured.registration_id or captured.reference),
        "people": captured.people,
        "items": sorted([item, quantity, 0] for item, quantity in captured.items.items()),
    }
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


# Media files --------------------------------------------------------------------------


def aid_points_csv(session: Session, operation_id: int) -> bytes:
    """The operation's aid points that are not closed (a planned one may open offline)."""
    rows = session.execute(
        select(Place.id, Place.name)
        .where(
            Place.operation_id == operation_id,
            Place.kind == PlaceKind.AID_POINT,
            Place.status != PlaceStatus.CLOSED,
        )
        .order_by(Place.name)
    ).all()
    return csv_file(["name", "label"], [(str(place_id), name) for place_id, name in rows])


def items_csv(session: Session, operation_id: int) -> bytes:
    items = catalogue.list_items(session, operation_id=operation_id, active_only=True)
    return csv_file(
        ["name", "label"], [(str(item.id), f"{item.name} ({item.unit.value})") for item in items]
    )


def entitlements_csv(session: Session, operation_id: int) -> bytes:
    """Every registration's standing: one row per registration (its household size) and
    one per registration and ruled item (allowance, received, remaining). No names:
    a phone holds registration numbers and figures, nothing more."""
    rows: list[tuple[str, ...]] = []
    for standing in entitlement_table.table(session, operation_id=operation_id):
        key = str(standing.registration_id)
        rows.append((key, "", str(standing.household_size), "", "", ""))
        for item_id, (allowance, received, remaining) in sorted(standing.items.items()):
            rows.append((f"{key}/{item_id}", "", "", str(allowance), str(received), str(remaining)))
    return csv_file(["name", "label", "household_size", "allowance", "received", "remaining"], rows)


extensions.register_form(
    extensions.FormExtension(
        kind=FormKind.DISTRIBUTION,
        form_name=FORM_NAME,
        package="corridor.aid",
        action=Action.DISTRIBUTE,
        purpose=DISTRIBUTION_PURPOSE,
        lawful_basis=LawfulBasis.VITAL_INTEREST,
        check=check,
        store=store,  # type: ignore[arg-type]
    )
)
extensions.register_media("aid_points.csv", extensions.Media(aid_points_csv))
extensions.register_media("items.csv", extensions.Media(items_csv))
extensions.register_media(
    "entitlements.csv",
    extensions.Media(
        entitlements_csv, action=Action.DISTRIBUTE, access_purpose=DISTRIBUTION_PURPOSE
    ),
)
