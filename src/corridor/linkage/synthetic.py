"""A synthetic registration set with Arabic names and known duplicates.

No real registration data can be shared to measure linkage, so this writes a
set that has the difficulties of the real thing, with the truth attached:

- households of 2–9 people: the head, a spouse from another family, children
  who carry the head's given name as their father's name and his family name;
- about 20% of records are a second registration of someone already
  registered (at another checkpoint, by another organisation), 40% of them in
  the other script (Arabic ↔ Latin, in ALA-LC, DIN 31635, UNGEGN or everyday
  spellings);
- a typo in 15% of names; given and family name swapped in 15% of records;
- birth dates: 50% year only, 15% only an age estimated ±5 years, 10% written
  ``YYYY-01-01``, the rest exact or to the month;
- origin as free text in the record's script or as a P-code.

Columns are those of ``corridor linkage dedupe`` plus ``true_person`` and
``true_household`` (which the CLI ignores).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from corridor.linkage import name_lexicon as lexicon
from corridor.linkage.spelling import spell

COLUMNS = [
    "record_id",
    "given_name",
    "father_name",
    "grandfather_name",
    "family_name",
    "mother_name",
    "sex",
    "birth_date",
    "age_estimate",
    "registered_on",
    "origin",
    "true_person",
    "true_household",
]
_MALE = lexicon.entries(lexicon.MALE)
_FEMALE = lexicon.entries(lexicon.FEMALE)
_FAMILY = lexicon.entries(lexicon.FAMILY)
_PLACES = lexicon.entries(lexicon.PLACES)
_LATIN_CONVENTIONS = (("ALA-LC", 0.1), ("DIN 31635", 0.05), ("UNGEGN", 0.1), ("colloquial", 0.75))
_ARABIC_TYPOS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
_LATIN_TYPOS = "abdefhiklmnorstuy"


@dataclass
class Person:
    person_id: str
    household_id: str
    given: tuple[str, ...]
    father: tuple[str, ...]
    grandfather: tuple[str, ...]
    family: tuple[str, ...]
    mother: tuple[str, ...]
    sex: str
    born: date
    origin: tuple[str, ...]


@dataclass
class SyntheticSet:
    rows: list[dict[str, str]] = field(default_factory=list)

    def true_pairs(self) -> set[tuple[str, str]]:
        """Every pair of records of the same person (ids in order)."""
        by_person: dict[str, list[str]] = {}
        for row in self.rows:
            by_person.setdefault(row["true_person"], []).append(row["record_id"])
        pairs: set[tuple[str, str]] = set()
        for ids in by_person.values():
            ordered = sorted(ids)
            for i, left in enumerate(ordered):
                for right in ordered[i + 1 :]:
                    pairs.add((left, right))
        return pairs

    def write(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(self.rows)


def generate(records: int, *, seed: int = 1, duplicate_share: float = 0.2) -> SyntheticSet:
    """About ``records`` registrations, ``duplicate_share`` of them second registrations."""
    rng = random.Random(seed)
    people: list[Person] = []
    target_people = round(records * (1 - duplicate_share))
    household = 0
    while len(people) < target_people:
        household += 1
        members = _household(rng, f"H{household:07d}", len(people))
        if len(people) + len(members) > target_people and len(people) + 2 <= target_people:
            members = members[: target_people - len(people)]  # a smaller last household
        people.extend(members)
    result = SyntheticSet()
    start = date(2026, 10, 1)
    originals = []
    for person in people:
        script = "ar" if rng.random() < 0.6 else "lat"
        originals.append((person, script))
    registrations = list(originals)
    for _ in range(records - len(people)):
        person, script = rng.choice(originals)
        if rng.random() < 0.4:
            script = "lat" if script == "ar" else "ar"
        registrations.append((person, script))
    rng.shuffle(registrations)
    for index, (person, script) in enumerate(registrations, start=1):
        registered_on = start + timedelta(days=rng.randrange(45))
        result.rows.append(_record(rng, f"R{index:07d}", person, script, registered_on))
    return result


def _household(rng: random.Random, household_id: str, first: int) -> list[Person]:
    size = rng.randint(2, 9)
    family = rng.choice(_FAMILY)
    origin = rng.choice(_PLACES)
    head_given = rng.choice(_MALE)
    head_father = rng.choice(_MALE)
    head = Person(
        f"P{first + 1:07d}",
        household_id,
        head_given,
        head_father,
        rng.choice(_MALE),
        family,
        rng.choice(_FEMALE),
        "m",
        _birthday(rng, 1950, 1995),
        origin,
    )
    spouse = Person(
        f"P{first + 2:07d}",
        household_id,
        rng.choice(_FEMALE),
        rng.choice(_MALE),
        rng.choice(_MALE),
        rng.choice(_FAMILY),
        rng.choice(_FEMALE),
        "f",
        _birthday(rng, head.born.year - 5, min(head.born.year + 10, 2004)),
        origin,
    )
    members = [head, spouse]
    used = {head_given}
    for number in range(size - 2):
        sex = rng.choice("mf")
        pool = _MALE if sex == "m" else _FEMALE
        given = rng.choice([name for name in pool if name not in used] or pool)
        used.add(given)
        members.append(
            Person(
                f"P{first + 3 + number:07d}",
                household_id,
                given,
                head_given,
                head_father,
                family,
                spouse.given[:2],
                sex,
                _birthday(rng, max(head.born.year + 18, 1975), 2025),
                origin,
            )
        )
    return members


def _birthday(rng: random.Random, first_year: int, last_year: int) -> date:
    first = date(first_year, 1, 1)
    span = (date(max(first_year, last_year), 12, 31) - first).days
    return first + timedelta(days=rng.randrange(span + 1))


def _record(
    rng: random.Random, record_id: str, person: Person, script: str, registered_on: date
) -> dict[str, str]:
    convention = rng.choices(*zip(*_LATIN_CONVENTIONS, strict=True))[0]

    def name(entry: tuple[str, ...]) -> str:
        text = entry[0] if script == "ar" else spell(entry[1], convention, rng)
        if rng.random() < 0.15:
            text = _typo(rng, text, _ARABIC_TYPOS if script == "ar" else _LATIN_TYPOS)
        return text

    given, family = name(person.given), name(person.family)
    if rng.random() < 0.15:
        given, family = family, given
    birth_date, age_estimate = _birth_fields(rng, person.born, registered_on)
    origin = person.origin
    origin_text = origin[2] if rng.random() < 0.3 else (origin[0] if script == "ar" else origin[1])
    sex = person.sex if rng.random() < 0.5 else person.sex.upper()
    return {
        "record_id": record_id,
        "given_name": given,
        "father_name": name(person.father),
        "grandfather_name": name(person.grandfather) if rng.random() < 0.7 else "",
        "family_name": family,
        "mother_name": name(person.mother) if rng.random() < 0.5 else "",
        "sex": sex if rng.random() < 0.95 else "",
        "birth_date": birth_date,
        "age_estimate": age_estimate,
        "registered_on": registered_on.isoformat(),
        "origin": origin_text,
        "true_person": person.person_id,
        "true_household": person.household_id,
    }


def _birth_fields(rng: random.Random, born: date, registered_on: date) -> tuple[str, str]:
    draw = rng.random()
    if draw < 0.5:
        return str(born.year), ""
    if draw < 0.65:
        age = (registered_on - born).days // 365 + rng.randint(-5, 5)
        return "", str(max(age, 0))
    if draw < 0.75:
        return f"{born.year}-01-01", ""
    if draw < 0.85:
        return f"{born.year}-{born.month:02d}", ""
    return born.isoformat(), ""


def _typo(rng: random.Random, text: str, alphabet: str) -> str:
    if len(text) < 3:
        return text
    position = rng.randrange(1, len(text))
    kind = rng.randrange(4)
    if kind == 0:  # substitute
        return text[:position] + rng.choice(alphabet) + text[position + 1 :]
    if kind == 1:  # delete
        return text[:position] + text[position + 1 :]
    if kind == 2:  # insert
        return text[:position] + rng.choice(alphabet) + text[position:]
    if position < len(text) - 1:  # transpose
        return text[:position] + text[position + 1] + text[position] + text[position + 2 :]
    return text
