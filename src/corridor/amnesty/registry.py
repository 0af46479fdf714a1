"""The weapons and ammunition registry: each item handed in at an intake.

Serial numbers are compared across the whole operation after normalising them
(case, spaces and separators): a serial seen before is refused (409, naming
the item that has it) unless the officer records why both are real, as makes
reuse serials and people misread stamped metal. The registry number
(``W-000017``) is sequential per operation: it is no one's personal data and
is what depot staff write on tags.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from corridor.amnesty import custody
from corridor.amnesty.intakes import Photo
from corridor.amnesty.models import (
    CustodyStep,
    Desk,
    Intake,
    IntakeStatus,
    ItemCategory,
    ItemCondition,
    ItemPhoto,
    MarkingStatus,
    RegistryItem,
    SerialStatus,
)
from corridor.errors import Conflict, InvalidInput, NotFound

_SEPARATORS = re.compile(r"[\s\-_./\\]+")


def serial_key(serial: str) -> str:
    return _SEPARATORS.sub("", serial).upper()


@dataclass(frozen=True)
class ItemDetails:
    category: ItemCategory
    serial_status: SerialStatus
    condition: ItemCondition
    marking_status: MarkingStatus
    make: str = ""
    model: str = ""
    calibre: str = ""
    serial_number: str = ""
    quantity: int = 1
    description: str = ""
    duplicate_serial_note: str = ""


def _check(details: ItemDetails) -> str:
    serial = details.serial_number.strip()
    if details.serial_status is SerialStatus.PRESENT and not serial_key(serial):
        raise InvalidInput("serial_number", "give the serial number, or say it is none or removed")
    if details.serial_status is not SerialStatus.PRESENT and serial:
        raise InvalidInput(
            "serial_number", f"no serial number when it is {details.serial_status.value}"
        )
    if details.quantity < 1:
        raise InvalidInput("quantity", "at least 1")
    if details.category is ItemCategory.AMMUNITION and not details.calibre.strip():
        raise InvalidInput("calibre", "ammunition is recorded by calibre")
    if (
        details.category in (ItemCategory.SMALL_ARM, ItemCategory.LIGHT_WEAPON)
        and details.quantity != 1
    ):
        raise InvalidInput("quantity", "each weapon is an item of its own")
    for field in ("make", "model", "calibre", "serial_number"):
        if len(getattr(details, field)) > 100:
            raise InvalidInput(field, "at most 100 characters")
    return serial


def find_serial(session: Session, *, operation_id: int, serial: str) -> RegistryItem | None:
    key = serial_key(serial)
    if not key:
        return None
    return session.scalars(
        select(RegistryItem)
        .where(RegistryItem.operation_id == operation_id, RegistryItem.serial_key == key)
        .order_by(RegistryItem.id)
        .limit(1)
    ).first()


def register_item(
    session: Session,
    intake: Intake,
    details: ItemDetails,
    *,
    officer_id: int,
    witness_id: int,
    operation_orgs: frozenset[int],
    collected_at: datetime | None = None,
    place_name: str = "",
) -> RegistryItem:
    """Add an item to the registry with its first custody step, ``collected``."""
    if intake.status is IntakeStatus.WITHDRAWN:
        raise Conflict("this intake is withdrawn")
    serial = _check(details)
    custody.check_witness(
        session, officer_id=officer_id, witness_id=witness_id, operation_orgs=operation_orgs
    )
    note = details.duplicate_serial_note.strip()
    if serial:
        seen = find_serial(session, operation_id=intake.operation_id, serial=serial)
        if seen is not None and not note:
            raise Conflict(
                f"serial_number: {serial} is registered already as {seen.reference}"
                f" ({' '.join(p for p in (seen.make, seen.model) if p) or seen.category.value});"
                " if both are real, say why in duplicate_serial_note"
            )
    for _attempt in range(3):
        number = (
            session.scalar(
                select(func.count())
                .select_from(RegistryItem)
                .where(RegistryItem.operation_id == intake.operation_id)
            )
            or 0
        ) + 1
        item = RegistryItem(
            operation_id=intake.operation_id,
            reference=f"W-{number:06d}",
            intake_id=intake.id,
            category=details.category,
            make=details.make.strip(),
            model=details.model.strip(),
            calibre=details.calibre.strip(),
            serial_number=serial,
            serial_key=serial_key(serial),
            serial_status=details.serial_status,
            duplicate_serial_note=note[:2000],
            quantity=details.quantity,
            condition=details.condition,
            marking_status=details.marking_status,
            description=details.description.strip()[:2000],
        )
        try:
            with session.begin_nested():
                session.add(item)
                session.flush()
            break
        except IntegrityError:
            continue  # another officer took this number: count again
    else:
        raise Conflict("the registry is busy: try again")
    desk_place = intake_desk_place(session, intake)
    custody.append_step(
        session,
        item,
        step=CustodyStep.COLLECTED,
        officer_id=officer_id,
        witness_id=witness_id,
        occurred_at=collected_at or intake.took_place_at,
        place_name=place_name or desk_place,
    )
    return item


def intake_desk_place(session: Session, intake: Intake) -> str:
    desk = session.get(Desk, intake.desk_id)
    return (desk.place_name or desk.name) if desk else ""


def add_photo(session: Session, item: RegistryItem, photo: Photo) -> ItemPhoto:
    row = ItemPhoto(
        operation_id=item.operation_id,
        item_id=item.id,
        media_type=photo.media_type,
        data=photo.data,
        sha256=hashlib.sha256(photo.data).hexdigest(),
    )
    session.add(row)
    session.flush()
    return row


def photo_counts(session: Session, item_ids: list[int]) -> dict[int, int]:
    """How many photos each item has, in one query (the photos themselves stay unread)."""
    if not item_ids:
        return {}
    rows = session.execute(
        select(ItemPhoto.item_id, func.count())
        .where(ItemPhoto.item_id.in_(item_ids))
        .group_by(ItemPhoto.item_id)
    ).all()
    return {item_id: count for item_id, count in rows}


def get_item(
    session: Session, *, operation_id: int, item_id: int, organisation_ids: frozenset[int]
) -> RegistryItem:
    item = session.get(RegistryItem, item_id)
    if (
        item is None
        or item.operation_id != operation_id
        or item.intake.organisation_id not in organisation_ids
    ):
        raise NotFound("no such item")
    return item


def list_items(
    session: Session,
    *,
    operation_id: int,
    organisation_ids: frozenset[int],
    intake_id: object | None = None,
) -> list[RegistryItem]:
    query = (
        select(RegistryItem)
        .join(Intake, Intake.id == RegistryItem.intake_id)
        .where(
            RegistryItem.operation_id == operation_id, Intake.organisation_id.in_(organisation_ids)
        )
        .order_by(RegistryItem.reference)
    )
    if intake_id is not None:
        query = query.where(RegistryItem.intake_id == intake_id)
    return list(session.scalars(query))
