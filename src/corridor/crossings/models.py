"""Tables of the crossings capability: headcounts, forms, devices, submissions, registrations."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from corridor.db.base import Base
from corridor.db.mixins import InOperation, PersonalDataMixin, personal
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
    __table_args__ = (
        Index("ix_headcounts_checkpoint_slot", "checkpoint_id", "slot_start"),
        # The reports' analytics copy reads the rows changed since its last refresh.
        Index("ix_headcounts_operation_updated", "operation_id", "updated_at"),
    )

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


# Forms (XLSForm → XForm) ------------------------------------------------------------


class FormState(enum.StrEnum):
    """As ODK Central has them."""

    OPEN = "open"  # on the form list, accepting submissions
    CLOSING = "closing"  # off the form list, still accepting (officers who were offline)
    CLOSED = "closed"  # refused (403 with an OpenRosa message)


class FormKind(enum.StrEnum):
    """Which records a form's submissions become, besides the submission itself."""

    REGISTRATION = "registration"
    HEADCOUNT = "headcount"
    DISTRIBUTION = "distribution"  # aid's distribution list (``corridor.aid.offline``)
    OTHER = "other"


class Form(InOperation, Base):
    """A field form of an operation, identified by its XForm ``formID``."""

    __tablename__ = "forms"
    __table_args__ = (
        UniqueConstraint("operation_id", "xml_form_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    xml_form_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[FormKind] = mapped_column(str_enum(FormKind), default=FormKind.OTHER)
    state: Mapped[FormState] = mapped_column(str_enum(FormState), default=FormState.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    audit_entity = "form"


class FormVersion(InOperation, Base):
    """One published version: the XLSForm as uploaded and the XForm pyxform made of it.

    The XForm is stored, not regenerated, so that its hash never changes; every
    version stays, so submissions made offline on an old version still land.
    """

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("form_id", "version"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"), index=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(100))
    xlsform: Mapped[bytes] = mapped_column(LargeBinary)
    xlsform_filename: Mapped[str] = mapped_column(String(200))
    xform: Mapped[str] = mapped_column(Text)
    md5: Mapped[str] = mapped_column(String(32))
    # Instance paths of repeat groups and of binary (attachment) fields, and media files.
    repeats: Mapped[list] = mapped_column(JSON, default=list)
    binary_fields: Mapped[list] = mapped_column(JSON, default=list)
    media_files: Mapped[list] = mapped_column(JSON, default=list)
    validated_by: Mapped[str] = mapped_column(String(50), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "form_version"
    audit_exclude = frozenset({"xlsform", "xform"})  # md5 stands for them


# Field devices -------------------------------------------------------------------


class DeviceCredential(InOperation, Base):
    """An app credential for ODK Collect / KoboCollect, issued to one officer.

    The device acts as that officer, with the officer's current roles, in one
    operation only. Only the SHA-256 of the random secret is kept.
    """

    __tablename__ = "device_credentials"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    username: Mapped[str] = mapped_column(String(40), unique=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    audit_entity = "device_credential"
    audit_exclude = frozenset({"secret_hash", "last_used_at"})


# Submissions and registrations ------------------------------------------------------


class SubmissionState(enum.StrEnum):
    COMPLETE = "complete"
    MISSING_ATTACHMENTS = "missing_attachments"


class Submission(PersonalDataMixin, InOperation, Base):
    """A submitted form instance, kept as sent (XML encrypted at rest).

    ``instance_id`` is the client's ``meta/instanceID``: the same one sent again is
    recognised. An edit (``meta/deprecatedID``) is a new row; the row it replaces
    stays, marked ``superseded_by_id``, so the history is kept.
    """

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("operation_id", "instance_id"),
        Index("ix_submissions_form_received", "form_id", "received_at"),
    )

    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"))
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"))
    instance_id: Mapped[str] = mapped_column(String(100))
    deprecated_id: Mapped[str | None] = mapped_column(String(100))
    superseded_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    xml: Mapped[bytes] = personal(args=(LargeBinary,))
    xml_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[SubmissionState] = mapped_column(str_enum(SubmissionState))
    expected_attachments: Mapped[list] = mapped_column(JSON, default=list)
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("checkpoints.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    device_credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("device_credentials.id", ondelete="SET NULL")
    )
    device_id: Mapped[str] = mapped_column(String(100), default="")
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "submission"
    audit_exclude = frozenset({"xml"})  # ciphertext; xml_sha256 stands for it


class SubmissionAttachment(PersonalDataMixin, InOperation, Base):
    """A file sent with a submission (a photo), encrypted at rest."""

    __tablename__ = "submission_attachments"
    __table_args__ = (UniqueConstraint("submission_id", "name"),)

    submission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    content: Mapped[bytes] = personal(args=(LargeBinary,))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))

    submission: Mapped[Submission] = relationship()

    audit_entity = "submission_attachment"
    audit_exclude = frozenset({"content"})


class DobPrecision(enum.StrEnum):
    EXACT = "exact"
    MONTH = "month"
    YEAR = "year"
    ESTIMATED_AGE = "estimated_age"


class Registration(PersonalDataMixin, InOperation, Base):
    """A household (or one person) registered at a checkpoint, from a submission."""

    __tablename__ = "registrations"
    __table_args__ = (Index("ix_registrations_operation_updated", "operation_id", "updated_at"),)

    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("submissions.id"), unique=True)
    instance_id: Mapped[str] = mapped_column(String(100), index=True)
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("checkpoints.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    consent_explained: Mapped[list] = mapped_column(JSON, default=list)
    consent_given: Mapped[bool] = mapped_column(Boolean)
    household_size: Mapped[int] = mapped_column(Integer)
    destination_pcode: Mapped[str] = mapped_column(String(30), default="")
    destination_text: Mapped[str] = personal(args=(String(200),), default="")
    has_photo: Mapped[bool] = mapped_column(Boolean, default=False)
    device_id: Mapped[str] = mapped_column(String(100), default="")
    form_version: Mapped[str] = mapped_column(String(100), default="")
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Declared so that one flush inserts the submission before its registration.
    submission: Mapped[Submission] = relationship()
    members: Mapped[list[RegistrationMember]] = relationship(
        back_populates="registration",
        order_by="RegistrationMember.position",
        cascade="all, delete-orphan",
    )

    audit_entity = "registration"


NAME_PARTS = ("given_name", "father_name", "grandfather_name", "family_name", "mother_name")
NAME_FIELDS = tuple(f"{part}_{script}" for script in ("ar", "lat") for part in NAME_PARTS)
WG_DOMAINS = ("seeing", "hearing", "walking", "cognition", "selfcare", "communication")


class RegistrationMember(PersonalDataMixin, InOperation, Base):
    """One person of a registered household (position 0 is the head)."""

    __tablename__ = "registration_members"

    registration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    relationship_to_head: Mapped[str] = mapped_column(String(30))
    given_name_ar: Mapped[str] = personal(args=(String(100),), default="")
    father_name_ar: Mapped[str] = personal(args=(String(100),), default="")
    grandfather_name_ar: Mapped[str] = personal(args=(String(100),), default="")
    family_name_ar: Mapped[str] = personal(args=(String(100),), default="")
    mother_name_ar: Mapped[str] = personal(args=(String(200),), default="")
    given_name_lat: Mapped[str] = personal(args=(String(100),), default="")
    father_name_lat: Mapped[str] = personal(args=(String(100),), default="")
    grandfather_name_lat: Mapped[str] = personal(args=(String(100),), default="")
    family_name_lat: Mapped[str] = personal(args=(String(100),), default="")
    mother_name_lat: Mapped[str] = personal(args=(String(200),), default="")
    sex: Mapped[str] = mapped_column(String(10))
    dob: Mapped[date | None] = personal(args=(Date,))
    dob_precision: Mapped[DobPrecision] = mapped_column(str_enum(DobPrecision))
    age_estimate: Mapped[int | None] = mapped_column(Integer)
    origin_pcode: Mapped[str] = mapped_column(String(30), default="")
    origin_text: Mapped[str] = personal(args=(String(200),), default="")
    child_status: Mapped[str] = mapped_column(String(20), default="")
    caregiver_name: Mapped[str] = personal(args=(String(200),), default="")
    reunification_status: Mapped[str] = mapped_column(String(20), default="")
    wg_seeing: Mapped[int | None] = mapped_column(Integer)
    wg_hearing: Mapped[int | None] = mapped_column(Integer)
    wg_walking: Mapped[int | None] = mapped_column(Integer)
    wg_cognition: Mapped[int | None] = mapped_column(Integer)
    wg_selfcare: Mapped[int | None] = mapped_column(Integer)
    wg_communication: Mapped[int | None] = mapped_column(Integer)
    specific_needs: Mapped[list] = mapped_column(JSON, default=list)

    registration: Mapped[Registration] = relationship(back_populates="members")

    audit_entity = "registration_member"

    @property
    def wg_disability(self) -> bool:
        """The WG-SS cut-off: "a lot of difficulty" or "cannot do at all" in any domain."""
        return any((getattr(self, f"wg_{d}") or 0) >= 3 for d in WG_DOMAINS)
