"""Intake: a person who comes to a desk to lay down arms, what they were told,
and their informed consent.

Nothing is recorded without consent after every topic was explained (IDDRS
4.10 and the ICRC's handbook: consent is informed or it is not consent). The
person is linked to their registration at a crossing when they have one, or
recorded with the minimum: names in both scripts, a date of birth to the
precision known, sex, and a photo only if they agree to one. The photo is kept
encrypted under the operation's data key.
"""

from __future__ import annotations

import io
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from corridor.aid.checks import past_moment
from corridor.amnesty import claims as claims_format
from corridor.amnesty.models import AMNESTY_PURPOSE, Desk, Intake, IntakeStatus, Sex
from corridor.amnesty.printing import Photo
from corridor.crossings.models import NAME_PARTS, RegistrationMember
from corridor.db.mixins import LawfulBasis
from corridor.db.types import utcnow
from corridor.errors import Conflict, InvalidInput, NotFound
from corridor.keys.keyring import keyring_of

MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud at a desk


class Topic:
    """What the officer explains before asking for consent (all are required)."""

    PROGRAMME = "programme"  # what the programme is and that taking part is voluntary
    AMNESTY_TERMS = "amnesty_terms"  # what the amnesty covers, and what it does not
    CERTIFICATE = "certificate"  # what the certificate shows, and who may check it
    PERSONAL_DATA = "personal_data"  # what is recorded, who sees it, how long it is kept
    WITHDRAWAL = "withdrawal"  # that consent can be withdrawn, and what follows

    ALL = (PROGRAMME, AMNESTY_TERMS, CERTIFICATE, PERSONAL_DATA, WITHDRAWAL)


@dataclass(frozen=True)
class Person:
    name_arabic: str = ""
    name_latin: str = ""
    birth_date: str = ""
    sex: Sex = Sex.UNKNOWN
    registration_member_id: uuid.UUID | None = None


