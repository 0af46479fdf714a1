"""API input and output of the crossings capability (headcount sync)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from corridor.web.schemas import ApiInput


class SyncIn(ApiInput):
    records: list[dict[str, Any]] = Field(
        max_length=1000,
        description="Headcount records: id (a UUID made by the client), base_version (absent "
        "for a new record), checkpoint_id, slot_start, slot_minutes, direction, "
        "means, the eight sex × age band counts (female_0_4 … male_60_plus), "
        "unaccompanied_children, injured, disabled, pregnant, recorded_at, "
        "device_id, form_version",
    )


class SyncErrorOut(BaseModel):
    field: str
    message: str


class SyncResultOut(BaseModel):
    id: str
    status: Literal["created", "updated", "duplicate", "conflict", "invalid"]
    version: int | None = None
    conflict_id: str | None = None
    errors: list[SyncErrorOut] | None = None


class SyncOut(BaseModel):
    results: list[SyncResultOut]


class TotalsOut(BaseModel):
    records: int
    people: int
    by_direction: dict[str, int]
    by_band: dict[str, int]
    flags: dict[str, int]
