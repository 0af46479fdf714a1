"""API input and output of the amnesty desk."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from corridor.amnesty.claims import CertificateKind
from corridor.amnesty.models import (
    CustodyStep,
    DestructionMethod,
    IntakeStatus,
    ItemCategory,
    ItemCondition,
    MarkingStatus,
    SerialStatus,
    Sex,
)
from corridor.web.schemas import ApiInput, RowId


class DeskIn(ApiInput):
    name: str = Field(min_length=1, max_length=120)
    place_name: str = Field(default="", max_length=200)
    pcode: str = Field(default="", max_length=30)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    organisation_id: RowId | None = None  # default: the caller's organisation
    officer_ids: list[RowId] = Field(default_factory=list, max_length=100)


class DeskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    organisation_id: int
    place_name: str
    pcode: str
    latitude: float | None
    longitude: float | None
    officer_ids: list[int]


class DepotIn(ApiInput):
    name: str = Field(min_length=1, max_length=120)
    place_name: str = Field(default="", max_length=200)
    pcode: str = Field(default="", max_length=30)
    organisation_id: RowId | None = None


class DepotOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    organisation_id: int
    place_name: str
    pcode: str


class IntakeIn(ApiInput):
    desk_id: RowId
    name_arabic: str = Field(default="", max_length=160)
    name_latin: str = Field(default="", max_length=160)
    birth_date: str = Field(default="", max_length=10, description="YYYY, YYYY-MM or YYYY-MM-DD")
    sex: Sex = Sex.UNKNOWN
    registration_member_id: uuid.UUID | None = None
    took_place_at: datetime | None = None
    explained: list[str] = Field(max_length=20, description="every topic of /amnesty/topics")
    consent_given: bool
    photo_base64: str | None = Field(
        default=None, max_length=7_000_000, description="a JPEG or PNG, only with consent"
    )


class IntakeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    reference: str
    desk_id: int
    organisation_id: int
    officer_id: int | None
    registration_member_id: uuid.UUID | None
    name_arabic: str
    name_latin: str
    birth_date: str
    sex: Sex
    has_photo: bool
    took_place_at: datetime
    explained: list[str]
    consent_given: bool
    status: IntakeStatus
    withdrawn_at: datetime | None
    withdrawal_reason: str


class ReasonIn(ApiInput):
    reason: str = Field(min_length=1, max_length=2000)


class ItemIn(ApiInput):
    category: ItemCategory
    make: str = Field(default="", max_length=100)
    model: str = Field(default="", max_length=100)
    calibre: str = Field(default="", max_length=50)
    serial_number: str = Field(default="", max_length=100)
    serial_status: SerialStatus
    quantity: int = Field(default=1, ge=1, le=1_000_000)
    condition: ItemCondition
    marking_status: MarkingStatus
    description: str = Field(default="", max_length=2000)
    duplicate_serial_note: str = Field(default="", max_length=2000)
    witness_id: RowId
    collected_at: datetime | None = None


class CustodyEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    sequence: int
    step: CustodyStep
    occurred_at: datetime
    place_name: str
    depot_id: int | None
    destination_depot_id: int | None
    officer_id: int
    witness_id: int
    destruction_batch_id: int | None
    disposal: str
    note: str


class ItemOut(BaseModel):
    id: int
    reference: str
    intake_id: uuid.UUID
    category: ItemCategory
    make: str
    model: str
    calibre: str
    serial_number: str
    serial_status: SerialStatus
    duplicate_serial_note: str
    quantity: int
    condition: ItemCondition
    marking_status: MarkingStatus
    description: str
    step: CustodyStep | None
    depot_id: int | None
    photo_count: int
    events: list[CustodyEventOut] | None = None


class CustodyIn(ApiInput):
    step: CustodyStep
    witness_id: RowId
    occurred_at: datetime | None = None
    place_name: str = Field(default="", max_length=200)
    depot_id: RowId | None = None
    destination_depot_id: RowId | None = None
    disposal: str = Field(default="", max_length=2000)
    note: str = Field(default="", max_length=2000)


class HoldingOut(BaseModel):
    depot_id: int
    item_id: int
    reference: str
    category: ItemCategory
    make: str
    model: str
    calibre: str
    serial_number: str
    quantity: int
    condition: ItemCondition
    since: datetime


class DestructionIn(ApiInput):
    depot_id: RowId
    item_ids: list[RowId] = Field(min_length=1, max_length=10_000)
    method: DestructionMethod
    witness_id: RowId
    destroyed_at: datetime | None = None
    place_name: str = Field(default="", max_length=200)
    observers: str = Field(default="", max_length=2000)
    note: str = Field(default="", max_length=2000)


class DestructionOut(BaseModel):
    id: int
    reference: str
    depot_id: int
    method: DestructionMethod
    place_name: str
    destroyed_at: datetime
    officer_id: int
    witness_id: int
    observers: str
    note: str
    item_references: list[str]


class CertificateIn(ApiInput):
    type: CertificateKind
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class CertificateOut(BaseModel):
    id: uuid.UUID
    certificate_id: str  # base64url of the cti, as verifiers report it
    intake_id: uuid.UUID
    type: CertificateKind
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime
    key_id: str
    qr_text: str
    printed_count: int
    revoked_at: datetime | None
    revocation_reason: str


class SummaryOut(BaseModel):
    """Counts for every participant; a count below ``threshold`` is null (suppressed)."""

    threshold: int
    intakes: dict[str, int | None]
    items_by_category: dict[str, int | None]
    items_by_step: dict[str, int | None]
    certificates_issued: int | None
    certificates_revoked: int | None
