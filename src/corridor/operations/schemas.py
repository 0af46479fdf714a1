"""API input and output of the operations capability."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from corridor.accounts.schemas import OrganisationOut
from corridor.operations.models import OperationStatus, PartnerStatus
from corridor.web.schemas import ApiInput, RowId


class OperationIn(ApiInput):
    slug: str = Field(min_length=2, max_length=63, description="Short name used in URLs")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    area: dict[str, Any] | None = Field(
        default=None, description="GeoJSON Polygon or MultiPolygon, longitude/latitude (WGS 84)"
    )
    timezone: str = Field(default="UTC", max_length=64, description="IANA time zone")
    status: OperationStatus = OperationStatus.PLANNING
    start_date: date | None = None
    end_date: date | None = None
    lead_organisation_id: RowId | None = Field(
        default=None, description="Defaults to the caller's organisation"
    )


class OperationUpdate(ApiInput):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    area: dict[str, Any] | None = None
    # Not nullable: an operation always has a time zone (leave it out to keep it).
    timezone: str = Field(default=None, max_length=64)  # type: ignore[assignment]
    status: OperationStatus | None = None
    start_date: date | None = None
    end_date: date | None = None


class PartnerOut(BaseModel):
    organisation: OrganisationOut
    status: PartnerStatus
    is_lead: bool
    joined_at: datetime


class OperationSummary(BaseModel):
    slug: str
    name: str
    status: OperationStatus
    timezone: str


class OperationOut(BaseModel):
    slug: str
    name: str
    description: str
    area: dict[str, Any] | None
    timezone: str
    status: OperationStatus
    start_date: date | None
    end_date: date | None
    lead_organisation: OrganisationOut
    partners: list[PartnerOut]
    created_at: datetime
    updated_at: datetime


class InvitationIn(ApiInput):
    organisation_id: RowId
    valid_days: int = Field(default=7, ge=1, le=60)


class InvitationOut(BaseModel):
    id: int
    organisation: OrganisationOut
    created_at: datetime
    expires_at: datetime
    state: str = Field(description="pending, accepted, expired or withdrawn")


class InvitationCreated(InvitationOut):
    token: str = Field(description="Single-use secret; shown once")
    accept_url: str = Field(description="Page where the invited organisation accepts")


class InvitationAccept(ApiInput):
    token: str = Field(min_length=1, max_length=200)


class PartnerStatusIn(ApiInput):
    status: PartnerStatus


class AdminAreaOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pcode: str
    name_en: str
    name_ar: str
    admin_level: int
    parent_pcode: str | None


class GazetteerImportOut(BaseModel):
    created: int
    updated: int
