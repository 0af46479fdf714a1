"""Persons (clusters of registrations), their aliases, households, review items, runs.

A *person* is the linkage's answer to "which registered people are the same
human being". Its id is what the rest of Corridor keeps (aid entitlements,
tracing cases), so it must survive re-runs: a person whose records did not
change keeps its id, a merge keeps the older id and leaves an alias from the
other, which every reader follows (:func:`corridor.linkage.persons.resolve`).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from corridor.db.base import Base
from corridor.db.mixins import InOperation, PersonalDataMixin, personal
from corridor.db.types import UTCDateTime, str_enum, utcnow

LINKAGE_PURPOSE = "deduplication_and_tracing"


class Person(PersonalDataMixin, InOperation, Base):
    """One human being, as far as the linkage can tell."""

    __tablename__ = "linkage_persons"

    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    # Order of creation inside the operation: "the older id" of a merge.
    seq: Mapped[int] = mapped_column(Integer)
    household_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("linkage_households.id", ondelete="SET NULL"), index=True
    )
    records: Mapped[int] = mapped_column(Integer, default=1)

    audit_entity = "linkage_person"


class PersonRecord(InOperation, Base):
    """Which person a registered household member belongs to."""

    __tablename__ = "linkage_person_records"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("registration_members.id", ondelete="CASCADE"), primary_key=True
    )
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("linkage_persons.id", ondelete="CASCADE"), index=True
    )
    match_probability: Mapped[float | None] = mapped_column(Float)


class PersonAlias(InOperation, Base):
    """A person id that was merged into another: readers follow it."""

    __tablename__ = "linkage_person_aliases"

    old_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "linkage_person_alias"


class Household(InOperation, Base):
    """Persons who were registered together (linked through the head or two members)."""

    __tablename__ = "linkage_households"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewStatus(enum.StrEnum):
    OPEN = "open"
    SAME = "same"  # accepted: the two records are one person
    DIFFERENT = "different"  # rejected: never merge them


class ReviewItem(InOperation, Base):
    """A pair the model was unsure about, and what a coordinator decided.

    A decision binds every later run: "same" links the two records whatever the
    model says, "different" keeps them apart.
    """

    __tablename__ = "linkage_reviews"
    __table_args__ = (
        UniqueConstraint("member_a_id", "member_b_id", name="uq_linkage_review_pair"),
        Index("ix_linkage_reviews_open", "operation_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    member_a_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("registration_members.id", ondelete="CASCADE")
    )
    member_b_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("registration_members.id", ondelete="CASCADE")
    )
    # None when a person decided without the model proposing the pair.
    match_probability: Mapped[float | None] = mapped_column(Float)
    weights: Mapped[dict] = mapped_column(JSON, default=dict)  # per comparison: why
    status: Mapped[ReviewStatus] = mapped_column(str_enum(ReviewStatus), default=ReviewStatus.OPEN)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "linkage_review"


class LinkageRun(InOperation, Base):
    """One deduplication of an operation: when, on what, with which model."""

    __tablename__ = "linkage_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    engine: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    records: Mapped[int] = mapped_column(Integer, default=0)
    persons: Mapped[int] = mapped_column(Integer, default=0)
    merged: Mapped[int] = mapped_column(Integer, default=0)
    to_review: Mapped[int] = mapped_column(Integer, default=0)
    model: Mapped[dict] = mapped_column(JSON, default=dict)

    audit_entity = "linkage_run"


class TracingStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class TracingRequest(PersonalDataMixin, InOperation, Base):
    """Someone looking for a relative: every new registration is matched against it.

    A match goes to the caseworker who holds the request, never to the person
    asking: the caseworker checks it and asks the person found before anything
    is shared.
    """

    __tablename__ = "linkage_tracing_requests"

    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    caseworker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[TracingStatus] = mapped_column(
        str_enum(TracingStatus), default=TracingStatus.OPEN
    )
    enquirer_name: Mapped[str] = personal(args=(String(200),), default="")
    relationship_to_sought: Mapped[str] = mapped_column(String(30), default="")
    consent_to_share: Mapped[bool] = mapped_column(Boolean, default=False)
    # A caregiver looking for a child: unaccompanied and separated children are
    # matched against these first, and with a lower threshold.
    for_child: Mapped[bool] = mapped_column(Boolean, default=False)
    sought: Mapped[dict] = personal(args=(JSON,), default=dict)  # names, sex, age, origin

    audit_entity = "linkage_tracing_request"


class TracingMatch(InOperation, Base):
    """A registered person who may be the one a tracing request looks for."""

    __tablename__ = "linkage_tracing_matches"
    __table_args__ = (UniqueConstraint("request_id", "member_id", name="uq_tracing_match"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("linkage_tracing_requests.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("registration_members.id", ondelete="CASCADE")
    )
    match_probability: Mapped[float] = mapped_column(Float)
    weights: Mapped[dict] = mapped_column(JSON, default=dict)
    priority: Mapped[bool] = mapped_column(Boolean, default=False)  # a separated child
    status: Mapped[str] = mapped_column(String(20), default="new")  # new / confirmed / rejected
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "linkage_tracing_match"
