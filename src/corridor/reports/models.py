"""Tables of the reports capability: published situation reports."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from corridor.db.base import Base
from corridor.db.mixins import InOperation
from corridor.db.types import UTCDateTime, utcnow


class PublishedSitrep(InOperation, Base):
    """A situation report as partners received it: frozen, never edited.

    ``content`` holds every figure after disclosure control, so the HTML page,
    the data files and the PDF (kept as printed) come out the same every time.
    When late data changes a published period, the report is published again as
    a new version (``revises_id`` points at the one it replaces).
    """

    __tablename__ = "sitreps"
    __table_args__ = (
        UniqueConstraint("operation_id", "first_day", "last_day", "version"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    revises_id: Mapped[int | None] = mapped_column(ForeignKey("sitreps.id"))
    threshold: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    data_as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    audit_entity = "sitrep"
    audit_exclude = frozenset({"content", "pdf"})  # content_sha256 stands for them
