"""Tables of the accounts capability."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from corridor.db.base import Base
from corridor.db.types import UTCDateTime, str_enum, utcnow


class OrganisationType(enum.StrEnum):
    UN_AGENCY = "un_agency"
    NGO = "ngo"
    RED_CROSS_RED_CRESCENT = "red_cross_red_crescent"
    AUTHORITY = "authority"
    OTHER = "other"


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    FIELD_OFFICER = "field_officer"
    DDR_OFFICER = "ddr_officer"
    VIEWER = "viewer"


class Organisation(Base):
    __tablename__ = "organisations"
    # Ids are never reused (they name entities in the audit chain).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    acronym: Mapped[str | None] = mapped_column(String(32))
    type: Mapped[OrganisationType] = mapped_column(str_enum(OrganisationType))
    country: Mapped[str | None] = mapped_column(String(2))
    # A party to the conflict never holds a role that reads personal data.
    party_to_conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")

    audit_entity = "organisation"

    @property
    def may_read_personal_data(self) -> bool:
        return self.type != OrganisationType.AUTHORITY and not self.party_to_conflict


class User(Base):
    __tablename__ = "users"
    # Ids are never reused (they name entities in the audit chain).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    site_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="en")
    # Bumped on password change or sign-out-everywhere; old session cookies die.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    audit_entity = "user"
    audit_exclude = frozenset({"password_hash"})


class Membership(Base):
    """A user's role in one organisation."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "organisation_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")

    audit_entity = "membership"


class ApiToken(Base):
    """A bearer token; only the SHA-256 of the random secret is stored."""

    __tablename__ = "api_tokens"
    # Ids are never reused (they name entities in the audit chain).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    audit_entity = "api_token"
    audit_exclude = frozenset({"token_hash", "last_used_at"})


class SignInFailure(Base):
    """A failed sign-in, kept briefly to throttle guessing (no password stored)."""

    __tablename__ = "signin_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
