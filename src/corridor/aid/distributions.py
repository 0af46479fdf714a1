"""Distributions: items handed out at an aid point, to a household, a person or anonymously.

A distribution made online is refused (409) when the point holds too little;
nothing is posted then. The client makes the distribution's id, so a resend
after a lost answer is recognised: the same content is acknowledged again, a
different content under the same id is a conflict.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from corridor.aid import catalogue, checks, entitlements, ledger
from corridor.aid.models import (
    DISTRIBUTION_PURPOSE,
    Distribution,
    MovementKind,
    Place,
    PlaceKind,
    PlaceStatus,
    RecipientKind,
)
from corridor.crossings.models import Registration
from corridor.db.mixins import LawfulBasis
from corridor.errors import Conflict, Forbidden, InvalidInput, NotFound

PURPOSE = DISTRIBUTION_PURPOSE
MAX_PEOPLE = 1000


@dataclass(frozen=True)
class Given:
    """One item handed out: a whole quantity, from a named batch or first-expiry-first-out."""

    item_id: int
    quantity: object
    batch_id: int | None = None


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind | str
    registration_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    people_count: object = 1


@dataclass(frozen=True)
class Distributed:
    distribution: Distribution
    created: bool  # False: this id was already stored with the same content


def distribute(
    session: Session,
    *,
    place: Place,
    distribution_id: uuid.UUID,
    organisation_id: int,
    recipient: Recipient,
    items: list[Given],
    recorded_by_id: int | None,
    distributed_at: datetime | None = None,
    override_reason: str | None = None,
    may_override: bool = False,
    look_for_resend: bool = True,
) -> Distributed:
    """Hand out ``items`` at ``place``: checked, picked, posted, recorded.

    Entitlement rules are checked against the recipient's deduplicated identity
    (``corridor.aid.entitlements``); beyond them, only with ``override_reason``
    and ``may_override`` (a coordinator), and the distribution keeps both.

    ``look_for_resend=False`` skips looking for a distribution stored under
    this id (a lookup that costs as much as a quarter of the rest): the caller
    then meets a resend as an ``IntegrityError`` at the flush, rolls back and
    asks again with the lookup (the API's route does).
    """
    kind = checks.choice(RecipientKind, recipient.kind, "recipient.kind")
    distributed_at = checks.past_moment(distributed_at, "distributed_at")
    people = checks.quantity(recipient.people_count, "recipient.people_count")
    if people > MAX_PEOPLE:
        raise InvalidInput("recipient.people_count", f"must be at most {MAX_PEOPLE}")
    if not items:
        raise InvalidInput("items", "at least one item is required")
    wanted: list[tuple[catalogue.Item, int, int | None]] = []
    for index, given in enumerate(items):
        field = f"items[{index}]"
        item = catalogue.get_item(session, operation_id=place.operation_id, item_id=given.item_id)
        if not item.active:
            raise InvalidInput(f"{field}.item_id", "is no longer in use")
        quantity = checks.quantity(given.quantity, f"{field}.quantity")
        batch_id = None
        if given.batch_id is not None:
            batch_id = catalogue.get_batch(
                session, item, given.batch_id, field=f"{field}.batch_id"
            ).id
        wanted.append((item, quantity, batch_id))
    digest = _digest(place.id, kind, recipient, people, wanted)
    stored = session.get(Distribution, distribution_id) if look_for_resend else None
    if stored is not None:
        if stored.operation_id != place.operation_id or stored.content_sha256 != digest:
            raise Conflict("a different distribution with this id is already stored")
        return Distributed(stored, created=False)
    _check_recipient(session, place, kind, recipient)
    if place.kind != PlaceKind.AID_POINT:
        raise Conflict("distributions are made at aid points, not warehouses")
    if place.status != PlaceStatus.OPEN:
        raise Conflict(f"this aid point is {place.status.value}: open it to distribute")
    overridden = _check_entitlements(
        session,
        place=place,
        kind=kind,
        recipient=recipient,
        wanted=wanted,
        at=distributed_at,
        override_reason=override_reason,
        may_override=may_override,
    )
    lines: list[ledger.Line] = []
    for item, quantity, batch_id in wanted:
        if batch_id is not None:
            lines.append(ledger.Line(item.id, batch_id, -quantity))
        else:
            lines.extend(ledger.pick(session, place=place, item=item, quantity=quantity))
    movement = ledger.post(
        session,
        place=place,
        kind=MovementKind.DISTRIBUTION,
        lines=lines,
        recorded_by_id=recorded_by_id,
        occurred_at=distributed_at,
        reference=f"distribution {distribution_id}",
        flush=False,
        balances_now=False,
    )
    distribution = Distribution(
        id=distribution_id,
        operation_id=place.operation_id,
        organisation_id=organisation_id,
        place_id=place.id,
        recipient_kind=kind,
        registration_id=recipient.registration_id,
        person_id=recipient.person_id,
        household_id=recipient.household_id,
        people_count=people,
        distributed_at=movement.occurred_at,
        recorded_by_id=recorded_by_id,
        movement=movement,
        content_sha256=digest,
        override_reason=overridden,
        overridden_by_id=recorded_by_id if overridden else None,
        purpose=PURPOSE,
        lawful_basis=LawfulBasis.VITAL_INTEREST,
    )
    session.add(distribution)
    session.flush()
    # Last, so that the balance row is locked only from here to the commit.
    ledger.move_balances(session, place, lines)
    return Distributed(distribution, created=True)


def _check_entitlements(
    session: Session,
    *,
    place: Place,
    kind: RecipientKind,
    recipient: Recipient,
    wanted: list[tuple[catalogue.Item, int, int | None]],
    at: datetime | None,
    override_reason: str | None,
    may_override: bool,
) -> str | None:
    """Refuse what exceeds a rule; the override's reason when one is used."""
    if kind == RecipientKind.ANONYMOUS:
        return None
    identity = entitlements.identify(
        session,
        operation_id=place.operation_id,
        registration_id=recipient.registration_id,
        person_id=recipient.person_id,
        household_id=recipient.household_id,
    )
    _serialise_per_recipient(session, identity)
    asked: dict[int, int] = {}
    for item, quantity, _batch in wanted:
        asked[item.id] = asked.get(item.id, 0) + quantity
    exceeded = entitlements.breaches(
        entitlements.standing(
            session,
            operation_id=place.operation_id,
            identity=identity,
            individual=kind == RecipientKind.INDIVIDUAL,
            at=at,
            item_ids=asked,
        ),
        asked,
    )
    if not exceeded:
        return None
    reason = " ".join((override_reason or "").split())
    if not reason:
        raise entitlements.EntitlementExceeded(entitlements.explain(exceeded, asked))
    if not may_override:
        raise Forbidden("only a coordinator may give more than an entitlement allows")
    return reason[:2000]


def _serialise_per_recipient(session: Session, identity: entitlements.Identity) -> None:
    """Two officers serving one family at once take turns from here to the commit, so
    that both cannot pass the check (PostgreSQL; SQLite's writers always take turns)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    named = identity.household_id or min(
        identity.person_ids | identity.registration_ids, default=None, key=str
    )
    if named is not None:
        key = int.from_bytes(named.bytes[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _check_recipient(
    session: Session, place: Place, kind: RecipientKind, recipient: Recipient
) -> None:
    named = (recipient.registration_id, recipient.person_id, recipient.household_id)
    if kind == RecipientKind.ANONYMOUS:
        if any(value is not None for value in named):
            raise InvalidInput("recipient.kind", "an anonymous distribution names no one")
        return
    if all(value is None for value in named):
        raise InvalidInput(
            "recipient", "name a registration, person or household, or make it anonymous"
        )
    if recipient.registration_id is not None:
        operation = session.scalar(
            select(Registration.operation_id).where(Registration.id == recipient.registration_id)
        )
        if operation != place.operation_id:
            raise NotFound("recipient.registration_id: no such registration in this operation")


def _digest(
    place_id: int,
    kind: RecipientKind,
    recipient: Recipient,
    people: int,
    wanted: list[tuple[catalogue.Item, int, int | None]],
) -> str:
    """What a resend must repeat to be the same distribution."""
    content = {
        "place": place_id,
        "kind": kind.value,
        "registration": str(recipient.registration_id or ""),
        "person": str(recipient.person_id or ""),
        "household": str(recipient.household_id or ""),
        "people": people,
        "items": sorted([item.id, quantity, batch or 0] for item, quantity, batch in wanted),
    }
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()
