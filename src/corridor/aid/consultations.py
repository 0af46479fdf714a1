"""Medical consultations: a tally kept at the medical point, counts for everyone else.

A consultation is recorded as a day, an age band, a sex, a category (trauma /
injury, chronic disease, maternal, child health, mental health, other) and a
referral; never a name or a free-text diagnosis. Even so, a count of one
"maternal" consultation at a small point on a given day can point at a
person: outside the organisation that runs the point, counts below
``SMALL_CELL`` are shown as suppressed (None), not as their number.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from corridor.aid import checks
from corridor.aid.models import (
    Consultation,
    ConsultationCategory,
    Place,
    Referral,
    Service,
)
from corridor.crossings.models import AGE_BANDS, SEXES
from corridor.errors import Conflict, InvalidInput

SMALL_CELL = 5


@dataclass(frozen=True)
class Tally:
    id: uuid.UUID
    day: date
    age_band: str
    sex: str
    category: ConsultationCategory | str
    referral: Referral | str = Referral.NONE


def record(
    session: Session, *, place: Place, tallies: list[Tally], recorded_by_id: int | None
) -> tuple[int, int]:
    """Store the tallies at a medical point; (stored, already stored). Safe to resend."""
    if Service.MEDICAL.value not in (place.services or []):
        raise Conflict("this place offers no medical service")
    rows = []
    for index, tally in enumerate(tallies):
        field = f"consultations[{index}]"
        if tally.age_band not in AGE_BANDS:
            raise InvalidInput(f"{field}.age_band", f"must be one of {', '.join(AGE_BANDS)}")
        if tally.sex not in SEXES:
            raise InvalidInput(f"{field}.sex", f"must be one of {', '.join(SEXES)}")
        rows.append(
            Consultation(
                id=tally.id,
                operation_id=place.operation_id,
                place_id=place.id,
                organisation_id=place.organisation_id,
                day=tally.day,
                age_band=tally.age_band,
                sex=tally.sex,
                category=checks.choice(ConsultationCategory, tally.category, f"{field}.category"),
                referral=checks.choice(Referral, tally.referral, f"{field}.referral"),
                recorded_by_id=recorded_by_id,
            )
        )
    known = set(
        session.scalars(select(Consultation.id).where(Consultation.id.in_([r.id for r in rows])))
    )
    new = [row for row in rows if row.id not in known]
    session.add_all(new)
    session.flush()
    return len(new), len(rows) - len(new)


@dataclass(frozen=True)
class Count:
    day: date
    category: str
    consultations: int | None  # None: fewer than SMALL_CELL, suppressed
    referred: int | None


def counts(
    session: Session,
    *,
    operation_id: int,
    place_id: int | None = None,
    since: date | None = None,
    suppress: bool = True,
) -> list[Count]:
    """Consultations per day and category (and how many were referred)."""
    statement = (
        select(Consultation.day, Consultation.category, Consultation.referral, func.count())
        .where(Consultation.operation_id == operation_id)
        .group_by(Consultation.day, Consultation.category, Consultation.referral)
    )
    if place_id is not None:
        statement = statement.where(Consultation.place_id == place_id)
    if since is not None:
        statement = statement.where(Consultation.day >= since)
    total: Counter[tuple[date, str]] = Counter()
    referred: Counter[tuple[date, str]] = Counter()
    for day, category, referral, n in session.execute(statement):
        key = (day, ConsultationCategory(category).value)
        total[key] += n
        if Referral(referral) != Referral.NONE:
            referred[key] += n

    def shown(n: int) -> int | None:
        return None if suppress and 0 < n < SMALL_CELL else n

    return [
        Count(day, category, shown(total[(day, category)]), shown(referred[(day, category)]))
        for day, category in sorted(total)
    ]
