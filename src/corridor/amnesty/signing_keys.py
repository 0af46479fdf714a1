"""The operation's certificate keys: one root key that signs the trust list, and
one current key per issuing organisation that signs its certificates.

Private halves are stored encrypted under the operation's data key (the
foundation's keyring), bound to their key id; they are decrypted in memory to
sign and never leave the server. Rotating an organisation's key retires the
old one: it signs nothing more but stays in the trust list while any
certificate it signed is unexpired, so those stay verifiable.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from corridor.accounts.models import Organisation
from corridor.amnesty import trust_list
from corridor.amnesty.models import Certificate, KeyRole, SigningKey
from corridor.db.types import utcnow
from corridor.keys.keyring import keyring_of

TRUST_LIST_LIFETIME = timedelta(hours=24)  # a device calls its list stale after this


def _aad(operation_id: int, kid: bytes) -> bytes:
    return b"amnesty-signing-key|" + str(operation_id).encode() + b"|" + kid


def _create(
    session: Session, operation_id: int, organisation_id: int | None, role: KeyRole
) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    public = trust_list.raw_public(private.public_key())
    kid = trust_list.key_id(public)
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    row = SigningKey(
        operation_id=operation_id,
        organisation_id=organisation_id,
        role=role,
        kid=kid,
        public_key=public,
        private_key=keyring_of(session).encrypt(
            session, operation_id, raw, aad=_aad(operation_id, kid)
        ),
    )
    session.add(row)
    session.flush()
    return row


def private_key(session: Session, key: SigningKey) -> Ed25519PrivateKey:
    raw = keyring_of(session).decrypt(
        session, key.operation_id, key.private_key, aad=_aad(key.operation_id, key.kid)
    )
    return Ed25519PrivateKey.from_private_bytes(raw)


def _current(
    session: Session, operation_id: int, organisation_id: int | None, role: KeyRole
) -> SigningKey | None:
    query = select(SigningKey).where(
        SigningKey.operation_id == operation_id,
        SigningKey.role == role,
        SigningKey.retired_at.is_(None),
    )
    query = query.where(
        SigningKey.organisation_id.is_(None)
        if organisation_id is None
        else SigningKey.organisation_id == organisation_id
    )
    # The oldest live key: should two requests race to create the first one, both
    # transactions settle on the same key once committed.
    return session.scalars(query.order_by(SigningKey.id).limit(1)).first()


def root_key(session: Session, operation_id: int) -> SigningKey:
    return _current(session, operation_id, None, KeyRole.ROOT) or _create(
        session, operation_id, None, KeyRole.ROOT
    )


def issuer_key(session: Session, operation_id: int, organisation_id: int) -> SigningKey:
    return _current(session, operation_id, organisation_id, KeyRole.ISSUER) or _create(
        session, operation_id, organisation_id, KeyRole.ISSUER
    )


def rotate(
    session: Session, operation_id: int, organisation_id: int
) -> tuple[SigningKey | None, SigningKey]:
    """Retire the organisation's live key(s) and make a new one; returns (old, new)."""
    old = None
    while (live := _current(session, operation_id, organisation_id, KeyRole.ISSUER)) is not None:
        live.retired_at = utcnow()
        session.flush()
        old = live
    new = _create(session, operation_id, organisation_id, KeyRole.ISSUER)
    return old, new


def issuer_name(organisation: Organisation) -> str:
    """The ``iss`` of an organisation's certificates: its acronym, else its name."""
    return (organisation.acronym or organisation.name)[:64]


def published_keys(
    session: Session, operation_id: int, at: datetime
) -> list[tuple[SigningKey, Organisation]]:
    """Current issuer keys, and retired ones some unexpired certificate still needs."""
    still_needed = exists().where(
        Certificate.signing_key_id == SigningKey.id, Certificate.valid_until > at
    )
    rows = session.execute(
        select(SigningKey, Organisation)
        .join(Organisation, Organisation.id == SigningKey.organisation_id)
        .where(
            SigningKey.operation_id == operation_id,
            SigningKey.role == KeyRole.ISSUER,
            SigningKey.retired_at.is_(None) | still_needed,
        )
        .order_by(SigningKey.id)
    )
    return [(key, organisation) for key, organisation in rows]


def revoked_ids(session: Session, operation_id: int, at: datetime) -> list[bytes]:
    """Revoked certificates not yet expired (an expired one is refused anyway)."""
    return list(
        session.scalars(
            select(Certificate.certificate_id).where(
                Certificate.operation_id == operation_id,
                Certificate.revoked_at.is_not(None),
                Certificate.valid_until > at,
            )
        )
    )


def signed_trust_list(
    session: Session, *, operation_id: int, operation_slug: str
) -> dict[str, str]:
    """The trust list checkpoints download, signed now by the operation's root key."""
    now = utcnow().replace(microsecond=0)
    root = root_key(session, operation_id)
    keys = [
        trust_list.SignerKey(key.kid, key.public_key, issuer_name(org), org.name)
        for key, org in published_keys(session, operation_id, now)
    ]
    return trust_list.build(
        private_key(session, root),
        operation=operation_slug,
        issued_at=now,
        next_update=now + TRUST_LIST_LIFETIME,
        keys=keys,
        revoked=revoked_ids(session, operation_id, now),
    )


def root_fingerprint(session: Session, operation_id: int) -> str:
    return trust_list.thumbprint(root_key(session, operation_id).public_key)
