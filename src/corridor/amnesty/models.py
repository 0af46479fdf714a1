"""Tables of the amnesty desk: desks and depots, intakes, the weapons and
ammunition registry with its chain of custody, destruction batches,
certificates and the keys that sign them.

The chain of custody (``amnesty_custody_events``) is append-only: an event is
never updated or deleted (the mapper refuses it), and ``(item_id, sequence)``
is unique, so two officers recording the next step of one item at once cannot
both succeed. Where an item is, and what step it is at, is read from its last
event; nothing else stores it.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from corridor.amnesty.claims import CertificateKind
from corridor.db.base import Base
from corridor.db.mixins import InOperation, PersonalDataMixin, personal
from corridor.db.types import UTCDateTime, str_enum, utcnow

# What an intake, and every read of one, is for.
AMNESTY_PURPOSE = "amnesty"


class IntakeStatus(enum.StrEnum):
    REGISTERED = "registered"
    CERTIFIED = "certified"
    WITHDRAWN = "withdrawn"


class Sex(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class ItemCategory(enum.StrEnum):
    """IDDRS 4.10's classes of materiel handed in."""

    SMALL_ARM = "small_arm"
    LIGHT_WEAPON = "light_weapon"
    AMMUNITION = "ammunition"
    EXPLOSIVE_ORDNANCE = "explosive_ordnance"


class SerialStatus(enum.StrEnum):
    PRESENT = "present"
    NONE = "none"  # never had one
    REMOVED = "removed"  # filed off, defaced or illegible


class ItemCondition(enum.StrEnum):
    SERVICEABLE = "serviceable"
    UNSERVICEABLE = "unserviceable"
    UNSAFE = "unsafe"  # not safe to handle or move without an ordnance specialist


class MarkingStatus(enum.StrEnum):
    """Whether the item bears the markings that trace it (ITI, IDDRS 4.10)."""

    MARKED = "marked"  # original markings legible
    UNMARKED = "unmarked"
    MARKED_AT_COLLECTION = "marked_at_collection"  # marked by the programme on intake


class CustodyStep(enum.StrEnum):
    COLLECTED = "collected"
    RECORDED = "recorded"
    STORED = "stored"
    TRANSPORTED = "transported"
    DESTROYED = "destroyed"
    DISPOSED = "disposed"  # otherwise: handed over under the peace agreement, kept as evidence


class DestructionMethod(enum.StrEnum):
    CUTTING = "cutting"
    CRUSHING = "crushing"
    SHREDDING = "shredding"
    BURNING = "burning"
    SMELTING = "smelting"
    OPEN_DETONATION = "open_detonation"
    OPEN_BURNING = "open_burning"


class KeyRole(enum.StrEnum):
    ROOT = "root"  # signs the operation's trust list
    ISSUER = "issuer"  # an organisation's certificate-signing key


