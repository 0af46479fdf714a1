"""The mixin every table holding personal data uses.

One definition, so that the data protection capability can rely on the same
columns everywhere: a UUID id that reveals nothing about volumes or order, an
optimistic-lock version (offline edits must not silently overwrite each other),
UTC timestamps, soft deletion, and the purpose and lawful basis the record was
collected for.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Integer, String, Uuid
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from corridor.db.types import UTCDateTime, str_enum, utcnow


class LawfulBasis(enum.StrEnum):
    """Lawful bases of the ICRC Handbook on Data Protection in Humanitarian Action."""

    VITAL_INTEREST = "vital_interest"
    PUBLIC_INTEREST = "public_interest"
    CONSENT = "consent"
    LEGITIMATE_INTEREST = "legitimate_interest"
    LEGAL_OBLIGATION = "legal_obligation"


def personal(**kwargs: Any) -> Any:
    """A ``mapped_column`` flagged as personal data (checked by the test suite)."""
    info = dict(kwargs.pop("info", {}) or {})
    info["personal_data"] = True
    return mapped_column(*kwargs.pop("args", ()), info=info, **kwargs)


class PersonalDataMixin:
    """Columns and behaviour shared by every personal-data table."""

    __personal_data__: ClassVar[bool] = True

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    purpose: Mapped[str] = mapped_column(String(64), nullable=False)
    lawful_basis: Mapped[LawfulBasis] = mapped_column(str_enum(LawfulBasis), nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}  # type: ignore[attr-defined]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


def personal_data_violations(registry_mappers: Any) -> list[str]:
    """Mapped classes that hold personal data without using the mixin.

    A class holds personal data when it declares ``__personal_data__ = True`` or
    has a column flagged with ``personal(...)``.
    """
    offenders = []
    for mapper in registry_mappers:
        cls = mapper.class_
        flagged_columns = [c.key for c in mapper.columns if c.info.get("personal_data")]
        marked = getattr(cls, "__personal_data__", False) or flagged_columns
        if marked and not issubclass(cls, PersonalDataMixin):
            offenders.append(f"{cls.__module__}.{cls.__qualname__}")
    return sorted(offenders)


class InOperation:
    """For tables whose rows belong to an operation: their audit records go to the
    operation's chain (under its key), not the platform-wide one."""

    operation_id: Any

    @property
    def audit_operation_id(self) -> int:
        return self.operation_id
