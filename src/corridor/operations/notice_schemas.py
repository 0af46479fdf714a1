"""API input and output of deconfliction notices."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from corridor.operations.models import MovementStatus, NotificationChannel, VehicleKind
from corridor.web.schemas import ApiInput, RowId


class SiteIn(ApiInput):
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(default="other", min_length=1, max_length=40)
    organisation_id: RowId
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class SiteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    organisation_id: int
    lon: float
    lat: float
    active: bool


class MovementIn(ApiInput):
    reference: str = Field(min_length=1, max_length=60)
    corridor_id: RowId
    departs_at: datetime
    arrives_at: datetime
    vehicles: int = Field(ge=1, le=500)
    vehicle_kind: VehicleKind
    organisations: list[RowId] = Field(min_length=1, max_length=20)


class MovementUpdate(ApiInput):
    reference: str | None = Field(default=None, min_length=1, max_length=60)
    corridor_id: RowId | None = None
    departs_at: datetime | None = None
    arrives_at: datetime | None = None
    vehicles: int | None = Field(default=None, ge=1, le=500)
    vehicle_kind: VehicleKind | None = None
    organisations: list[RowId] | None = Field(default=None, min_length=1, max_length=20)
    status: MovementStatus | None = None


class MovementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    corridor_id: int
    departs_at: datetime
    arrives_at: datetime
    vehicles: int
    vehicle_kind: VehicleKind
    organisations: list[int]
    status: MovementStatus
    revision: int


class MovementChanged(BaseModel):
    movement: MovementOut
    reissued_notice_ids: list[int]


class NoticeIn(ApiInput):
    expires_at: datetime
    parties: list[str] = Field(min_length=1, max_length=20)
    movement_ids: list[RowId] | None = Field(
        default=None, description="Default: every planned movement that has not arrived"
    )
    include_amnesty: bool = Field(
        default=False, description="Also list the amnesty desks and depots (off by default)"
    )


class AcknowledgementIn(ApiInput):
    party: str = Field(min_length=1, max_length=200)
    channel: NotificationChannel
    acknowledged_at: datetime


class AcknowledgementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    party: str
    channel: NotificationChannel
    acknowledged_at: datetime
    recorded_at: datetime


class NoticeOut(BaseModel):
    id: int
    number: int
    version: int
    supersedes_id: int | None
    reason: str
    issued_at: datetime
    expires_at: datetime
    parties: list[str]
    include_amnesty: bool
    current: bool
    acknowledgements: list[AcknowledgementOut]
    content: dict
    files: dict[str, str]