class Desk(InOperation, Base):
    """Where people hand in arms, run by one organisation."""

    __tablename__ = "amnesty_desks"
    __table_args__ = (UniqueConstraint("operation_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(120))
    place_name: Mapped[str] = mapped_column(String(200), default="")
    pcode: Mapped[str] = mapped_column(String(30), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    officers: Mapped[list[DeskOfficer]] = relationship(
        cascade="all, delete-orphan", order_by="DeskOfficer.user_id"
    )

    audit_entity = "amnesty_desk"


class DeskOfficer(InOperation, Base):
    __tablename__ = "amnesty_desk_officers"

    desk_id: Mapped[int] = mapped_column(
        ForeignKey("amnesty_desks.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id", ondelete="CASCADE"))

    audit_entity = "amnesty_desk_officer"


class Depot(InOperation, Base):
    """A named store where collected items are kept until destroyed."""

    __tablename__ = "amnesty_depots"
    __table_args__ = (UniqueConstraint("operation_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(120))
    place_name: Mapped[str] = mapped_column(String(200), default="")
    pcode: Mapped[str] = mapped_column(String(30), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "amnesty_depot"


class Intake(PersonalDataMixin, InOperation, Base):
    """A person who came to a desk to lay down arms, and what they were told."""

    __tablename__ = "amnesty_intakes"

    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # random, for the desk
    desk_id: Mapped[int] = mapped_column(ForeignKey("amnesty_desks.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    registration_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("registration_members.id", ondelete="SET NULL")
    )
    name_arabic: Mapped[str] = personal(args=(String(160),), default="")
    name_latin: Mapped[str] = personal(args=(String(160),), default="")
    birth_date: Mapped[str] = personal(args=(String(10),), default="")  # YYYY[-MM[-DD]]
    sex: Mapped[Sex] = mapped_column(str_enum(Sex), default=Sex.UNKNOWN)
    photo: Mapped[bytes | None] = personal(args=(LargeBinary,))  # encrypted (keyring)
    photo_media_type: Mapped[str] = mapped_column(String(20), default="")
    photo_hash: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    took_place_at: Mapped[datetime] = mapped_column(UTCDateTime)
    explained: Mapped[list] = mapped_column(JSON, default=list)
    consent_given: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[IntakeStatus] = mapped_column(
        str_enum(IntakeStatus), default=IntakeStatus.REGISTERED
    )
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")

    items: Mapped[list[RegistryItem]] = relationship(
        back_populates="intake", order_by="RegistryItem.id"
    )

    audit_entity = "amnesty_intake"


class RegistryItem(InOperation, Base):
    """A weapon, a lot of ammunition or a piece of ordnance handed in at an intake."""

    __tablename__ = "amnesty_items"
    __table_args__ = (
        UniqueConstraint("operation_id", "reference"),
        Index("ix_amnesty_items_serial", "operation_id", "serial_key"),
        CheckConstraint("quantity > 0", name="positive_quantity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    reference: Mapped[str] = mapped_column(String(20))  # the registry number, e.g. W-000017
    intake_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("amnesty_intakes.id"), index=True)
    category: Mapped[ItemCategory] = mapped_column(str_enum(ItemCategory))
    make: Mapped[str] = mapped_column(String(100), default="")
    model: Mapped[str] = mapped_column(String(100), default="")
    calibre: Mapped[str] = mapped_column(String(50), default="")
    serial_number: Mapped[str] = mapped_column(String(100), default="")
    serial_key: Mapped[str] = mapped_column(String(100), default="")  # normalised, for duplicates
    serial_status: Mapped[SerialStatus] = mapped_column(str_enum(SerialStatus))
    duplicate_serial_note: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[int] = mapped_column(Integer, default=1)  # rounds for ammunition
    condition: Mapped[ItemCondition] = mapped_column(str_enum(ItemCondition))
    marking_status: Mapped[MarkingStatus] = mapped_column(str_enum(MarkingStatus))
    description: Mapped[str] = mapped_column(Text, default="")
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    intake: Mapped[Intake] = relationship(back_populates="items")
    events: Mapped[list[CustodyEvent]] = relationship(order_by="CustodyEvent.sequence")
    photos: Mapped[list[ItemPhoto]] = relationship(order_by="ItemPhoto.id")

    audit_entity = "amnesty_item"


class ItemPhoto(InOperation, Base):
    __tablename__ = "amnesty_item_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("amnesty_items.id"), index=True)
    media_type: Mapped[str] = mapped_column(String(20))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "amnesty_item_photo"


class DestructionBatch(InOperation, Base):
    """Items destroyed together, witnessed, with what was done and where."""

    __tablename__ = "amnesty_destruction_batches"
    __table_args__ = (UniqueConstraint("operation_id", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    reference: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    depot_id: Mapped[int] = mapped_column(ForeignKey("amnesty_depots.id"))
    method: Mapped[DestructionMethod] = mapped_column(str_enum(DestructionMethod))
    place_name: Mapped[str] = mapped_column(String(200), default="")
    destroyed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    witness_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    observers: Mapped[str] = mapped_column(Text, default="")  # e.g. an international observer
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "amnesty_destruction_batch"


class CustodyEvent(InOperation, Base):
    """One step of an item's chain of custody, with an officer and a witness. Never changed."""

    __tablename__ = "amnesty_custody_events"
    __table_args__ = (
        UniqueConstraint("item_id", "sequence"),
        CheckConstraint("officer_id <> witness_id", name="witness_is_another_officer"),
        Index("ix_amnesty_custody_events_depot", "operation_id", "depot_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("amnesty_items.id"))
    sequence: Mapped[int] = mapped_column(Integer)  # 1, 2, 3… per item
    step: Mapped[CustodyStep] = mapped_column(str_enum(CustodyStep))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place_name: Mapped[str] = mapped_column(String(200), default="")
    depot_id: Mapped[int | None] = mapped_column(ForeignKey("amnesty_depots.id"))
    destination_depot_id: Mapped[int | None] = mapped_column(ForeignKey("amnesty_depots.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    witness_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    destruction_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("amnesty_destruction_batches.id"), index=True
    )
    disposal: Mapped[str] = mapped_column(Text, default="")  # how, when not destroyed
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit_entity = "amnesty_custody_event"


@event.listens_for(CustodyEvent, "before_update")
@event.listens_for(CustodyEvent, "before_delete")
def _custody_is_append_only(mapper: object, connection: object, target: CustodyEvent) -> None:
    raise RuntimeError("custody events are never changed: record the next step instead")


class SigningKey(InOperation, Base):
    """An Ed25519 key of an operation: its root (signs the trust list) or an
    organisation's (signs certificates). The private half is stored encrypted under
    the operation's data key; it never leaves the server."""

    __tablename__ = "amnesty_signing_keys"
    __table_args__ = (Index("ix_amnesty_signing_keys_kid", "operation_id", "kid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    role: Mapped[KeyRole] = mapped_column(str_enum(KeyRole))
    kid: Mapped[bytes] = mapped_column(LargeBinary(8))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    private_key: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    audit_entity = "amnesty_signing_key"


class Certificate(PersonalDataMixin, InOperation, Base):
    """A certificate issued for an intake; its QR text is kept to reprint it unchanged."""

    __tablename__ = "amnesty_certificates"
    __table_args__ = (
        Index("ix_amnesty_certificates_operation_updated", "operation_id", "updated_at"),
    )

    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    intake_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("amnesty_intakes.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    certificate_id: Mapped[bytes] = mapped_column(LargeBinary(16), unique=True)  # the cti
    type: Mapped[CertificateKind] = mapped_column(str_enum(CertificateKind))
    signing_key_id: Mapped[int] = mapped_column(ForeignKey("amnesty_signing_keys.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    qr_text: Mapped[str] = personal(args=(Text,))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    printed_count: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revocation_reason: Mapped[str] = mapped_column(Text, default="")

    intake: Mapped[Intake] = relationship()
    signing_key: Mapped[SigningKey] = relationship()

    audit_entity = "amnesty_certificate"
