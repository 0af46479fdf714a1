"""Tables of the aid capability: places, the item catalogue, batches and the stock ledger.

The ledger (``aid_movements`` and their ``aid_movement_lines``) is the single
source of truth: rows are only ever inserted, and a mistake is corrected by a
reversing movement. ``aid_balances`` holds, per place and batch, the sum of
the ledger's lines: it is written in the same transaction as each movement,
so that a balance reads in one row and "never below zero" is one conditional
update (and a CHECK constraint behind it), and ``aid.ledger.mismatches``
proves it equal to the ledger.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from corridor.db.base import Base
from corridor.db.mixins import InOperation, PersonalDataMixin
from corridor.db.types import UTCDateTime, str_enum, utcnow

# What a distribution, and every lookup made to serve one, is for.
DISTRIBUTION_PURPOSE = "aid_distribution"


class PlaceKind(enum.StrEnum):
    WAREHOUSE = "warehouse"
    AID_POINT = "aid_point"


class PlaceStatus(enum.StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"


class Service(enum.StrEnum):
    FOOD = "food"
    WATER = "water"
    NON_FOOD_ITEMS = "non_food_items"
    MEDICAL = "medical"
    CHILD_FRIENDLY_SPACE = "child_friendly_space"


class Unit(enum.StrEnum):
    """Base units: every quantity is a whole number of one of these."""

    PIECE = "piece"
    GRAM = "g"
    MILLILITRE = "ml"


class Category(enum.StrEnum):
    FOOD = "food"
    WASH = "wash"
    SHELTER_NFI = "shelter_nfi"
    MEDICAL = "medical"
    NUTRITION = "nutrition"
    EDUCATION = "education"
    OTHER = "other"


class MovementKind(enum.StrEnum):
    RECEIPT = "receipt"  # from a donor or supplier
    DISPATCH = "dispatch"  # out of a place on a waybill
    WAYBILL_RECEIPT = "waybill_receipt"  # into a place from a waybill
    DISTRIBUTION = "distribution"
    WRITE_OFF = "write_off"  # loss, damage, expiry
    COUNT_ADJUSTMENT = "count_adjustment"  # a stock count found a different quantity
    REVERSAL = "reversal"  # undoes another movement, with a reason
    # Stock given offline beyond what the ledger held: brought into the ledger so
    # that it never goes below zero, and open until the next stock count.
    DISCREPANCY = "discrepancy"


class WriteOffReason(enum.StrEnum):
    LOSS = "loss"
    DAMAGE = "damage"
    EXPIRY = "expiry"


class WaybillStatus(enum.StrEnum):
    DRAFT = "draft"
    DISPATCHED = "dispatched"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class ConsultationCategory(enum.StrEnum):
    TRAUMA_INJURY = "trauma_injury"
    CHRONIC_DISEASE = "chronic_disease"
    MATERNAL = "maternal"
    CHILD_HEALTH = "child_health"
    MENTAL_HEALTH = "mental_health"
    OTHER = "other"


class Referral(enum.StrEnum):
    NONE = "none"
    HOSPITAL = "hospital"
    OTHER = "other"


class EntitlementUnit(enum.StrEnum):
    HOUSEHOLD = "household"
    PERSON = "person"


class ReconciliationFlag(enum.StrEnum):
    """Why a distribution captured offline (always accepted) waits for a coordinator."""

    STOCK_SHORTFALL = "stock_shortfall"  # more was given than the ledger held
    ENTITLEMENT_EXCEEDED = "entitlement_exceeded"
    POINT_NOT_OPEN = "point_not_open"
    UNKNOWN_RECIPIENT = "unknown_recipient"  # a registration not (yet) received here


class RecipientKind(enum.StrEnum):
    HOUSEHOLD = "household"
    INDIVIDUAL = "individual"
    ANONYMOUS = "anonymous"


class Place(InOperation, Base):
    """A warehouse or an aid point of an operation."""

    __tablename__ = "aid_places"
    __table_args__ = (UniqueConstraint("operation_id", "name"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[PlaceKind] = mapped_column(str_enum(PlaceKind))
    name: Mapped[str] = mapped_column(String(200))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    corridor_id: Mapped[int | None] = mapped_column(ForeignKey("corridors.id", ondelete="SET NULL"))
    checkpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkpoints.id", ondelete="SET NULL")
    )
    opening_hours: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[PlaceStatus] = mapped_column(str_enum(PlaceStatus), default=PlaceStatus.PLANNED)
    services: Mapped[list] = mapped_column(JSON, default=list)
    # The admin area (gazetteer P-code) it lies in: reports group its figures by it.
    pcode: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    audit_entity = "aid_place"


class Item(InOperation, Base):
    """An entry of an operation's catalogue (the default one is copied in at creation)."""

    __tablename__ = "aid_items"
    __table_args__ = (UniqueConstraint("operation_id", "code"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[Unit] = mapped_column(str_enum(Unit))
    unit_weight_kg: Mapped[float] = mapped_column(Float, default=0.0)  # of one base unit
    unit_volume_l: Mapped[float | None] = mapped_column(Float)
    category: Mapped[Category] = mapped_column(str_enum(Category))
    batch_tracked: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    audit_entity = "aid_item"


class Batch(InOperation, Base):
    """A lot of an item with its expiry; an item without batches has one, named ``-``."""

    __tablename__ = "aid_batches"
    __table_args__ = (UniqueConstraint("item_id", "code"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("aid_items.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "aid_batch"


class Movement(InOperation, Base):
    """One event of the ledger; its lines say what changed where. Never updated."""

    __tablename__ = "aid_movements"
    __table_args__ = (
        Index("ix_aid_movements_place_occurred", "place_id", "occurred_at"),
        Index("ix_aid_movements_operation_recorded", "operation_id", "recorded_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MovementKind] = mapped_column(str_enum(MovementKind))
    place_id: Mapped[int] = mapped_column(ForeignKey("aid_places.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reference: Mapped[str] = mapped_column(String(100), default="")  # delivery note, count sheet
    counterpart: Mapped[str] = mapped_column(String(200), default="")  # donor, supplier
    reason: Mapped[str] = mapped_column(Text, default="")
    write_off_reason: Mapped[WriteOffReason | None] = mapped_column(str_enum(WriteOffReason))
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("aid_movements.id"), unique=True
    )  # unique: a movement is reversed at most once
    waybill_id: Mapped[int | None] = mapped_column(ForeignKey("aid_waybills.id"), index=True)

    lines: Mapped[list[MovementLine]] = relationship(
        back_populates="movement", order_by="MovementLine.id"
    )

    audit_entity = "aid_movement"


class MovementLine(InOperation, Base):
    """A signed whole quantity of one batch at the movement's place."""

    __tablename__ = "aid_movement_lines"
    __table_args__ = (
        CheckConstraint("quantity <> 0", name="nonzero"),
        Index("ix_aid_movement_lines_place_batch", "place_id", "batch_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(Integer)
    movement_id: Mapped[int] = mapped_column(ForeignKey("aid_movements.id"), index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("aid_places.id"))  # the movement's
    item_id: Mapped[int] = mapped_column(ForeignKey("aid_items.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("aid_batches.id"))
    quantity: Mapped[int] = mapped_column(Integer)

    movement: Mapped[Movement] = relationship(back_populates="lines")

    audit_entity = "aid_movement_line"


class Balance(Base):
    """What the ledger holds of one batch at one place (derived, never edited by hand)."""

    __tablename__ = "aid_balances"
    __table_args__ = (
        UniqueConstraint("place_id", "batch_id"),
        CheckConstraint("quantity >= 0", name="never_negative"),
        Index("ix_aid_balances_place_item", "place_id", "item_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    place_id: Mapped[int] = mapped_column(ForeignKey("aid_places.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("aid_items.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("aid_batches.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=0)


class ReorderLevel(InOperation, Base):
    """Below this quantity of an item at a place, the stock overview raises an alert."""

    __tablename__ = "aid_reorder_levels"
    __table_args__ = (UniqueConstraint("place_id", "item_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    place_id: Mapped[int] = mapped_column(ForeignKey("aid_places.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("aid_items.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)

    audit_entity = "aid_reorder_level"


class Waybill(InOperation, Base):
    """A consignment from one place to another: drafted, dispatched, received once."""

    __tablename__ = "aid_waybills"
    __table_args__ = (UniqueConstraint("operation_id", "number"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(40))
    from_place_id: Mapped[int] = mapped_column(ForeignKey("aid_places.id"))
    to_place_id: Mapped[int] = mapped_column(ForeignKey("aid_places.id"))
    status: Mapped[WaybillStatus] = mapped_column(
        str_enum(WaybillStatus), default=WaybillStatus.DRAFT
    )
    carrier: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[WaybillLine]] = relationship(
        back_populates="waybill", order_by="WaybillLine.id", cascade="all, delete-orphan"
    )

    audit_entity = "aid_waybill"


class WaybillLine(InOperation, Base):
    """One batch on a waybill: sent, and on receipt what arrived, was lost or damaged."""

    __tablename__ = "aid_waybill_lines"
    __table_args__ = (
        CheckConstraint("dispatched > 0", name="dispatched_positive"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(Integer)
    waybill_id: Mapped[int] = mapped_column(
        ForeignKey("aid_waybills.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("aid_items.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("aid_batches.id"))  # chosen at dispatch
    dispatched: Mapped[int] = mapped_column(Integer)
    received: Mapped[int | None] = mapped_column(Integer)
    lost: Mapped[int | None] = mapped_column(Integer)
    damaged: Mapped[int | None] = mapped_column(Integer)

    waybill: Mapped[Waybill] = relationship(back_populates="lines")

    audit_entity = "aid_waybill_line"


class Distribution(PersonalDataMixin, InOperation, Base):
    """Items given at an aid point to a household, a person, or people not registered.

    Personal data when it names a registration or person: who received what.
    ``id`` is made by the client, so that a resend is recognised.
    """

    __tablename__ = "aid_distributions"
    __table_args__ = (
        Index("ix_aid_distributions_operation_updated", "operation_id", "updated_at"),
    )

    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    place_id: Mapped[int] = mapped_column(ForeignKey("aid_places.id"), index=True)
    recipient_kind: Mapped[RecipientKind] = mapped_column(str_enum(RecipientKind))
    registration_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )
    # Linkage's clusters, as they were when given (a merge is followed through
    # its alias table when entitlements are counted).
    person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    household_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    people_count: Mapped[int] = mapped_column(Integer, default=1)  # tokens when anonymous
    distributed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    movement_id: Mapped[int] = mapped_column(ForeignKey("aid_movements.id"), unique=True)
    content_sha256: Mapped[str] = mapped_column(String(64))  # what a resend must repeat
    # Given beyond an entitlement: why, and the coordinator who decided.
    override_reason: Mapped[str | None] = mapped_column(Text)
    overridden_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Captured offline (a distribution list sent from a phone): the submission it
    # came in, what did not add up (``ReconciliationFlag`` and a detail without
    # personal data), the registration number as typed or scanned when no such
    # registration is stored yet, and the coordinator's review.
    submission_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("submissions.id"), unique=True
    )
    flags: Mapped[list] = mapped_column(JSON, default=list)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # flags is not empty
    recipient_reference: Mapped[str] = mapped_column(String(100), default="")
    discrepancy_movement_id: Mapped[int | None] = mapped_column(ForeignKey("aid_movements.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str] = mapped_column(Text, default="")

    movement: Mapped[Movement] = relationship(foreign_keys=[movement_id])

    audit_entity = "aid_distribution"


class EntitlementRule(InOperation, Base):
    """How much of an item a household, or a person, may receive in a period.

    "One food parcel per household per 30 days"; "one hygiene kit per person of
    12 years or more per 30 days" (for a household: one per such member).
    """

    __tablename__ = "aid_entitlement_rules"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("period_days > 0", name="period_positive"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    item_id: Mapped[int] = mapped_column(ForeignKey("aid_items.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    per: Mapped[EntitlementUnit] = mapped_column(str_enum(EntitlementUnit))
    period_days: Mapped[int] = mapped_column(Integer)
    min_age_years: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "aid_entitlement_rule"


class Consultation(InOperation, Base):
    """One consultation at a medical point, as a tally: no name, no free-text diagnosis.

    ``id`` is made by the client (a tally made offline is sent again safely).
    Only counts leave the medical point (``corridor.aid.consultations``).
    """

    __tablename__ = "aid_consultations"
    __table_args__ = (
        Index("ix_aid_consultations_place_day", "place_id", "day"),
        Index("ix_aid_consultations_operation_recorded", "operation_id", "recorded_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    place_id: Mapped[int] = mapped_column(ForeignKey("aid_places.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    day: Mapped[date] = mapped_column(Date)
    age_band: Mapped[str] = mapped_column(String(8))  # 0_4, 5_17, 18_59, 60_plus
    sex: Mapped[str] = mapped_column(String(8))  # female, male
    category: Mapped[ConsultationCategory] = mapped_column(str_enum(ConsultationCategory))
    referral: Mapped[Referral] = mapped_column(str_enum(Referral), default=Referral.NONE)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "aid_consultation"
