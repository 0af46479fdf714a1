"""Deduplicate an operation's registrations into persons and households, and keep them.

Each registered household member is a record. A run links them (the model of
:mod:`corridor.linkage.model`, with every review decision applied), carries
person ids over from the previous run (:mod:`corridor.linkage.stable_ids`),
groups persons into households, and queues the pairs a person should look at.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from corridor.crossings.models import Registration, RegistrationMember
from corridor.db.mixins import LawfulBasis
from corridor.db.types import utcnow
from corridor.errors import Conflict, NotFound
from corridor.linkage import model
from corridor.linkage.features import record_features
from corridor.linkage.models import (
    LINKAGE_PURPOSE,
    Household,
    LinkageRun,
    Person,
    PersonAlias,
    PersonRecord,
    ReviewItem,
    ReviewStatus,
)
from corridor.linkage.stable_ids import assign
from corridor.linkage.table import to_arrow

MAX_ALIAS_HOPS = 50
REVIEW_FLOOR = model.REVIEW_PROBABILITY  # below: not worth a person's time


@dataclass(frozen=True)
class MemberRecord:
    member_id: uuid.UUID
    registration_id: uuid.UUID
    position: int


def member_features(
    session: Session, operation_id: int
) -> tuple[list[dict[str, Any]], dict[str, MemberRecord]]:
    """The comparable columns of every live household member of the operation."""
    rows = session.execute(
        select(RegistrationMember, Registration.recorded_at, Registration.received_at)
        .join(Registration, Registration.id == RegistrationMember.registration_id)
        .where(
            RegistrationMember.operation_id == operation_id,
            RegistrationMember.deleted_at.is_(None),
            Registration.deleted_at.is_(None),
        )
    ).all()
    features: list[dict[str, Any]] = []
    members: dict[str, MemberRecord] = {}
    for member, recorded_at, received_at in rows:
        record_id = str(member.id)
        on = (recorded_at or received_at).date().isoformat()
        row, problems = record_features(
            record_id,
            {
                part: (getattr(member, f"{part}_name_ar"), getattr(member, f"{part}_name_lat"))
                for part in ("given", "father", "grandfather", "family", "mother")
            },
            sex=member.sex,
            birth_date=_birth_text(member),
            age_estimate=str(member.age_estimate) if member.age_estimate is not None else None,
            registered_on=on,
            origin=member.origin_pcode or member.origin_text,
        )
        members[record_id] = MemberRecord(member.id, member.registration_id, member.position)
        if not problems:
            features.append(row)
    return features, members


def _birth_text(member: RegistrationMember) -> str | None:
    if member.dob is None:
        return None
    precision = str(member.dob_precision)
    if precision == "month":
        return member.dob.strftime("%Y-%m")
    if precision in ("year", "estimated"):
        return str(member.dob.year)
    return member.dob.isoformat()


def decisions(
    session: Session, operation_id: int
) -> tuple[list[tuple[str, str]], set[frozenset[str]]]:
    """(pairs decided "same", pairs decided "different") of the operation."""
    same: list[tuple[str, str]] = []
    different: set[frozenset[str]] = set()
    for item in session.scalars(
        select(ReviewItem).where(
            ReviewItem.operation_id == operation_id, ReviewItem.status != ReviewStatus.OPEN
        )
    ):
        pair = (str(item.member_a_id), str(item.member_b_id))
        if item.status == ReviewStatus.SAME:
            same.append(pair)
        else:
            different.add(frozenset(pair))
    return same, different


def run(session: Session, *, operation_id: int, engine: str = "duckdb") -> LinkageRun:
    """Link the operation's records into persons and households, stably."""
    record = LinkageRun(operation_id=operation_id, engine=engine, started_at=utcnow())
    session.add(record)
    features, members = member_features(session, operation_id)
    same, different = decisions(session, operation_id)
    ids = [row["unique_id"] for row in features]
    if len(ids) > 1:
        linked = model.dedupe(
            to_arrow(features), ids=ids, engine=engine, must_link=same, cannot_link=different
        )
    else:
        linked = model.Linked({i: i for i in ids}, {})
    # Records that could not be compared are persons of their own.
    clusters_by_root: dict[str, set[str]] = defaultdict(set)
    for record_id in members:
        clusters_by_root[linked.clusters.get(record_id, record_id)].add(record_id)
    clusters = [frozenset(c) for c in clusters_by_root.values()]
    persons = _store_persons(session, operation_id, clusters, linked)
    _store_households(session, operation_id, members, persons)
    record.to_review = _queue_reviews(session, operation_id, linked, different)
    record.records = len(members)
    record.persons = len(clusters)
    record.merged = len(members) - len(clusters)
    record.model = linked.model or {}
    record.finished_at = utcnow()
    session.flush()
    return record


