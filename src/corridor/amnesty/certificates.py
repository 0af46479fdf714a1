"""Certificates for intakes: issue, reprint, revoke.

A certificate is signed once, when issued; its QR text is kept so a reprint
is the same certificate (same id, same signature), and the PDF is drawn again
from it. Revocation is recorded with its reason and reaches checkpoints in
the next trust list they download.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.accounts.models import Organisation
from corridor.amnesty import claims as claims_format
from corridor.amnesty import printing, signing_keys
from corridor.amnesty.claims import CertificateKind, Claims
from corridor.amnesty.codec import from_text, parse_sign1
from corridor.amnesty.intakes import intake_photo
from corridor.amnesty.models import (
    AMNESTY_PURPOSE,
    Certificate,
    Intake,
    IntakeStatus,
    RegistryItem,
)
from corridor.amnesty.signing import new_certificate_id, sign
from corridor.db.mixins import LawfulBasis
from corridor.db.types import utcnow
from corridor.errors import Conflict, InvalidInput, NotFound

DEFAULT_VALIDITY = timedelta(days=365)
MAX_VALIDITY = timedelta(days=5 * 365)


def issue(
    session: Session,
    intake: Intake,
    *,
    kind: CertificateKind,
    issued_by_id: int,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> Certificate:
    if intake.status is IntakeStatus.WITHDRAWN:
        raise Conflict("this intake is withdrawn: no certificate can be issued")
    if kind is CertificateKind.AMNESTY and not session.scalar(
        select(RegistryItem.id).where(RegistryItem.intake_id == intake.id).limit(1)
    ):
        raise Conflict("an amnesty certificate is issued once something was handed in")
    for field, value in (("valid_from", valid_from), ("valid_until", valid_until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(field, "must include a time zone")
    now = utcnow().replace(microsecond=0)
    start = (valid_from or now).replace(microsecond=0)
    end = (valid_until or start + DEFAULT_VALIDITY).replace(microsecond=0)
    if end <= start:
        raise InvalidInput("valid_until", "must be after valid_from")
    if end - start > MAX_VALIDITY:
        raise InvalidInput("valid_until", "at most five years after valid_from")
    if end <= now:
        raise InvalidInput("valid_until", "is in the past")
    organisation = session.get(Organisation, intake.organisation_id)
    assert organisation is not None
    key = signing_keys.issuer_key(session, intake.operation_id, intake.organisation_id)
    claims = Claims(
        certificate_id=new_certificate_id(),
        kind=kind,
        name_arabic=intake.name_arabic or None,
        name_latin=intake.name_latin or None,
        birth_date=intake.birth_date or None,
        photo_hash=intake.photo_hash,
        issuer=signing_keys.issuer_name(organisation),
        issued_at=now,
        valid_from=start,
        valid_until=end,
    )
    text = sign(claims, signing_keys.private_key(session, key), key.kid)
    certificate = Certificate(
        operation_id=intake.operation_id,
        intake_id=intake.id,
        organisation_id=intake.organisation_id,
        certificate_id=claims.certificate_id,
        type=kind,
        signing_key_id=key.id,
        issued_at=now,
        valid_from=start,
        valid_until=end,
        qr_text=text,
        issued_by_id=issued_by_id,
        purpose=AMNESTY_PURPOSE,
        lawful_basis=LawfulBasis.CONSENT,
    )
    session.add(certificate)
    intake.status = IntakeStatus.CERTIFIED
    session.flush()
    return certificate


def claims_of(certificate: Certificate) -> Claims:
    return claims_format.parse(parse_sign1(from_text(certificate.qr_text)).payload)


def pdf(session: Session, certificate: Certificate) -> bytes:
    """The printed certificate (a reprint is the same certificate); counts the prints."""
    organisation = session.get(Organisation, certificate.organisation_id)
    assert organisation is not None
    photo = intake_photo(session, certificate.intake)
    document = printing.certificate_pdf(
        claims_of(certificate),
        certificate.qr_text,
        organisation.name,
        photo,
    )
    certificate.printed_count += 1
    session.flush()
    return document


def revoke(
    session: Session, certificate: Certificate, *, reason: str, revoked_by_id: int | None
) -> Certificate:
    if certificate.revoked_at is not None:
        raise Conflict("this certificate is revoked already")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("reason", "say why (it is kept)")
    certificate.revoked_at = utcnow()
    certificate.revoked_by_id = revoked_by_id
    certificate.revocation_reason = reason[:2000]
    session.flush()
    return certificate


def revoke_all(session: Session, intake: Intake, *, reason: str, revoked_by_id: int | None) -> int:
    """Revoke every live certificate of an intake (when the person withdraws)."""
    live = session.scalars(
        select(Certificate).where(
            Certificate.intake_id == intake.id, Certificate.revoked_at.is_(None)
        )
    ).all()
    for certificate in live:
        revoke(session, certificate, reason=reason, revoked_by_id=revoked_by_id)
    return len(live)


def get_certificate(
    session: Session,
    *,
    operation_id: int,
    certificate_id: uuid.UUID,
    organisation_ids: frozenset[int],
) -> Certificate:
    certificate = session.get(Certificate, certificate_id)
    if (
        certificate is None
        or certificate.operation_id != operation_id
        or certificate.organisation_id not in organisation_ids
        or certificate.deleted_at is not None
    ):
        raise NotFound("no such certificate")
    return certificate


def of_intake(session: Session, intake: Intake) -> list[Certificate]:
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.intake_id == intake.id)
            .order_by(Certificate.issued_at)
        )
    )
