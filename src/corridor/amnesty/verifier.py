"""Verify a certificate offline against a trust list: one verdict, checked in
the order the checkpoint contract fixes: malformed, unknown signer, bad
signature, revoked, not yet valid, expired; else valid.

The signature check uses libsodium (PyNaCl) rather than ``cryptography``: on
this project's machines its Ed25519 verification takes about half the time of
OpenSSL's, and verification speed is what a checkpoint queue waits on (see
``bench/certificates.py``). Claims are returned only when the signature holds:
an unverified name is never shown as if it were the holder's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from nacl.bindings import crypto_sign_open
from nacl.exceptions import CryptoError

from corridor.amnesty import claims as claims_format
from corridor.amnesty.codec import Malformed, from_text, parse_sign1
from corridor.amnesty.trust_list import SignerKey, TrustList, b64url


class Verdict(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    UNKNOWN_SIGNER = "unknown_signer"
    BAD_SIGNATURE = "bad_signature"
    MALFORMED = "malformed"


@dataclass(slots=True)  # not frozen: a plain __init__ is faster, and this is the hot path
class Verification:
    verdict: Verdict
    detail: str
    certificate_id: str | None = None  # base64url of cti, once the text parsed
    key_id: str | None = None
    signer: SignerKey | None = None  # the trust list's key that verified the signature
    claims: claims_format.Claims | None = None  # only when the signature verified

    @property
    def valid(self) -> bool:
        return self.verdict is Verdict.VALID


class Verifier:
    """Holds one trust list; ``verify`` never raises on any input text."""

    def __init__(self, trust_list: TrustList) -> None:
        self.trust_list = trust_list
        self._keys = trust_list.by_kid

    def verify(self, text: str, at: datetime | None = None) -> Verification:
        try:
            message = parse_sign1(from_text(text))
            claims = claims_format.parse(message.payload)
        except Malformed as error:
            return Verification(Verdict.MALFORMED, str(error))
        except Exception as error:  # noqa: BLE001 - the verifier must never crash on input
            return Verification(Verdict.MALFORMED, f"unreadable ({type(error).__name__})")
        certificate_id = b64url(claims.certificate_id)
        kid = b64url(message.kid)
        candidates = self._keys.get(message.kid)
        if not candidates:
            return Verification(
                Verdict.UNKNOWN_SIGNER,
                "no key in the trust list has this key id",
                certificate_id,
                kid,
            )
        signed = message.signature + message.to_be_signed()
        signer = None
        for key in candidates:
            try:
                crypto_sign_open(signed, key.public_key)
            except (CryptoError, ValueError):
                continue
            signer = key
            break
        if signer is None:
            return Verification(
                Verdict.BAD_SIGNATURE,
                f"the signature does not verify with the {len(candidates)} key(s) of this id",
                certificate_id,
                kid,
            )
        if signer.issuer != claims.issuer:  # a trusted key speaking for another issuer
            return Verification(
                Verdict.BAD_SIGNATURE,
                f"signed with a key of {signer.issuer}, not of the issuer {claims.issuer}",
                certificate_id,
                kid,
            )
        at = at or datetime.now(UTC)
        if claims.certificate_id in self.trust_list.revoked:
            verdict, detail = Verdict.REVOKED, "the certificate is on the revocation list"
        elif at < claims.valid_from:
            verdict, detail = Verdict.NOT_YET_VALID, "before the first day of validity"
        elif at >= claims.valid_until:
            verdict, detail = Verdict.EXPIRED, "after the last moment of validity"
        else:
            verdict, detail = Verdict.VALID, "signature, revocation list and dates hold"
        return Verification(verdict, detail, certificate_id, kid, signer, claims)
