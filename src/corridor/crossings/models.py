"""Tables of the crossings capability (this slice: anonymous headcounts)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from corridor.db.base import Base
from corridor.db.mixins import InOperation
from corridor.db.types import UTCDateTime, str_enum, utcnow


class Direction(enum.StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class Means(enum.StrEnum):
    FOOT = "foot"
    CAR = "car"
    BUS = "bus"
    TRUCK = "truck"
    AMBULANCE = "ambulance"
    CART = "cart"
    OTHER = "other"


SEXES = ("female", "male")
AGE_BANDS = ("0_4", "5_17", "18_59", "60_plus")
COUNT_FIELDS = tuple(f"{sex}_{band}" for sex in SEXES for band in AGE_BANDS)
FLAG_FIELDS = ("unaccompanied_children", "injured", "disabled", "pregnant")


class Headcount(InOperation, Base):
    """One officer's tally at a checkpoint for a time slot: counts, never names.

    The id is made by the client (a UUID), so a record sent again is recognised;
    ``version`` lets an offline edit be told from a stale one.
    """

    __tablename__ = "headcounts"
    __table_args__ = (Index("ix_headcounts_checkpoint_slot", "checkpoint_id", "slot_start"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=60)
    direction: Mapped[Direction] = mapped_column(str_enum(Direction))
    means: Mapped[Means] = mapped_column(str_enum(Means))
    female_0_4: Mapped[int] = mapped_column(Integer, default=0)
    female_5_17: Mapped[int] = mapped_column(Integer, default=0)
    female_18_59: Mapped[int] = mapped_column(Integer, default=0)
    female_60_plus: Mapped[int] = mapped_column(Integer, default=0)
    male_0_4: Mapped[int] = mapped_column(Integer, default=0)
    male_5_17: Mapped[int] = mapped_column(Integer, default=0)
    male_18_59: Mapped[int] = mapped_column(Integer, default=0)
    male_60_plus: Mapped[int] = mapped_column(Integer, default=0)
    unaccompanied_children: Mapped[int] = mapped_column(Integer, default=0)
    injured: Mapped[int] = mapped_column(Integer, default=0)
    disabled: Mapped[int] = mapped_column(Integer, default=0)
    pregnant: Mapped[int] = mapped_column(Integer, default=0)
    # Where the record came from.
    device_id: Mapped[str] = mapped_column(String(100), default="")
    form_version: Mapped[str] = mapped_column(String(50), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    audit_entity = "headcount"

    @property
    def total(self) -> int:
        return sum(getattr(self, name) for name in COUNT_FIELDS)
