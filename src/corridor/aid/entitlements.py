"""Entitlement rules, checked against who someone is after deduplication.

A rule says how much of an item a household (or a person) may receive in a
number of days: "one food parcel per household per 30 days", "one hygiene kit
per person of 12 years or more per 30 days" (for a household, one per member
of that age). What was already received is counted against the recipient's
identity as deduplication knows it now: the household cluster, every person
in it, every id those persons had before a merge (linkage's alias table), and
every registration of them; so a family registered twice, at two checkpoints,
does not receive twice. Before the linkage has run, a registration stands for
its own household. An anonymous distribution names no one, and no rule applies.

Reversed distributions are not counted. Ages are read from the registrations
(the date of birth, or the estimate at registration).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from corridor.aid import checks
from corridor.aid.models import (
    DISTRIBUTION_PURPOSE,
    Distribution,
    EntitlementRule,
    EntitlementUnit,
    Item,
    Movement,
    MovementLine,
)
from corridor.audit.access import record_access
from corridor.crossings.models import RegistrationMember
from corridor.db.types import utcnow
from corridor.errors import Conflict, InvalidInput, NotFound
from corridor.linkage.models import Person, PersonAlias, PersonRecord
from corridor.linkage.persons import resolve

MAX_ALIAS_ROUNDS = 20


@dataclass
class Identity:
    """Everything that names one recipient now: past distributions under any of it count."""

    household_id: uuid.UUID | None = None
    person_ids: set[uuid.UUID] = field(default_factory=set)
    registration_ids: set[uuid.UUID] = field(default_factory=set)
    ages: list[int | None] = field(default_factory=list)  # of the household's members


@dataclass(frozen=True)
class Standing:
    """A rule as it stands for one recipient."""

    rule: EntitlementRule
    allowance: int
    received: int
    next_on: date | None  # when the oldest counted distribution leaves the window

    @property
    def remaining(self) -> int:
        return max(0, self.allowance - self.received)


class EntitlementExceeded(Conflict):
    """409: the distribution would give more than a rule allows (a coordinator may override)."""


# Rules --------------------------------------------------------------------------------


def list_rules(session: Session, *, operation_id: int) -> list[EntitlementRule]:
    return list(
        session.scalars(
            select(EntitlementRule)
            .where(EntitlementRule.operation_id == operation_id)
            .order_by(EntitlementRule.id)
        )
    )


def create_rule(
    session: Session,
    *,
    operation_id: int,
    name: str,
    item_id: int,
    quantity: object,
    per: EntitlementUnit | str,
    period_days: object,
    min_age_years: int | None = None,
) -> EntitlementRule:
    item = session.get(Item, item_id)
    if item is None or item.operation_id != operation_id:
        raise NotFound("item_id: no such item in this operation")
    unit = checks.choice(EntitlementUnit, per, "per")
    days = checks.quantity(period_days, "period_days")
    if days > 366:
        raise InvalidInput("period_days", "must be at most 366")
    if min_age_years is not None and not 0 <= min_age_years <= 120:
        raise InvalidInput("min_age_years", "must be between 0 and 120")
    if min_age_years is not None and unit != EntitlementUnit.PERSON:
        raise InvalidInput("min_age_years", "applies to rules per person")
    rule = EntitlementRule(
        operation_id=operation_id,
        name=checks.display_name(name),
        item_id=item.id,
        quantity=checks.quantity(quantity, "quantity"),
        per=unit,
        period_days=days,
        min_age_years=min_age_years,
    )
    session.add(rule)
    session.flush()
    return rule


def get_rule(session: Session, *, operation_id: int, rule_id: int) -> EntitlementRule:
    rule = session.get(EntitlementRule, rule_id)
    if rule is None or rule.operation_id != operation_id:
        raise NotFound("no such entitlement rule in this operation")
    return rule


# Who someone is -----------------------------------------------------------------------


def identify(
    session: Session,
    *,
    operation_id: int,
    registration_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    household_id: uuid.UUID | None = None,
) -> Identity:
    """The recipient's household identity, following deduplication and its merges."""
    identity = Identity()
    persons: set[uuid.UUID] = set()
    if person_id is not None:
        persons.add(resolve(session, person_id))
    if registration_id is not None:
        identity.registration_ids.add(registration_id)
        persons |= {
            resolve(session, p)
            for p in session.scalars(
                select(PersonRecord.person_id)
                .join(RegistrationMember, RegistrationMember.id == PersonRecord.member_id)
                .where(RegistrationMember.registration_id == registration_id)
            )
        }
    if household_id is None and persons:
        household_id = session.scalar(
            select(Person.household_id)
            .where(Person.id.in_(persons), Person.household_id.is_not(None))
            .order_by(Person.seq)
            .limit(1)
        )
    identity.household_id = household_id
    if household_id is not None:
        persons |= set(
            session.scalars(
                select(Person.id).where(
                    Person.operation_id == operation_id, Person.household_id == household_id
                )
            )
        )
    identity.person_ids = persons | _former_ids(session, persons)
    if persons:
        identity.registration_ids |= set(
            session.scalars(
                select(RegistrationMember.registration_id)
                .join(PersonRecord, PersonRecord.member_id == RegistrationMember.id)
                .where(PersonRecord.person_id.in_(persons))
            )
        )
    identity.ages = _ages(session, persons, registration_id)
    return identity


def _former_ids(session: Session, persons: set[uuid.UUID]) -> set[uuid.UUID]:
    """Every id merged, directly or through others, into one of ``persons``."""
    found: set[uuid.UUID] = set()
    frontier = set(persons)
    for _ in range(MAX_ALIAS_ROUNDS):
        if not frontier:
            break
        older = set(
            session.scalars(select(PersonAlias.old_id).where(PersonAlias.person_id.in_(frontier)))
        )
        frontier = older - found - persons
        found |= frontier
    return found


