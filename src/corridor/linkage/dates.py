"""Dates of birth as ranges of uncertainty, compared by overlap.

A field officer records what the person knows: an exact date, a month, a
year, or an age someone estimated ("about 30"). Comparing such values as
strings says "1987" and "1987-03-14" disagree; as ranges they overlap, which is
the right answer. ``YYYY-01-01`` is read as a whole year: it is how many systems
store an unknown day and month.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

ESTIMATE_MARGIN_YEARS = 5  # an estimated age is often off by a few years
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_DATE = re.compile(r"^\s*(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?\s*$")
_AGE = re.compile(r"(\d{1,3}(?:\.\d+)?)")


class Precision(StrEnum):
    EXACT = "exact"
    MONTH = "month"
    YEAR = "year"
    ESTIMATED = "estimated"


class BadDate(ValueError):
    """A date of birth that cannot be read, or cannot be true."""


@dataclass(frozen=True)
class BirthRange:
    """The earliest and latest day the person can have been born."""

    earliest: date
    latest: date
    precision: Precision

    def overlaps(self, other: BirthRange) -> bool:
        return self.earliest <= other.latest and other.earliest <= self.latest

    def gap_days(self, other: BirthRange) -> int:
        """0 when the ranges overlap, else the days between them."""
        if self.overlaps(other):
            return 0
        if self.latest < other.earliest:
            return (other.earliest - self.latest).days
        return (self.earliest - other.latest).days


def read_digits(text: str) -> str:
    """Arabic-Indic (٠–٩) and Persian (۰–۹) digits as ASCII digits."""
    return text.translate(_DIGITS)


def parse_birth(
    text: str | None,
    *,
    age_estimate: str | None = None,
    registered_on: date | None = None,
    today: date | None = None,
) -> BirthRange | None:
    """Read ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or an estimated age; None when blank."""
    today = today or date.today()
    raw = read_digits(text or "").strip()
    if raw:
        match = _DATE.match(raw)
        if match is None:
            raise BadDate(f"{raw!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = (int(part) if part else None for part in match.groups())
        assert year is not None
        try:
            if month is None or (month == 1 and day == 1):
                result = BirthRange(date(year, 1, 1), date(year, 12, 31), Precision.YEAR)
            elif day is None:
                last = calendar.monthrange(year, month)[1]
                result = BirthRange(date(year, month, 1), date(year, month, last), Precision.MONTH)
            else:
                exact = date(year, month, day)
                result = BirthRange(exact, exact, Precision.EXACT)
        except ValueError:
            raise BadDate(f"{raw!r} is not a real date") from None
        if result.earliest > today or year < 1890:
            raise BadDate(f"{raw!r} is not a possible date of birth")
        return result
    age_text = read_digits(age_estimate or "").strip()
    if not age_text:
        return None
    match = _AGE.search(age_text)
    if match is None:
        raise BadDate(f"{age_text!r} is not an age in years")
    age = float(match.group(1))
    if not 0 <= age <= 130:
        raise BadDate(f"{age_text!r} is not a possible age")
    return estimated(age, registered_on or today)


def estimated(age: float, at: date) -> BirthRange:
    """Born between (age + 1 + margin) and (age - margin) years before ``at``."""
    oldest = age + 1 + ESTIMATE_MARGIN_YEARS
    youngest = max(0.0, age - ESTIMATE_MARGIN_YEARS)
    return BirthRange(
        at - timedelta(days=round(oldest * 365.25)),
        at - timedelta(days=round(youngest * 365.25)),
        Precision.ESTIMATED,
    )
