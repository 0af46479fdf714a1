"""From a registration's fields to the columns the linkage model compares.

Each name becomes four columns: a blocking key (the coarse skeleton, which
puts ``محمد`` and ``Mohamed`` in the same block), the set of name keys (shared
keys mean "the same name"), a plain Latin skeleton for string similarity when
a typo breaks the keys, and the skeleton of the name read as one word (for a
typo that splits or joins its words). Dates of birth become a range of days; sex and
place of origin are made comparable (the place also by its governorate, from
the gazetteer in :mod:`corridor.linkage.places`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from corridor.errors import InvalidInput
from corridor.linkage.dates import BadDate, BirthRange, parse_birth, read_digits
from corridor.linkage.names import (
    clean_arabic,
    clean_latin,
    flat_skeleton,
    is_arabic,
    name_keys,
)
from corridor.linkage.places import governorate, governorate_code

NAME_FIELDS = ("given", "father", "grandfather", "family", "mother")
_EPOCH = date(1970, 1, 1)
# OCHA P-codes (SY02, SY0203) and ISO 3166-2 codes (IQ-AN).
_PCODE = re.compile(r"^[A-Z]{2}(?:\d{2,12}|-[A-Z0-9]{1,3})$")


@dataclass(frozen=True)
class Problem:
    """Why a record can't be compared (it stays a singleton)."""

    field: str
    message: str


Names = str | tuple[str, ...] | None  # one spelling, or the same name in both scripts


def _spellings(value: Names) -> list[str]:
    if value is None:
        return []
    texts = [value] if isinstance(value, str) else list(value)
    return [text for text in texts if text and text.strip()]


def name_columns(prefix: str, value: Names) -> dict[str, object]:
    """Blocking skeleton, keys, plain skeleton and one-word skeleton of a name; a
    record that has the name in both scripts gets the keys of both."""
    spellings = [(text, name_keys(text)) for text in _spellings(value)]
    spellings = [(text, keys) for text, keys in spellings if keys.keys]
    if not spellings:
        return {f"{prefix}_{column}": None for column in ("bk", "keys", "lat", "flat")}
    text, first = spellings[0]
    return {
        f"{prefix}_bk": first.skeleton,
        f"{prefix}_keys": sorted(set().union(*(keys.keys for _text, keys in spellings))),
        f"{prefix}_lat": first.latin,
        f"{prefix}_flat": flat_skeleton(text) or None,
    }


def origin_key(text: str | None) -> str | None:
    """``A:`` and a governorate's code, ``P:`` and any other P-code as written, else
    ``N:`` and the skeleton of the place name."""
    raw = (text or "").strip()
    if not raw:
        return None
    area = governorate_code(raw)
    if area is not None:
        return "A:" + area
    if _PCODE.match(raw.upper()):
        return "P:" + raw.upper().replace("-", "")
    keys = name_keys(raw)
    return "N:" + keys.skeleton if keys.skeletons else None


def phone_value(text: str | None) -> str | None:
    """The last nine digits (country and trunk prefixes vary), in any digits."""
    digits = "".join(char for char in read_digits(text or "") if char.isdigit())
    return digits[-9:] if len(digits) >= 6 else None


def id_value(text: str | None) -> str | None:
    """A document number (ID card, passport, case number): letters and digits only,
    upper case, any digits read; too short to identify anyone is None."""
    value = "".join(char for char in read_digits(text or "").upper() if char.isalnum())
    return value if len(value) >= 4 else None


def sex_value(text: str | None) -> str | None:
    value = (text or "").strip().lower()
    if value in ("m", "male", "ذكر"):
        return "m"
    if value in ("f", "female", "أنثى", "انثى"):
        return "f"
    return None


def spelled(value: Names) -> str | None:
    """The name as written (its first spelling), cleaned: the "same spelling" level."""
    texts = _spellings(value)
    if not texts:
        return None
    return clean_arabic(texts[0]) if is_arabic(texts[0]) else clean_latin(texts[0])


def record_features(
    record_id: str,
    names: dict[str, Names],
    *,
    sex: str | None,
    birth_date: str | None,
    age_estimate: str | None = None,
    registered_on: str | None = None,
    origin: str | None = None,
    phone: str | None = None,
    id_number: str | None = None,
) -> tuple[dict[str, object], list[Problem]]:
    """Comparable columns for one registration, and what was wrong with it."""
    problems: list[Problem] = []
    row: dict[str, object] = {"unique_id": record_id}
    for field in NAME_FIELDS:
        row.update(name_columns(field, names.get(field)))
        row[f"{field}_txt"] = spelled(names.get(field))
    if not any(row[f"{field}_bk"] for field in NAME_FIELDS):
        problems.append(Problem("names", "no names at all"))
    on = None
    if registered_on and registered_on.strip():
        try:
            on = date.fromisoformat(read_digits(registered_on.strip()))
        except ValueError:
            problems.append(Problem("registered_on", f"{registered_on!r} is not a date"))
    birth: BirthRange | None = None
    try:
        birth = parse_birth(birth_date, age_estimate=age_estimate, registered_on=on)
    except BadDate as error:
        field = "birth_date" if (birth_date or "").strip() else "age_estimate"
        problems.append(Problem(field, str(error)))
    row["dob_lo"] = (birth.earliest - _EPOCH).days if birth else None
    row["dob_hi"] = (birth.latest - _EPOCH).days if birth else None
    row["birth_year"] = birth.earliest.year if birth and birth.precision != "estimated" else None
    row["sex"] = sex_value(sex)
    row["origin"] = origin_key(origin)
    row["origin_area"] = governorate(origin)
    row["phone"] = phone_value(phone)
    row["id_number"] = id_value(id_number)
    return row, problems


def row_features(row: Mapping[str, str | None]) -> tuple[dict[str, object], list[Problem]]:
    """Comparable columns of a row in the CSV's columns (``given_name``, ``birth_date``…)."""
    return record_features(
        str(row.get("record_id") or ""),
        {part: row.get(f"{part}_name") for part in NAME_FIELDS},
        sex=row.get("sex"),
        birth_date=row.get("birth_date"),
        age_estimate=row.get("age_estimate"),
        registered_on=row.get("registered_on"),
        origin=row.get("origin"),
        phone=row.get("phone"),
        id_number=row.get("id_number"),
    )


def query_features(
    row: Mapping[str, str | None],
    *,
    prefix: str = "",
    renamed: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """A search's comparable columns (CSV column names); what can't be compared is
    an InvalidInput naming the caller's field (``prefix`` + its name)."""
    features, problems = row_features({"record_id": "query", **row})
    if problems:
        names = {"names": "given_name", **(renamed or {})}
        field = names.get(problems[0].field, problems[0].field)
        raise InvalidInput(prefix + field, problems[0].message)
    return features