def _store_persons(
    session: Session, operation_id: int, clusters: list[frozenset[str]], linked: model.Linked
) -> dict[str, uuid.UUID]:
    previous = {
        str(member): person
        for member, person in session.execute(
            select(PersonRecord.member_id, PersonRecord.person_id).where(
                PersonRecord.operation_id == operation_id
            )
        )
    }
    seqs = dict(
        session.execute(
            select(Person.id, Person.seq).where(Person.operation_id == operation_id)
        ).all()
    )
    next_seq = max(seqs.values(), default=0) + 1
    fresh: list[uuid.UUID] = []

    def new_id() -> uuid.UUID:
        nonlocal next_seq
        person = uuid.uuid4()
        seqs[person] = next_seq
        next_seq += 1
        fresh.append(person)
        return person

    result = assign(clusters, previous, lambda person: seqs[person], new_id)
    sizes = {person: len(cluster) for person, cluster in zip(result.persons, clusters, strict=True)}
    for person in fresh:
        session.add(
            Person(
                id=person,
                operation_id=operation_id,
                seq=seqs[person],
                records=sizes[person],
                purpose=LINKAGE_PURPOSE,
                lawful_basis=LawfulBasis.PUBLIC_INTEREST,
            )
        )
    session.flush()
    for person in result.persons:
        if person not in fresh:
            session.execute(
                update(Person)
                .where(Person.id == person, Person.records != sizes[person])
                .values(records=sizes[person], version=Person.version + 1, updated_at=utcnow())
            )
    now = utcnow()
    for old, kept in result.aliases.items():
        session.add(
            PersonAlias(old_id=old, operation_id=operation_id, person_id=kept, merged_at=now)
        )
        # Aliases that pointed at the old id now point at the one kept.
        session.execute(
            update(PersonAlias).where(PersonAlias.person_id == old).values(person_id=kept)
        )
    gone = [*result.retired, *result.aliases]
    if gone:
        session.execute(
            update(Person)
            .where(Person.id.in_(gone), Person.deleted_at.is_(None))
            .values(deleted_at=now, version=Person.version + 1)
        )
    owner = {
        record: person
        for person, cluster in zip(result.persons, clusters, strict=True)
        for record in cluster
    }
    session.execute(delete(PersonRecord).where(PersonRecord.operation_id == operation_id))
    if owner:
        session.execute(
            insert(PersonRecord),
            [
                {
                    "member_id": uuid.UUID(record),
                    "operation_id": operation_id,
                    "person_id": person,
                    "match_probability": linked.best.get(record),
                }
                for record, person in owner.items()
            ],
        )
    return owner


def _store_households(
    session: Session,
    operation_id: int,
    members: dict[str, MemberRecord],
    owner: dict[str, uuid.UUID],
) -> None:
    """Registrations whose heads, or two or more members, are the same persons are one household."""
    by_registration: dict[uuid.UUID, list[MemberRecord]] = defaultdict(list)
    for record in members.values():
        by_registration[record.registration_id].append(record)
    parent = {registration: registration for registration in by_registration}

    def root(item: uuid.UUID) -> uuid.UUID:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    heads: dict[uuid.UUID, uuid.UUID] = {}
    shared: dict[frozenset[uuid.UUID], uuid.UUID] = {}
    for registration, records in by_registration.items():
        people = sorted({owner[str(r.member_id)] for r in records}, key=str)
        head = next((r for r in records if r.position == 0), None)
        if head is not None:
            person = owner[str(head.member_id)]
            if person in heads:
                parent[root(registration)] = root(heads[person])
            else:
                heads[person] = registration
        for i, first in enumerate(people):
            for second in people[i + 1 :]:
                key = frozenset((first, second))
                if key in shared:
                    parent[root(registration)] = root(shared[key])
                else:
                    shared[key] = registration
    households: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for registration, records in by_registration.items():
        households[root(registration)] |= {owner[str(r.member_id)] for r in records}
    clusters = [frozenset(people) for people in households.values()]
    previous = {
        person: household
        for person, household in session.execute(
            select(Person.id, Person.household_id).where(
                Person.operation_id == operation_id, Person.household_id.is_not(None)
            )
        )
    }
    seqs = dict(
        session.execute(
            select(Household.id, Household.seq).where(Household.operation_id == operation_id)
        ).all()
    )
    next_seq = max(seqs.values(), default=0) + 1

    def new_household() -> uuid.UUID:
        nonlocal next_seq
        household = uuid.uuid4()
        seqs[household] = next_seq
        session.add(Household(id=household, operation_id=operation_id, seq=next_seq))
        next_seq += 1
        return household

    result = assign(clusters, previous, lambda household: seqs[household], new_household)
    session.flush()
    for household, people in zip(result.persons, clusters, strict=True):
        session.execute(
            update(Person)
            .where(Person.id.in_(people), Person.household_id.is_distinct_from(household))
            .values(household_id=household)
        )


