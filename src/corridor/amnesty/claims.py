"""What a certificate says: a CBOR Web Token claims set (RFC 8392).

Registered claims carry the issuer (``iss``: the issuing organisation's short
name; its full name rides with its key in the trust list), the random
certificate id (``cti``) and the times (``iat`` issued, ``nbf`` valid from,
``exp`` valid until, NumericDate seconds). The certificate
itself is one private claim (key -65537, in RFC 8392's private-use range) with
short keys, because every byte grows the QR code:

- ``t``: ``amnesty`` or ``safe_passage`` (the format's version is in the
  ``AC1:`` prefix);
- ``n``: the holder's names, ``ar`` in Arabic script and ``la`` in Latin;
- ``dob``: date of birth to the precision known (``1990``, ``1990-03`` or
  ``1990-03-14``), absent when unknown;
- ``ph``: the first 16 bytes of the SHA-256 of the photo printed on the
  certificate, when there is one.

Never weapons, desk or intake details: the code is read by anyone who holds it.
Every byte grows the code: the names are most of it, so nothing else repeats
what the trust list or the prefix already says.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import cbor2

from corridor.amnesty.codec import Malformed, decode_cbor

ISS, EXP, NBF, IAT, CTI = 1, 4, 5, 6, 7
CLAIM_CERTIFICATE = -65537
PHOTO_HASH_BYTES = 16
CERTIFICATE_ID_BYTES = 16
MAX_NAME = 160
_PARTIAL_DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")


class CertificateKind(StrEnum):
    AMNESTY = "amnesty"
    SAFE_PASSAGE = "safe_passage"


@dataclass(slots=True)  # not frozen: a plain __init__ is faster on the verifier's path
class Claims:
    certificate_id: bytes
    kind: CertificateKind
    name_arabic: str | None
    name_latin: str | None
    birth_date: str | None
    photo_hash: bytes | None
    issuer: str
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime

    def to_cbor(self) -> bytes:
        names = {}
        if self.name_arabic:
            names["ar"] = self.name_arabic
        if self.name_latin:
            names["la"] = self.name_latin
        body: dict[str, object] = {"t": self.kind.value, "n": names}
        if self.birth_date:
            body["dob"] = self.birth_date
        if self.photo_hash is not None:
            body["ph"] = self.photo_hash
        return cbor2.dumps(
            {
                ISS: self.issuer,
                EXP: _seconds(self.valid_until),
                NBF: _seconds(self.valid_from),
                IAT: _seconds(self.issued_at),
                CTI: self.certificate_id,
                CLAIM_CERTIFICATE: body,
            }
        )


def photo_hash(photo: bytes) -> bytes:
    """What the certificate holds of its photo: enough to tell it from any other."""
    return hashlib.sha256(photo).digest()[:PHOTO_HASH_BYTES]


def check_partial_date(value: str) -> str:
    """``value`` if it is a date of birth to year, month or day precision."""
    if not _PARTIAL_DATE.fullmatch(value):
        raise ValueError("a date as YYYY, YYYY-MM or YYYY-MM-DD")
    return value


def parse(payload: bytes) -> Claims:
    """The claims in a payload; ``Malformed`` names the first claim that is wrong."""
    token = decode_cbor(payload, "the payload")
    if not isinstance(token, dict):
        raise Malformed("payload is not a claims map")
    certificate_id = token.get(CTI)
    if not isinstance(certificate_id, bytes) or len(certificate_id) != CERTIFICATE_ID_BYTES:
        raise Malformed(f"cti is not {CERTIFICATE_ID_BYTES} bytes")
    issuer = _text(token.get(ISS), "iss", 64)
    times = {}
    for label, name in ((IAT, "iat"), (NBF, "nbf"), (EXP, "exp")):
        value = token.get(label)
        if type(value) is not int or not 0 <= value < 2**40:
            raise Malformed(f"{name} is not a NumericDate")
        times[name] = datetime.fromtimestamp(value, UTC)
    if times["exp"] < times["nbf"]:
        raise Malformed("exp is before nbf")
    body = token.get(CLAIM_CERTIFICATE)
    if not isinstance(body, dict):
        raise Malformed(f"no certificate claim ({CLAIM_CERTIFICATE})")
    try:
        kind = CertificateKind(body.get("t"))
    except ValueError:
        raise Malformed("t is not a certificate type") from None
    names = body.get("n")
    if not isinstance(names, dict):
        raise Malformed("n is not a map of names")
    name_arabic = _optional_text(names.get("ar"), "n.ar", MAX_NAME)
    name_latin = _optional_text(names.get("la"), "n.la", MAX_NAME)
    if not (name_arabic or name_latin):
        raise Malformed("n holds no name")
    birth_date = body.get("dob")
    if birth_date is not None and not (
        isinstance(birth_date, str) and _PARTIAL_DATE.fullmatch(birth_date)
    ):
        raise Malformed("dob is not a partial date")
    photo = body.get("ph")
    if photo is not None and not (isinstance(photo, bytes) and len(photo) == PHOTO_HASH_BYTES):
        raise Malformed(f"ph is not a {PHOTO_HASH_BYTES}-byte photo hash")
    return Claims(
        certificate_id=certificate_id,
        kind=kind,
        name_arabic=name_arabic,
        name_latin=name_latin,
        birth_date=birth_date,
        photo_hash=photo,
        issuer=issuer,
        issued_at=times["iat"],
        valid_from=times["nbf"],
        valid_until=times["exp"],
    )


def _seconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("certificate times must be aware (UTC)")
    return int(moment.timestamp())


def _text(value: object, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise Malformed(f"{name} is not a text of 1 to {limit} characters")
    return value


def _optional_text(value: object, name: str, limit: int) -> str | None:
    return None if value is None else _text(value, name, limit)
