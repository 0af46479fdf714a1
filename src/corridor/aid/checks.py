"""Checks of the values aid services take, each error naming the field."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from corridor.db.types import utcnow
from corridor.errors import InvalidInput

MAX_QUANTITY = 10**12  # whole base units in one line (a million tonnes in grams)


def quantity(value: Any, field: str, *, allow_zero: bool = False) -> int:
    """A whole, positive quantity of base units (an error names the field otherwise)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(field, "must be a whole number")
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").isdigit():
            raise InvalidInput(field, "must be a whole number")
        value = int(text)
    if isinstance(value, float):
        if not value.is_integer():
            raise InvalidInput(field, "must be a whole number of the item's base unit")
        value = int(value)
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidInput(field, "must be positive" if not allow_zero else "must not be negative")
    if value > MAX_QUANTITY:
        raise InvalidInput(field, f"must be at most {MAX_QUANTITY:,}")
    return value


def code(code: str) -> str:
    code = (code or "").strip().upper()
    if not code:
        raise InvalidInput("code", "is required")
    if len(code) > 40 or not all(c.isalnum() or c in "-_." for c in code):
        raise InvalidInput("code", "must be at most 40 letters, digits, '-', '_' or '.'")
    return code


def display_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("name", "is required")
    if len(name) > 200:
        raise InvalidInput("name", "must be at most 200 characters")
    return name


def choice(cls: Any, value: Any, field: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise InvalidInput(field, f"must be one of {allowed}") from None


def non_negative(value: Any, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(field, "must be a number") from None
    if not number >= 0 or number == float("inf"):
        raise InvalidInput(field, "must be zero or more")
    return number


CLOCK_SKEW = timedelta(minutes=10)  # a device's clock may run a little ahead


def past_moment(value: datetime | None, field: str) -> datetime | None:
    """A time something happened: aware, and not in the future."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidInput(field, "must include a time zone")
    if value > utcnow() + CLOCK_SKEW:
        raise InvalidInput(field, "is in the future")
    return value