def _queue_reviews(
    session: Session, operation_id: int, linked: model.Linked, different: set[frozenset[str]]
) -> int:
    """Open a review item for each uncertain pair not decided yet; the count still open."""
    known = {
        frozenset((str(a), str(b)))
        for a, b in session.execute(
            select(ReviewItem.member_a_id, ReviewItem.member_b_id).where(
                ReviewItem.operation_id == operation_id
            )
        )
    }
    for left, right, probability in linked.review:
        pair = frozenset((left, right))
        if (
            pair in known
            or pair in different
            or linked.clusters.get(left) == linked.clusters.get(right)
        ):
            continue
        first, second = sorted((left, right))  # UUID strings: the same order as decide_pair
        session.add(
            ReviewItem(
                operation_id=operation_id,
                member_a_id=uuid.UUID(first),
                member_b_id=uuid.UUID(second),
                match_probability=probability,
                weights=linked.weights.get((left, right), {}),
            )
        )
        known.add(pair)
    session.flush()
    return session.scalar(
        select(func.count()).where(
            ReviewItem.operation_id == operation_id, ReviewItem.status == ReviewStatus.OPEN
        )
    )


def decide(
    session: Session, *, operation_id: int, review_id: int, same: bool, user_id: int
) -> ReviewItem:
    """Record a coordinator's decision on a pair; every later run respects it."""
    item = session.get(ReviewItem, review_id)
    if item is None or item.operation_id != operation_id:
        raise NotFound("no such review item")
    if item.status != ReviewStatus.OPEN:
        raise Conflict("this pair was already decided")
    item.status = ReviewStatus.SAME if same else ReviewStatus.DIFFERENT
    item.decided_by_id = user_id
    item.decided_at = utcnow()
    session.flush()
    return item


def decide_pair(
    session: Session,
    *,
    operation_id: int,
    member_a: uuid.UUID,
    member_b: uuid.UUID,
    same: bool,
    user_id: int,
) -> ReviewItem:
    """Decide on any two records (to merge or split persons), queued by the model or not."""
    if member_a == member_b:
        raise Conflict("a record is always the same person as itself")
    first, second = sorted((member_a, member_b), key=str)
    found = session.scalars(
        select(RegistrationMember.id).where(
            RegistrationMember.id.in_((first, second)),
            RegistrationMember.operation_id == operation_id,
        )
    ).all()
    if len(found) != 2:
        raise NotFound("no such registered person in this operation")
    item = session.scalar(
        select(ReviewItem).where(ReviewItem.member_a_id == first, ReviewItem.member_b_id == second)
    )
    if item is None:
        item = ReviewItem(operation_id=operation_id, member_a_id=first, member_b_id=second)
        session.add(item)
        session.flush()
    return decide(session, operation_id=operation_id, review_id=item.id, same=same, user_id=user_id)


def resolve(session: Session, person_id: uuid.UUID) -> uuid.UUID:
    """The current id of a person, following merges."""
    current = person_id
    for _ in range(MAX_ALIAS_HOPS):
        alias = session.get(PersonAlias, current)
        if alias is None:
            return current
        current = alias.person_id
    raise RuntimeError("an alias chain does not end")


def person_of(session: Session, member_id: uuid.UUID) -> uuid.UUID | None:
    return session.scalar(select(PersonRecord.person_id).where(PersonRecord.member_id == member_id))
