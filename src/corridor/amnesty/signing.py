"""Sign claims into the QR text of a certificate."""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from corridor.amnesty.claims import CERTIFICATE_ID_BYTES, Claims
from corridor.amnesty.codec import sign1, to_text
from corridor.amnesty.trust_list import key_id, raw_public


def new_certificate_id() -> bytes:
    """Random, never sequential: an id must not tell how many were issued or when."""
    return secrets.token_bytes(CERTIFICATE_ID_BYTES)


def sign(claims: Claims, key: Ed25519PrivateKey, kid: bytes | None = None) -> str:
    """The QR text (``AC1:…``) of the claims signed by ``key``, named by ``kid``."""
    kid = kid if kid is not None else key_id(raw_public(key.public_key()))
    return to_text(sign1(claims.to_cbor(), key, kid))
