"""Pieces shared by every capability's API input.

- :data:`RowId`: a row id in a path, query or body. Ids are 32-bit (PostgreSQL
  ``integer``); a number outside that range names nothing, and the database
  would fail on it, so it is refused as invalid input.
- :class:`ApiInput`: the base of every request body. PostgreSQL cannot store the
  NUL character in text, so no string of the input, however deeply nested, may
  contain one.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator

MAX_ID = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


def contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    return False


class ApiInput(BaseModel):
    """A request body: no field may contain a NUL character."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if contains_nul(value):
            raise ValueError("must not contain NUL characters")
        return value
