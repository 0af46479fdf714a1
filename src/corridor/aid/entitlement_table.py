"""Every registration's entitlement standing at once: what phones take offline.

``corridor.aid.entitlements`` answers for one recipient with a few queries;
a phone that distributes offline needs the answer for every registration of
the operation, in the manner of ODK Entities (a CSV in the form's media,
``entitlements.csv``). Asking ``identify`` and ``standing`` once per
registration would be thousands of queries; this module reads each table
once and follows the same rules in memory: a registration stands for its
deduplicated household (linkage's persons and households, following merges),
and distributions to any of its ids in a rule's window count against it.
``tests/aid/test_entitlement_table.py`` holds the two to the same answers.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from corridor.aid.entitlements import Identity, age_on, allowance_of, list_rules
from corridor.aid.models import Distribution, EntitlementRule, Movement, MovementLine
from corridor.crossings.models import Registration, RegistrationMember
from corridor.db.types import utcnow
from corridor.linkage.models import Person, PersonAlias, PersonRecord


@dataclass(frozen=True)
class RegistrationStanding:
    registration_id: uuid.UUID
    household_size: int
    # item id → (allowance, received, remaining) under the strictest rule for that item
    items: dict[int, tuple[int, int, int]]


@dataclass(frozen=True)
class _Given:
    household_id: uuid.UUID | None
    person_id: uuid.UUID | None
    registration_id: uuid.UUID | None
    item_id: int
    quantity: int
    at: datetime


def table(
    session: Session, *, operation_id: int, at: datetime | None = None
) -> list[RegistrationStanding]:
    """The standing of every registration of the operation under its active rules."""
    at = at or utcnow()
    rules = [rule for rule in list_rules(session, operation_id=operation_id) if rule.active]
    links = _Links.load(session, operation_id)
    given = _given(session, operation_id, rules, at)
    by_household: dict[uuid.UUID, list[_Given]] = defaultdict(list)
    by_person: dict[uuid.UUID, list[_Given]] = defaultdict(list)
    by_registration: dict[uuid.UUID, list[_Given]] = defaultdict(list)
    for row in given:
        if row.household_id is not None:
            by_household[row.household_id].append(row)
        if row.person_id is not None:
            by_person[row.person_id].append(row)
        if row.registration_id is not None:
            by_registration[row.registration_id].append(row)
    found = []
    for registration_id in links.registrations:
        identity = links.identity(registration_id)
        seen: dict[int, _Given] = {}
        if identity.household_id is not None:
            seen.update((id(g), g) for g in by_household.get(identity.household_id, ()))
        for person in identity.person_ids:
            seen.update((id(g), g) for g in by_person.get(person, ()))
        for registration in identity.registration_ids:
            seen.update((id(g), g) for g in by_registration.get(registration, ()))
        items: dict[int, tuple[int, int, int]] = {}
        for rule in rules:
            since = at - timedelta(days=rule.period_days)
            received = sum(
                g.quantity
                for g in seen.values()
                if g.item_id == rule.item_id and since < g.at <= at
            )
            allowance = allowance_of(rule, identity, individual=False)
            remaining = max(0, allowance - received)
            if rule.item_id not in items or remaining < items[rule.item_id][2]:
                items[rule.item_id] = (allowance, received, remaining)
        found.append(RegistrationStanding(registration_id, max(1, len(identity.ages)), items))
    return found


def _given(
    session: Session, operation_id: int, rules: list[EntitlementRule], at: datetime
) -> list[_Given]:
    """Units of the rules' items given in the longest window, not reversed, per distribution."""
    if not rules:
        return []
    since = at - timedelta(days=max(rule.period_days for rule in rules))
    reversal = aliased(Movement)
    rows = session.execute(
        select(
            Distribution.household_id,
            Distribution.person_id,
            Distribution.registration_id,
            MovementLine.item_id,
            MovementLine.quantity,
            Distribution.distributed_at,
            Distribution.id,
        )
        .join(MovementLine, MovementLine.movement_id == Distribution.movement_id)
        .outerjoin(reversal, reversal.reverses_id == Distribution.movement_id)
        .where(
            Distribution.operation_id == operation_id,
            Distribution.deleted_at.is_(None),
            Distribution.distributed_at > since,
            Distribution.distributed_at <= at,
            MovementLine.item_id.in_({rule.item_id for rule in rules}),
            reversal.id.is_(None),
        )
    ).all()
    totals: dict[tuple[uuid.UUID, int], _Given] = {}
    for household, person, registration, item_id, quantity, given_at, distribution in rows:
        key = (distribution, item_id)
        before = totals.get(key)
        totals[key] = _Given(
            household,
            person,
            registration,
            item_id,
            (before.quantity if before else 0) - quantity,
            given_at,
        )
    return list(totals.values())


