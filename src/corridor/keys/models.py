"""Wrapped data keys (never stored in the clear)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from corridor.db.base import Base
from corridor.db.types import UTCDateTime, utcnow


class DataKey(Base):
    """One version of an operation's key for one purpose, wrapped by the master key.

    ``operation_id`` is NULL for the platform-wide keys (e.g. the audit chain of
    organisations and users, which belong to no operation).
    """

    __tablename__ = "data_keys"
    __table_args__ = (UniqueConstraint("scope", "purpose", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "op:<id>" or "global": a NOT NULL key so the unique constraint holds on both databases.
    scope: Mapped[str] = mapped_column(String(32))
    operation_id: Mapped[int | None] = mapped_column(
        ForeignKey("operations.id", ondelete="SET NULL"), nullable=True
    )
    purpose: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