def read_photo(data: bytes, field: str = "photo") -> Photo:
    """A JPEG or PNG of reasonable size, else 422 (413 is the web layer's, for the body)."""
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput(field, f"at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    try:
        with Image.open(io.BytesIO(data)) as picture:
            kind = picture.format
            picture.verify()
    except (UnidentifiedImageError, OSError, ValueError):
        raise InvalidInput(field, "not a JPEG or PNG image") from None
    if kind not in PHOTO_TYPES:
        raise InvalidInput(field, "not a JPEG or PNG image")
    return Photo(data, PHOTO_TYPES[kind])


def registered_person(
    session: Session, *, operation_id: int, registration_id: uuid.UUID, position: int
) -> uuid.UUID:
    """The person at ``position`` (1 = the head) of a household registered at a crossing."""
    member = session.scalar(
        select(RegistrationMember).where(
            RegistrationMember.registration_id == registration_id,
            RegistrationMember.operation_id == operation_id,
            RegistrationMember.position == position - 1,
            RegistrationMember.deleted_at.is_(None),
        )
    )
    if member is None:
        raise InvalidInput("registration_id", "no such registered person in this operation")
    return member.id


def _member_names(member: RegistrationMember) -> tuple[str, str]:
    def joined(script: str) -> str:
        parts = (getattr(member, f"{part}_{script}") for part in NAME_PARTS[:4])
        return " ".join(p.strip() for p in parts if p and p.strip())

    return joined("ar"), joined("lat")


def _reference(session: Session) -> str:
    for _ in range(5):
        candidate = "AM-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
        if not session.scalar(select(Intake.id).where(Intake.reference == candidate)):
            return candidate
    raise Conflict("could not draw a free intake reference; try again")


def record_intake(
    session: Session,
    *,
    desk: Desk,
    officer_id: int,
    person: Person,
    took_place_at: datetime | None,
    explained: list[str],
    consent_given: bool,
    photo: Photo | None = None,
) -> Intake:
    missing = [topic for topic in Topic.ALL if topic not in set(explained)]
    unknown = sorted(set(explained) - set(Topic.ALL))
    if unknown:
        raise InvalidInput("explained", f"unknown topic {unknown[0]!r}")
    if missing:
        raise InvalidInput("explained", f"not explained: {', '.join(missing)}")
    if not consent_given:
        raise InvalidInput("consent_given", "nothing is recorded without informed consent")
    if desk.closed_at is not None:
        raise Conflict("this desk is closed")
    name_arabic, name_latin = person.name_arabic.strip(), person.name_latin.strip()
    member_id = person.registration_member_id
    if member_id is not None:
        member = session.get(RegistrationMember, member_id)
        if member is None or member.operation_id != desk.operation_id or member.deleted_at:
            raise InvalidInput(
                "registration_member_id", "no such registered person in this operation"
            )
        from_registration = _member_names(member)
        name_arabic = name_arabic or from_registration[0]
        name_latin = name_latin or from_registration[1]
    if not (name_arabic or name_latin):
        raise InvalidInput("name_arabic", "give a name in Arabic or Latin script")
    for field, value in (("name_arabic", name_arabic), ("name_latin", name_latin)):
        if len(value) > claims_format.MAX_NAME:
            raise InvalidInput(field, f"at most {claims_format.MAX_NAME} characters")
    birth = person.birth_date.strip()
    if birth:
        try:
            claims_format.check_partial_date(birth)
        except ValueError as error:
            raise InvalidInput("birth_date", str(error)) from None
    moment = past_moment(took_place_at, "took_place_at") or utcnow()
    intake = Intake(
        operation_id=desk.operation_id,
        reference=_reference(session),
        desk_id=desk.id,
        organisation_id=desk.organisation_id,
        officer_id=officer_id,
        registration_member_id=member_id,
        name_arabic=name_arabic,
        name_latin=name_latin,
        birth_date=birth,
        sex=person.sex,
        took_place_at=moment,
        explained=list(Topic.ALL),
        consent_given=True,
        purpose=AMNESTY_PURPOSE,
        lawful_basis=LawfulBasis.CONSENT,
    )
    if photo is not None:
        intake.photo = _encrypt_photo(session, desk.operation_id, photo.data)
        intake.photo_media_type = photo.media_type
        intake.photo_hash = claims_format.photo_hash(photo.data)
    session.add(intake)
    session.flush()
    return intake


def _aad(operation_id: int) -> bytes:
    return f"amnesty-intake-photo|{operation_id}".encode()


def _encrypt_photo(session: Session, operation_id: int, data: bytes) -> bytes:
    return keyring_of(session).encrypt(session, operation_id, data, aad=_aad(operation_id))


def intake_photo(session: Session, intake: Intake) -> Photo | None:
    if intake.photo is None:
        return None
    data = keyring_of(session).decrypt(
        session, intake.operation_id, intake.photo, aad=_aad(intake.operation_id)
    )
    return Photo(data, intake.photo_media_type)


def get_intake(
    session: Session, *, operation_id: int, intake_id: uuid.UUID, organisation_ids: frozenset[int]
) -> Intake:
    """An intake of the caller's organisations (404 for any other: they may not know of it)."""
    intake = session.get(Intake, intake_id)
    if (
        intake is None
        or intake.operation_id != operation_id
        or intake.organisation_id not in organisation_ids
        or intake.deleted_at is not None
    ):
        raise NotFound("no such intake")
    return intake


def list_intakes(
    session: Session,
    *,
    operation_id: int,
    organisation_ids: frozenset[int],
    desk_id: int | None = None,
    status: IntakeStatus | None = None,
    limit: int = 200,
) -> list[Intake]:
    query = (
        select(Intake)
        .where(
            Intake.operation_id == operation_id,
            Intake.organisation_id.in_(organisation_ids),
            Intake.deleted_at.is_(None),
        )
        .order_by(Intake.took_place_at.desc())
        .limit(limit)
    )
    if desk_id is not None:
        query = query.where(Intake.desk_id == desk_id)
    if status is not None:
        query = query.where(Intake.status == status)
    return list(session.scalars(query))


def count_by_status(session: Session, *, operation_id: int) -> dict[IntakeStatus, int]:
    rows = session.execute(
        select(Intake.status, func.count())
        .where(Intake.operation_id == operation_id, Intake.deleted_at.is_(None))
        .group_by(Intake.status)
    ).all()
    return {IntakeStatus(status): count for status, count in rows}


def withdraw(session: Session, intake: Intake, *, reason: str) -> Intake:
    """The person withdraws: no more certificates; the certificates issued are revoked
    by the caller (``certificates.revoke_all``), in the same transaction."""
    if intake.status is IntakeStatus.WITHDRAWN:
        raise Conflict("this intake is withdrawn already")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("reason", "say why (it is kept)")
    intake.status = IntakeStatus.WITHDRAWN
    intake.withdrawn_at = utcnow()
    intake.withdrawal_reason = reason[:2000]
    session.flush()
    return intake
