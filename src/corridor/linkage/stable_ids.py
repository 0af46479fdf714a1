"""Carry person ids from one linkage run to the next.

A run produces clusters of records; the previous run left each record with a
person id. The rules, in this order:

1. A cluster whose records are exactly a previous person's keeps that id.
2. A cluster that contains records of previous persons takes the oldest of
   them that no other cluster took; the others, when all their remaining
   records are in this cluster, become aliases of it (a merge).
3. A cluster whose previous persons were all taken (the smaller parts of a
   split) or that has none (new records) gets a new id.
4. A previous person none of whose records remain (purged) is retired.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

R = TypeVar("R", bound=Hashable)  # a record id
P = TypeVar("P", bound=Hashable)  # a person id


@dataclass
class Assignment(Generic[R, P]):
    """The person id of each new cluster, and what became of the old ids."""

    persons: list[P] = field(default_factory=list)  # one per cluster, in order
    created: list[P] = field(default_factory=list)
    aliases: dict[P, P] = field(default_factory=dict)  # merged old id → the id kept
    retired: list[P] = field(default_factory=list)  # no records left


def assign(
    clusters: list[frozenset[R]],
    previous: dict[R, P],
    age: Callable[[P], object],
    new_id: Callable[[], P],
) -> Assignment[R, P]:
    """Person ids for ``clusters``; ``age`` orders ids oldest first."""
    members: dict[P, set[R]] = {}
    for record, person in previous.items():
        members.setdefault(person, set()).add(record)
    current = set().union(*clusters) if clusters else set()
    remaining = {person: records & current for person, records in members.items()}
    result: Assignment[R, P] = Assignment(persons=[None] * len(clusters))  # type: ignore[list-item]
    taken: set[P] = set()
    # 1. unchanged clusters keep their id
    for index, cluster in enumerate(clusters):
        people = _people(cluster, previous)
        if len(people) == 1:
            (person,) = people
            if members[person] == set(cluster) and person not in taken:
                result.persons[index] = person
                taken.add(person)
    # 2. changed clusters take their oldest free previous id, largest cluster first
    order = sorted(
        (i for i in range(len(clusters)) if result.persons[i] is None),
        key=lambda i: -len(clusters[i]),
    )
    for index in order:
        people = sorted(_people(clusters[index], previous) - taken, key=age)
        if people:
            result.persons[index] = people[0]
            taken.add(people[0])
    # 3. the rest are new
    for index, person in enumerate(result.persons):
        if person is None:
            fresh = new_id()
            result.persons[index] = fresh
            result.created.append(fresh)
    # merges and retirements
    owner = {record: result.persons[i] for i, cluster in enumerate(clusters) for record in cluster}
    for person, records in remaining.items():
        if person in taken:
            continue
        if not records:
            result.retired.append(person)
            continue
        destinations = {owner[record] for record in records}
        if len(destinations) == 1:
            result.aliases[person] = destinations.pop()
        else:  # split between clusters whose ids were all taken: keep the oldest part's
            result.aliases[person] = min(destinations, key=age)
    return result


def _people(cluster: Iterable[R], previous: dict[R, P]) -> set[P]:
    return {previous[record] for record in cluster if record in previous}
