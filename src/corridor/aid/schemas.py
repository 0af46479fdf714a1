"""API input and output of the aid capability."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from corridor.aid.models import (
    Category,
    ConsultationCategory,
    EntitlementUnit,
    MovementKind,
    PlaceKind,
    PlaceStatus,
    RecipientKind,
    Referral,
    Service,
    Unit,
    WaybillStatus,
    WriteOffReason,
)
from corridor.web.schemas import ApiInput, RowId

# Quantities arrive as JSON numbers and are checked by the services (whole,
# positive, within bounds), so that the error names the line and says why.
Quantity = Annotated[int | float, Field(description="whole number of the item's base unit")]


class PlaceIn(ApiInput):
    kind: PlaceKind
    name: str = Field(min_length=1, max_length=200)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    organisation_id: RowId | None = None  # default: the caller's organisation
    corridor_id: RowId | None = None
    checkpoint_id: RowId | None = None
    opening_hours: str = Field(default="", max_length=200)
    status: PlaceStatus = PlaceStatus.PLANNED
    services: list[Service] = Field(default_factory=list, max_length=10)
    pcode: str | None = Field(
        default=None, max_length=32, description="P-code of the admin area it lies in"
    )


class PlaceUpdate(ApiInput):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    corridor_id: RowId | None = None
    checkpoint_id: RowId | None = None
    opening_hours: str | None = Field(default=None, max_length=200)
    status: PlaceStatus | None = None
    services: list[Service] | None = Field(default=None, max_length=10)
    pcode: str | None = Field(default=None, max_length=32)


class PlaceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: PlaceKind
    name: str
    organisation_id: int
    lon: float
    lat: float
    corridor_id: int | None
    checkpoint_id: int | None
    opening_hours: str
    status: PlaceStatus
    services: list[str]
    pcode: str | None


class ItemIn(ApiInput):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    unit: Unit
    category: Category
    unit_weight_kg: float = Field(default=0.0, ge=0, le=1e6)
    unit_volume_l: float | None = Field(default=None, ge=0, le=1e6)
    batch_tracked: bool = False


class ItemUpdate(ApiInput):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    category: Category | None = None
    unit_weight_kg: float | None = Field(default=None, ge=0, le=1e6)
    unit_volume_l: float | None = Field(default=None, ge=0, le=1e6)
    active: bool | None = None


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    unit: Unit
    unit_weight_kg: float
    unit_volume_l: float | None
    category: Category
    batch_tracked: bool
    active: bool


class LineIn(ApiInput):
    item_id: RowId
    quantity: Quantity
    batch: str | None = Field(default=None, max_length=64)
    batch_id: RowId | None = None
    expires_on: date | None = None


class ReceiptIn(ApiInput):
    lines: list[LineIn] = Field(min_length=1, max_length=200)
    counterpart: str = Field(default="", max_length=200)
    reference: str = Field(default="", max_length=100)
    occurred_at: datetime | None = None


class WriteOffIn(ApiInput):
    lines: list[LineIn] = Field(min_length=1, max_length=200)
    reason: WriteOffReason
    note: str = Field(default="", max_length=2000)


class CountIn(ApiInput):
    lines: list[LineIn] = Field(min_length=1, max_length=2000)
    reference: str = Field(default="", max_length=100)


class ReversalIn(ApiInput):
    reason: str = Field(min_length=1, max_length=2000)


class ReorderLevelIn(ApiInput):
    quantity: int | None = Field(ge=0, le=10**12)


class MovementLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    item_id: int
    batch_id: int
    quantity: int


class MovementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: MovementKind
    place_id: int
    occurred_at: datetime
    recorded_at: datetime
    reference: str
    counterpart: str
    reason: str
    write_off_reason: WriteOffReason | None
    reverses_id: int | None
    waybill_id: int | None
    lines: list[MovementLineOut]


class BatchStockOut(BaseModel):
    item_id: int
    item_code: str
    batch_id: int
    batch: str
    expires_on: date | None
    quantity: int


class ItemStockOut(BaseModel):
    item_id: int
    item_code: str
    name: str
    unit: Unit
    quantity: int
    weight_kg: float


class AlertOut(BaseModel):
    kind: str
    item_id: int
    item_code: str
    batch_id: int | None
    quantity: int
    detail: str


class StockOut(BaseModel):
    place: PlaceOut
    items: list[ItemStockOut]
    batches: list[BatchStockOut]
    alerts: list[AlertOut]


class WaybillIn(ApiInput):
    from_place_id: RowId
    to_place_id: RowId
    lines: list[LineIn] = Field(min_length=1, max_length=200)
    carrier: str = Field(default="", max_length=200)
    notes: str = Field(default="", max_length=2000)


class ArrivalIn(ApiInput):
    line_id: RowId
    received: Quantity
    lost: Quantity = 0
    damaged: Quantity = 0


class WaybillReceiptIn(ApiInput):
    lines: list[ArrivalIn] = Field(min_length=1, max_length=400)


class WaybillLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    item_id: int
    batch_id: int | None
    dispatched: int
    received: int | None
    lost: int | None
    damaged: int | None


class WaybillOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    from_place_id: int
    to_place_id: int
    status: WaybillStatus
    carrier: str
    notes: str
    created_at: datetime
    dispatched_at: datetime | None
    received_at: datetime | None
    lines: list[WaybillLineOut]


class GivenIn(ApiInput):
    item_id: RowId
    quantity: Quantity
    batch_id: RowId | None = None


class RecipientIn(ApiInput):
    kind: RecipientKind
    registration_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    people_count: int = Field(default=1, ge=1, le=1000)


class DistributionIn(ApiInput):
    id: uuid.UUID  # made by the client: a resend is recognised
    place_id: RowId
    recipient: RecipientIn
    items: list[GivenIn] = Field(min_length=1, max_length=50)
    distributed_at: datetime | None = None
    override_reason: str | None = Field(default=None, max_length=2000)


class EntitlementRuleIn(ApiInput):
    name: str = Field(min_length=1, max_length=200)
    item_id: RowId
    quantity: Quantity
    per: EntitlementUnit
    period_days: int = Field(ge=1, le=366)
    min_age_years: int | None = Field(default=None, ge=0, le=120)


class EntitlementRuleUpdate(ApiInput):
    active: bool


class EntitlementRuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    item_id: int
    quantity: int
    per: EntitlementUnit
    period_days: int
    min_age_years: int | None
    active: bool


class StandingOut(BaseModel):
    rule_id: int
    rule: str
    item_id: int
    allowance: int
    received: int
    remaining: int
    next_on: date | None


class EntitlementStatusOut(BaseModel):
    """The purpose-limited answer an officer gets: how many, and what is left."""

    household_members: int
    rules: list[StandingOut]


class DistributionOut(BaseModel):
    id: uuid.UUID
    place_id: int
    recipient_kind: RecipientKind
    people_count: int
    distributed_at: datetime
    movement_id: int
    created: bool


class FlagOut(BaseModel):
    code: str
    detail: str


class ReconciliationOut(BaseModel):
    """A distribution captured offline whose figures did not add up, and its review."""

    id: uuid.UUID
    place_id: int
    place_name: str
    distributed_at: datetime
    recipient_kind: RecipientKind
    registration_id: uuid.UUID | None
    recipient_reference: str
    people_count: int
    items: dict[int, int]  # item id → quantity given
    flags: list[FlagOut]
    override_reason: str | None
    shortfall_open: bool
    shortfall_settled_by: int | None  # the stock count that settled it
    recorded_by_id: int | None
    reviewed_at: datetime | None
    reviewed_by_id: int | None
    review_note: str


class ReviewIn(ApiInput):
    note: str = Field(max_length=2000)


class LedgerCheckOut(BaseModel):
    mismatches: int
    details: list[dict[str, int]]


class ConsultationIn(ApiInput):
    id: uuid.UUID  # made by the client: a resend is recognised
    day: date
    age_band: str = Field(max_length=8, description="0_4, 5_17, 18_59 or 60_plus")
    sex: str = Field(max_length=8, description="female or male")
    category: ConsultationCategory
    referral: Referral = Referral.NONE


class ConsultationsIn(ApiInput):
    consultations: list[ConsultationIn] = Field(min_length=1, max_length=500)


class ConsultationsStored(BaseModel):
    stored: int
    already_stored: int


class ConsultationCountOut(BaseModel):
    day: date
    category: ConsultationCategory
    consultations: int | None = Field(description="null: fewer than 5, not shown")
    referred: int | None


class DistributedOut(BaseModel):
    day: date
    place_id: int
    item_id: int
    item_code: str
    quantity: int
    tonnes: float


class StockOutOut(BaseModel):
    place_id: int
    item_id: int
    item_code: str
    days: int
    last_day: date | None


class RecipientFoundOut(BaseModel):
    """What an officer who distributes may know of a registered household."""

    registration_id: uuid.UUID
    name: str
    household_members: int
    probability: float
    rules: list[StandingOut]