def _ages(
    session: Session, persons: set[uuid.UUID], registration_id: uuid.UUID | None
) -> list[int | None]:
    """One age per member: per person when deduplicated, else the registration's members."""
    today = datetime.now(UTC).date()
    if persons:
        rows = session.execute(
            select(
                PersonRecord.person_id,
                RegistrationMember.dob,
                RegistrationMember.age_estimate,
                RegistrationMember.created_at,
            )
            .join(RegistrationMember, RegistrationMember.id == PersonRecord.member_id)
            .where(PersonRecord.person_id.in_(persons))
        ).all()
        by_person: dict[uuid.UUID, int | None] = {}
        for person, dob, estimate, registered in rows:
            age = age_on(dob, estimate, registered, today)
            if by_person.get(person) is None:
                by_person[person] = age
        return list(by_person.values())
    if registration_id is None:
        return []
    return [
        age_on(dob, estimate, registered, today)
        for dob, estimate, registered in session.execute(
            select(
                RegistrationMember.dob,
                RegistrationMember.age_estimate,
                RegistrationMember.created_at,
            ).where(RegistrationMember.registration_id == registration_id)
        )
    ]


def age_on(dob: date | None, estimate: int | None, registered: datetime, today: date) -> int | None:
    """A member's age today: from the date of birth, or the estimate made at registration."""
    if dob is not None:
        return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
    if estimate is not None:
        return estimate + (today - registered.date()).days // 365
    return None


# Standing -----------------------------------------------------------------------------


def standing(
    session: Session,
    *,
    operation_id: int,
    identity: Identity,
    individual: bool,
    at: datetime | None = None,
    item_ids: Iterable[int] | None = None,
) -> list[Standing]:
    """Each active rule (for ``item_ids``, or all) as it stands for the recipient.

    ``individual``: the distribution is for one person, not the household.
    """
    at = at or utcnow()
    rules = [
        rule
        for rule in list_rules(session, operation_id=operation_id)
        if rule.active and (item_ids is None or rule.item_id in set(item_ids))
    ]
    found = []
    for rule in rules:
        allowance = allowance_of(rule, identity, individual)
        since = at - timedelta(days=rule.period_days)
        received, oldest = _received(session, operation_id, identity, rule.item_id, since, at)
        next_on = (oldest + timedelta(days=rule.period_days)).date() if oldest else None
        found.append(Standing(rule, allowance, received, next_on))
    return found


def allowance_of(rule: EntitlementRule, identity: Identity, individual: bool) -> int:
    if rule.per == EntitlementUnit.HOUSEHOLD:
        return rule.quantity
    ages = identity.ages if not individual else identity.ages[:1]
    if not ages:
        ages = [None]
    eligible = sum(
        1
        for age in ages
        if rule.min_age_years is None or (age is not None and age >= rule.min_age_years)
    )
    return rule.quantity * eligible


def _received(
    session: Session,
    operation_id: int,
    identity: Identity,
    item_id: int,
    since: datetime,
    until: datetime,
) -> tuple[int, datetime | None]:
    """Units of ``item_id`` given to the identity in the window, and the oldest such time."""
    named = []
    if identity.household_id is not None:
        named.append(Distribution.household_id == identity.household_id)
    if identity.person_ids:
        named.append(Distribution.person_id.in_(identity.person_ids))
    if identity.registration_ids:
        named.append(Distribution.registration_id.in_(identity.registration_ids))
    if not named:
        return 0, None
    reversal = aliased(Movement)
    row = session.execute(
        select(
            -func.coalesce(func.sum(MovementLine.quantity), 0),
            func.min(Distribution.distributed_at),
        )
        .select_from(Distribution)
        .join(MovementLine, MovementLine.movement_id == Distribution.movement_id)
        .outerjoin(reversal, reversal.reverses_id == Distribution.movement_id)
        .where(
            Distribution.operation_id == operation_id,
            Distribution.deleted_at.is_(None),
            MovementLine.item_id == item_id,
            Distribution.distributed_at > since,
            Distribution.distributed_at <= until,
            reversal.id.is_(None),
            or_(*named),
        )
    ).one()
    return int(row[0] or 0), row[1]


def look_up(
    session: Session,
    *,
    operation_id: int,
    user_id: int,
    registration_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    household_id: uuid.UUID | None = None,
    individual: bool = False,
) -> tuple[Identity, list[Standing]]:
    """A recipient's standing as an officer asks for it: written to the access log."""
    identity = identify(
        session,
        operation_id=operation_id,
        registration_id=registration_id,
        person_id=person_id,
        household_id=household_id,
    )
    record_access(
        session,
        user_id=user_id,
        operation_id=operation_id,
        action="aid.entitlement_status",
        entity_type="entitlement_status",
        entity_id=str(household_id or person_id or registration_id),
        purpose=DISTRIBUTION_PURPOSE,
    )
    return identity, standing(
        session, operation_id=operation_id, identity=identity, individual=individual
    )


def breaches(standings: list[Standing], asked: dict[int, int]) -> list[Standing]:
    """The rules that giving ``asked`` (item id → quantity) would exceed."""
    return [s for s in standings if s.received + asked.get(s.rule.item_id, 0) > s.allowance]


def explain(found: list[Standing], asked: dict[int, int]) -> str:
    """The refusal as the officer reads it: no personal data, the rule and the numbers."""
    parts = [
        f"{s.rule.name}: {s.received} of {s.allowance} already received in the last "
        f"{s.rule.period_days} days, {asked.get(s.rule.item_id, 0)} asked"
        for s in found
    ]
    return "entitlement exceeded (" + "; ".join(parts) + ")"