@dataclass
class _Links:
    """Registrations, their members and linkage's persons, read once."""

    registrations: list[uuid.UUID]
    members: dict[uuid.UUID, list[tuple[uuid.UUID, int | None]]]  # registration → (member, age)
    person_of_member: dict[uuid.UUID, uuid.UUID]  # as stored (before following merges)
    registration_of_member: dict[uuid.UUID, uuid.UUID]
    members_of_person: dict[uuid.UUID, list[uuid.UUID]]  # stored person id → member ids
    alias: dict[uuid.UUID, uuid.UUID]  # old id → the id it was merged into
    former: dict[uuid.UUID, set[uuid.UUID]]  # id → ids merged directly into it
    household: dict[uuid.UUID, tuple[uuid.UUID | None, int]]  # person → (household, seq)
    household_persons: dict[uuid.UUID, set[uuid.UUID]]

    @classmethod
    def load(cls, session: Session, operation_id: int) -> _Links:
        today = datetime.now(UTC).date()
        registrations = list(
            session.scalars(
                select(Registration.id)
                .where(Registration.operation_id == operation_id, Registration.deleted_at.is_(None))
                .order_by(Registration.received_at, Registration.id)
            )
        )
        members: dict[uuid.UUID, list[tuple[uuid.UUID, int | None]]] = defaultdict(list)
        registration_of_member: dict[uuid.UUID, uuid.UUID] = {}
        for member_id, registration_id, dob, estimate, created in session.execute(
            select(
                RegistrationMember.id,
                RegistrationMember.registration_id,
                RegistrationMember.dob,
                RegistrationMember.age_estimate,
                RegistrationMember.created_at,
            )
            .where(RegistrationMember.operation_id == operation_id)
            .order_by(RegistrationMember.registration_id, RegistrationMember.position)
        ):
            members[registration_id].append((member_id, age_on(dob, estimate, created, today)))
            registration_of_member[member_id] = registration_id
        person_of_member: dict[uuid.UUID, uuid.UUID] = {}
        members_of_person: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for member_id, person_id in session.execute(
            select(PersonRecord.member_id, PersonRecord.person_id).where(
                PersonRecord.operation_id == operation_id
            )
        ):
            person_of_member[member_id] = person_id
            members_of_person[person_id].append(member_id)
        alias: dict[uuid.UUID, uuid.UUID] = {}
        former: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        for old_id, person_id in session.execute(
            select(PersonAlias.old_id, PersonAlias.person_id).where(
                PersonAlias.operation_id == operation_id
            )
        ):
            alias[old_id] = person_id
            former[person_id].add(old_id)
        household: dict[uuid.UUID, tuple[uuid.UUID | None, int]] = {}
        household_persons: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        for person_id, household_id, seq in session.execute(
            select(Person.id, Person.household_id, Person.seq).where(
                Person.operation_id == operation_id
            )
        ):
            household[person_id] = (household_id, seq)
            if household_id is not None:
                household_persons[household_id].add(person_id)
        return cls(
            registrations,
            members,
            person_of_member,
            registration_of_member,
            members_of_person,
            alias,
            former,
            household,
            household_persons,
        )

    def resolve(self, person_id: uuid.UUID) -> uuid.UUID:
        seen = 0
        while person_id in self.alias and seen < 100:
            person_id, seen = self.alias[person_id], seen + 1
        return person_id

    def identity(self, registration_id: uuid.UUID) -> Identity:
        """As ``entitlements.identify(registration_id=…)`` finds it."""
        identity = Identity(registration_ids={registration_id})
        persons = {
            self.resolve(self.person_of_member[member])
            for member, _age in self.members.get(registration_id, ())
            if member in self.person_of_member
        }
        housed = sorted(
            (self.household[p][1], self.household[p][0])
            for p in persons
            if p in self.household and self.household[p][0] is not None
        )
        if housed:
            identity.household_id = housed[0][1]
            persons |= self.household_persons[housed[0][1]]
        formers: set[uuid.UUID] = set()
        frontier = set(persons)
        while frontier:
            older = set().union(*(self.former.get(p, set()) for p in frontier))
            frontier = older - formers - persons
            formers |= frontier
        identity.person_ids = persons | formers
        ages: dict[uuid.UUID, int | None] = {}
        for person in persons:
            for member in self.members_of_person.get(person, ()):
                identity.registration_ids.add(self.registration_of_member[member])
                age = self._age_of(member)
                if ages.get(person) is None:
                    ages[person] = age
        identity.ages = (
            list(ages.values())
            if persons
            else [age for _member, age in self.members.get(registration_id, ())]
        )
        return identity

    def _age_of(self, member_id: uuid.UUID) -> int | None:
        registration = self.registration_of_member[member_id]
        return next((age for m, age in self.members[registration] if m == member_id), None)
