"""Tables of the operations capability."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from corridor.accounts.models import Organisation
from corridor.db.base import Base
from corridor.db.mixins import InOperation
from corridor.db.types import UTCDateTime, str_enum, utcnow


class OperationStatus(enum.StrEnum):
    PLANNING = "planning"
    ACTIVE = "active"
    CLOSING = "closing"
    CLOSED = "closed"


class PartnerStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Operation(Base):
    __tablename__ = "operations"
    # Ids are never reused (they name entities in the audit chain).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # GeoJSON Polygon or MultiPolygon in WGS 84 longitude/latitude.
    area: Mapped[dict | None] = mapped_column(JSON)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[OperationStatus] = mapped_column(
        str_enum(OperationStatus), default=OperationStatus.PLANNING
    )
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    lead_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lead_organisation: Mapped[Organisation] = relationship()
    partners: Mapped[list[OperationPartner]] = relationship(
        back_populates="operation", cascade="all, delete-orphan"
    )

    audit_entity = "operation"

    @property
    def audit_operation_id(self) -> int:
        return self.id


class OperationPartner(InOperation, Base):
    """An organisation taking part in an operation (the lead is one too)."""

    __tablename__ = "operation_partners"
    __table_args__ = (
        UniqueConstraint("operation_id", "organisation_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[PartnerStatus] = mapped_column(
        str_enum(PartnerStatus), default=PartnerStatus.ACTIVE
    )
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    operation: Mapped[Operation] = relationship(back_populates="partners")
    organisation: Mapped[Organisation] = relationship()

    audit_entity = "operation_partner"


class Invitation(InOperation, Base):
    """A single-use invitation for an organisation to join an operation."""

    __tablename__ = "invitations"
    # Ids are never reused (they name entities in the audit chain).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    operation: Mapped[Operation] = relationship()
    organisation: Mapped[Organisation] = relationship()

    audit_entity = "invitation"
    audit_exclude = frozenset({"token_hash"})


class AdminArea(InOperation, Base):
    """An administrative area of the operation's gazetteer, keyed by P-code."""

    __tablename__ = "admin_areas"
    __table_args__ = (UniqueConstraint("operation_id", "pcode"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id", ondelete="CASCADE"))
    pcode: Mapped[str] = mapped_column(String(32))
    name_en: Mapped[str] = mapped_column(String(200))
    name_ar: Mapped[str] = mapped_column(String(200), default="")
    admin_level: Mapped[int] = mapped_column(Integer)
    parent_pcode: Mapped[str | None] = mapped_column(String(32))

    audit_entity = "admin_area"


class CorridorStatus(enum.StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Corridor(InOperation, Base):
    """An agreed route of an operation, with its checkpoints, windows and status."""

    __tablename__ = "corridors"
    __table_args__ = (UniqueConstraint("operation_id", "name"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    profile: Mapped[str] = mapped_column(String(16))
    origin: Mapped[list] = mapped_column(JSON)  # [lon, lat]
    destination: Mapped[list] = mapped_column(JSON)
    route: Mapped[dict] = mapped_column(JSON)  # GeoJSON LineString
    distance_m: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float)
    status: Mapped[CorridorStatus] = mapped_column(
        str_enum(CorridorStatus), default=CorridorStatus.PLANNED
    )
    # [{"from": iso, "until": iso}, ...] in UTC.
    windows: Mapped[list] = mapped_column(JSON, default=list)
    parties: Mapped[list] = mapped_column(JSON, default=list)
    capacity_per_hour: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    checkpoints: Mapped[list[Checkpoint]] = relationship(
        back_populates="corridor", cascade="all, delete-orphan", order_by="Checkpoint.position"
    )

    audit_entity = "corridor"


class Checkpoint(InOperation, Base):
    """A point on a corridor's route where crossings are counted."""

    __tablename__ = "checkpoints"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    corridor_id: Mapped[int | None] = mapped_column(ForeignKey("corridors.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    distance_along_m: Mapped[float | None] = mapped_column(Float)
    snapped_m: Mapped[float | None] = mapped_column(Float)
    # The admin area (gazetteer P-code) it lies in: reports group its figures by it.
    pcode: Mapped[str | None] = mapped_column(String(32))

    corridor: Mapped[Corridor | None] = relationship(back_populates="checkpoints")

    audit_entity = "checkpoint"


class CorridorStatusChange(InOperation, Base):
    """The history of a corridor's status, with reasons."""

    __tablename__ = "corridor_status_changes"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    corridor_id: Mapped[int] = mapped_column(
        ForeignKey("corridors.id", ondelete="CASCADE"), index=True
    )
    operation_id: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "corridor_status_change"


class CorridorFlag(InOperation, Base):
    """A hazard that touches a corridor's route, and the re-planned route proposed."""

    __tablename__ = "corridor_flags"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    corridor_id: Mapped[int] = mapped_column(
        ForeignKey("corridors.id", ondelete="CASCADE"), index=True
    )
    operation_id: Mapped[int] = mapped_column(Integer, index=True)
    hazard_id: Mapped[int] = mapped_column(Integer)
    hazard_name: Mapped[str] = mapped_column(String(200), default="")
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # pending → proposed (a re-planned route exists) → accepted / rejected; or cleared.
    state: Mapped[str] = mapped_column(String(16), default="pending")
    proposed_route: Mapped[dict | None] = mapped_column(JSON)
    proposed_distance_m: Mapped[float | None] = mapped_column(Float)
    proposed_duration_s: Mapped[float | None] = mapped_column(Float)
    proposal_safe: Mapped[bool | None] = mapped_column(Boolean)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    audit_entity = "corridor_flag"


# Deconfliction: humanitarian sites and planned movements notified to the parties ---------


class VehicleKind(enum.StrEnum):
    TRUCK = "truck"
    BUS = "bus"
    AMBULANCE = "ambulance"
    CAR = "car"
    OTHER = "other"


class MovementStatus(enum.StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class NotificationChannel(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    RADIO = "radio"
    IN_PERSON = "in_person"
    LIAISON_OFFICER = "liaison_officer"
    OTHER = "other"


class NotifiedSite(InOperation, Base):
    """A humanitarian site to notify that Corridor does not know otherwise (a field
    hospital, a shelter): aid points and checkpoints are taken from their own tables."""

    __tablename__ = "notified_sites"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="other")
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "notified_site"


class PlannedMovement(InOperation, Base):
    """A convoy on a corridor between two times: vehicles counted, never identified
    (no plates, no drivers: the parties need where and when, not who)."""

    __tablename__ = "planned_movements"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    reference: Mapped[str] = mapped_column(String(60))
    corridor_id: Mapped[int] = mapped_column(ForeignKey("corridors.id"))
    departs_at: Mapped[datetime] = mapped_column(UTCDateTime)
    arrives_at: Mapped[datetime] = mapped_column(UTCDateTime)
    vehicles: Mapped[int] = mapped_column(Integer)
    vehicle_kind: Mapped[VehicleKind] = mapped_column(str_enum(VehicleKind))
    organisations: Mapped[list] = mapped_column(JSON, default=list)  # organisation ids
    status: Mapped[MovementStatus] = mapped_column(
        str_enum(MovementStatus), default=MovementStatus.PLANNED
    )
    revision: Mapped[int] = mapped_column(Integer, default=1)  # +1 on every change
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    audit_entity = "planned_movement"


class Notice(InOperation, Base):
    """One version of a notification package sent to the parties: frozen.

    Versions of the same notice share its ``number``; a change to a movement it
    notified makes the next version, and the earlier ones stay (the history).
    """

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("operation_id", "number", "version"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    include_amnesty: Mapped[bool] = mapped_column(Boolean, default=False)
    parties: Mapped[list] = mapped_column(JSON, default=list)
    movement_ids: Mapped[list] = mapped_column(JSON, default=list)
    content: Mapped[dict] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    audit_entity = "notice"
    audit_exclude = frozenset({"content", "pdf"})


class NoticeAcknowledgement(InOperation, Base):
    """A party's acknowledgement of a notice version, recorded by lead staff (the
    parties have no accounts): which party, by which channel, when."""

    __tablename__ = "notice_acknowledgements"
    __table_args__ = (
        UniqueConstraint("notice_id", "party"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    operation_id: Mapped[int] = mapped_column(Integer)
    party: Mapped[str] = mapped_column(String(200))
    channel: Mapped[NotificationChannel] = mapped_column(str_enum(NotificationChannel))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "notice_acknowledgement"
