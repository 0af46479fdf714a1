"""API input and output of corridors."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from corridor.operations.models import CorridorStatus
from corridor.web.schemas import ApiInput


class CheckpointIn(ApiInput):
    name: str = Field(min_length=1, max_length=200)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    pcode: str | None = Field(
        default=None, max_length=32, description="P-code of the admin area it lies in"
    )


class WindowIn(ApiInput):
    from_: datetime = Field(alias="from")
    until: datetime

    model_config = ConfigDict(populate_by_name=True)


class CorridorIn(ApiInput):
    name: str = Field(min_length=1, max_length=200)
    profile: Literal["car", "foot"] = "car"
    from_: tuple[float, float] = Field(alias="from", description="[longitude, latitude]")
    to: tuple[float, float] = Field(description="[longitude, latitude]")
    checkpoints: list[CheckpointIn] = Field(default_factory=list, max_length=100)
    windows: list[WindowIn] = Field(default_factory=list, max_length=100)
    parties: list[str] = Field(default_factory=list, max_length=50)
    capacity_per_hour: int | None = Field(default=None, ge=1, le=1_000_000)

    model_config = ConfigDict(populate_by_name=True)


class CorridorUpdate(ApiInput):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    checkpoints: list[CheckpointIn] | None = Field(default=None, max_length=100)
    windows: list[WindowIn] | None = Field(default=None, max_length=100)
    parties: list[str] | None = Field(default=None, max_length=50)
    capacity_per_hour: int | None = Field(default=None, ge=1, le=1_000_000)


class StatusIn(ApiInput):
    status: CorridorStatus
    reason: str = Field(min_length=1, max_length=2000)


class DecisionIn(ApiInput):
    decision: Literal["accept", "reject"]


class CheckpointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    position: int
    lon: float
    lat: float
    distance_along_m: float | None
    snapped_m: float | None
    pcode: str | None


class FlagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    corridor_id: int
    hazard_id: int
    hazard_name: str
    flagged_at: datetime
    state: str
    proposed_route: dict[str, Any] | None
    proposed_distance_m: float | None
    proposed_duration_s: float | None
    proposal_safe: bool | None


class StatusChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    reason: str
    changed_at: datetime


class CorridorOut(BaseModel):
    id: int
    name: str
    profile: str
    origin: list[float]
    destination: list[float]
    route: dict[str, Any]
    distance_m: float
    duration_s: float
    status: CorridorStatus
    windows: list[dict[str, str]]
    parties: list[str]
    capacity_per_hour: int | None
    checkpoints: list[CheckpointOut]
    flags: list[FlagOut]
    created_at: datetime
    updated_at: datetime
