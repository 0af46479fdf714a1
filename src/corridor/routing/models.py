"""Tables of the routing capability: road networks, hazards, incidents."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from corridor.db.base import Base
from corridor.db.mixins import InOperation
from corridor.db.types import UTCDateTime, str_enum, utcnow


class RoadNetwork(InOperation, Base):
    """One imported version of an operation's network for one profile.

    The arrays are stored in the database (a NumPy archive, ~26 bytes an arc) so
    that every server, also on other machines, loads the same network, and so
    that importing again replaces it in one transaction.
    """

    __tablename__ = "road_networks"
    __table_args__ = (
        UniqueConstraint("operation_id", "profile", "version"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    profile: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    nodes: Mapped[int] = mapped_column(Integer)
    arcs: Mapped[int] = mapped_column(Integer)
    bbox: Mapped[list] = mapped_column(JSON)
    source_name: Mapped[str] = mapped_column(String(200))
    source_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))

    audit_entity = "road_network"
    audit_exclude = frozenset({"data"})


class HazardKind(enum.StrEnum):
    SHELLING = "shelling"
    ARMED_CLASHES = "armed_clashes"
    FRONT_LINE = "front_line"
    CHECKPOINT_CLOSED = "checkpoint_closed"
    ROAD_DAMAGED = "road_damaged"
    UNEXPLODED_ORDNANCE = "unexploded_ordnance"
    OTHER = "other"


class Confidence(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Hazard(InOperation, Base):
    """A zone to avoid (impassable) or to discourage by a cost factor, for a time."""

    __tablename__ = "hazards"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[HazardKind] = mapped_column(str_enum(HazardKind))
    # As drawn (repaired if it crossed itself), and with the buffer applied (WGS 84).
    geometry: Mapped[dict] = mapped_column(JSON)
    buffer_m: Mapped[float] = mapped_column(Float, default=0.0)
    effective_geometry: Mapped[dict] = mapped_column(JSON)
    # None: impassable ("avoid"); otherwise a cost factor > 1.
    factor: Mapped[float | None] = mapped_column(Float)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(200), default="")
    confidence: Mapped[Confidence] = mapped_column(str_enum(Confidence), default=Confidence.MEDIUM)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Withdrawn hazards are kept (the history), never deleted.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    audit_entity = "hazard"

    @property
    def severity(self) -> str:
        return "avoid" if self.factor is None else "factor"

    @property
    def zone_key(self) -> tuple[int, str]:
        """Identifies this revision of the zone in the router's caches."""
        return (self.id, self.updated_at.isoformat())

    def in_force(self, at: datetime) -> bool:
        return (
            self.withdrawn_at is None
            and self.valid_from <= at
            and (self.valid_until is None or at < self.valid_until)
        )


class IncidentStatus(enum.StrEnum):
    REPORTED = "reported"
    VERIFIED = "verified"
    DISCOUNTED = "discounted"


class Incident(InOperation, Base):
    """Something that happened at a place and time; may create a hazard."""

    __tablename__ = "incidents"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    corridor_id: Mapped[int | None] = mapped_column(ForeignKey("corridors.id", ondelete="SET NULL"))
    checkpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkpoints.id", ondelete="SET NULL")
    )
    kind: Mapped[HazardKind] = mapped_column(str_enum(HazardKind))
    injured: Mapped[int] = mapped_column(Integer, default=0)
    killed: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[IncidentStatus] = mapped_column(
        str_enum(IncidentStatus), default=IncidentStatus.REPORTED
    )
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "incident"
