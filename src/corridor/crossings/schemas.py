"""API input and output of the crossings capability: headcount sync, forms, devices."""

from __future__ import annotations

from datetime import datetime
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


class FormOut(BaseModel):
    xml_form_id: str
    title: str
    kind: str
    state: str
    version: str
    md5: str
    validated_by: str
    media_files: list[str]


class FormVersionOut(BaseModel):
    version: str
    md5: str
    xlsform_filename: str
    validated_by: str
    created_at: datetime


class FormStateIn(ApiInput):
    state: Literal["open", "closing", "closed"]


class DeviceIn(ApiInput):
    name: str = Field(min_length=1, max_length=100, description="e.g. the phone's label")
    user_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="The officer it is issued to (default: yourself)"
    )


class DeviceOut(BaseModel):
    id: int
    name: str
    username: str
    user_id: int
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class DeviceIssuedOut(DeviceOut):
    secret: str = Field(description="Shown once; only its SHA-256 is kept")
    server_url: str
    collect_settings: str = Field(description="What ODK Collect's settings QR code holds")
    qr_svg: str = Field(description="The QR code to scan in ODK Collect, as SVG")
