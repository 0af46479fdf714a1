"""The trust list checkpoints download: which keys may sign certificates, and
which certificates are revoked.

A JWS in the flattened JSON serialization (RFC 7515 §7.2.2) signed with EdDSA
by the operation's root key, whose public JWK rides in the protected header so
that a device can check the list alone; what makes the root *trusted* is its
fingerprint (the RFC 7638 JWK thumbprint), shown when a device is set up and
pinned after (``expected_root``). The payload is::

    {"operation": "demo", "issued_at": "2026-12-02T10:00:00Z",
     "next_update": "2026-12-03T10:00:00Z",
     "keys": {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "...", "kid": "...",
                        "use": "sig", "alg": "EdDSA", "iss": "org-short-name",
                        "name": "Organisation's full name"}]},
     "revoked": ["<base64url of a revoked certificate's cti>", ...]}

``kid`` is the base64url of the COSE ``kid`` bytes; several keys may share one
(the verifier tries each).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MAX_BYTES = 8 * 1024 * 1024


class TrustListError(ValueError):
    """The trust list cannot be read or is not signed by its root key."""


@dataclass(frozen=True, slots=True)
class SignerKey:
    kid: bytes
    public_key: bytes  # 32 raw bytes
    issuer: str  # the organisation's short name, as in the certificates' ``iss``
    name: str = ""  # its full name, shown by verifiers


@dataclass(frozen=True)
class TrustList:
    operation: str
    issued_at: datetime
    next_update: datetime
    keys: tuple[SignerKey, ...]
    revoked: frozenset[bytes]
    root_thumbprint: str
    by_kid: dict[bytes, tuple[SignerKey, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        grouped: dict[bytes, list[SignerKey]] = {}
        for key in self.keys:
            grouped.setdefault(key.kid, []).append(key)
        object.__setattr__(self, "by_kid", {k: tuple(v) for k, v in grouped.items()})

    def stale(self, at: datetime) -> bool:
        return at > self.next_update


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64url text")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def jwk(public_key: bytes) -> dict[str, str]:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(public_key)}


def thumbprint(public_key: bytes) -> str:
    """RFC 7638: SHA-256 of the JWK's required members, sorted, without spaces."""
    canonical = json.dumps(jwk(public_key), sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode()).digest())


def key_id(public_key: bytes) -> bytes:
    """The COSE ``kid`` of a signing key: the first 8 bytes of its SHA-256 (as DCC)."""
    return hashlib.sha256(public_key).digest()[:8]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(
    root: Ed25519PrivateKey,
    *,
    operation: str,
    issued_at: datetime,
    next_update: datetime,
    keys: Iterable[SignerKey],
    revoked: Iterable[bytes],
) -> dict[str, str]:
    """The signed trust list as the JSON object to publish."""
    root_public = raw_public(root.public_key())
    header = {"alg": "EdDSA", "kid": thumbprint(root_public), "jwk": jwk(root_public)}
    body = {
        "operation": operation,
        "issued_at": iso(issued_at),
        "next_update": iso(next_update),
        "keys": {
            "keys": [
                {
                    **jwk(k.public_key),
                    "kid": b64url(k.kid),
                    "use": "sig",
                    "alg": "EdDSA",
                    "iss": k.issuer,
                }
                for k in keys
            ]
        },
        "revoked": sorted(b64url(cti) for cti in revoked),
    }
    protected = b64url(json.dumps(header, separators=(",", ":")).encode())
    payload = b64url(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
    signature = root.sign(f"{protected}.{payload}".encode("ascii"))
    return {"protected": protected, "payload": payload, "signature": b64url(signature)}


def load(data: bytes | str, *, expected_root: str | None = None) -> TrustList:
    """A trust list checked against its root key (and that key's pinned thumbprint)."""
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_BYTES:
        raise TrustListError("larger than any trust list")
    try:
        document = json.loads(data)
        protected, payload = document["protected"], document["payload"]
        signature = from_b64url(document["signature"])
        header = json.loads(from_b64url(protected))
        body = json.loads(from_b64url(payload))
    except (ValueError, KeyError, TypeError):
        raise TrustListError("not a JWS in the flattened JSON serialization") from None
    if not isinstance(header, dict) or header.get("alg") != "EdDSA":
        raise TrustListError("the trust list is not signed with EdDSA")
    root_jwk = header.get("jwk")
    try:
        if root_jwk["kty"] != "OKP" or root_jwk["crv"] != "Ed25519":
            raise ValueError
        root_public = from_b64url(root_jwk["x"])
        Ed25519PublicKey.from_public_bytes(root_public).verify(
            signature, f"{protected}.{payload}".encode("ascii")
        )
    except InvalidSignature:
        raise TrustListError("the trust list's signature does not verify") from None
    except (ValueError, KeyError, TypeError):
        raise TrustListError("the trust list's root key is not an Ed25519 JWK") from None
    root = thumbprint(root_public)
    if expected_root is not None and root != expected_root:
        raise TrustListError(f"the trust list is signed by root {root}, not {expected_root}")
    try:
        keys = tuple(
            SignerKey(
                kid=from_b64url(k["kid"]),
                public_key=_ed25519_x(k),
                issuer=str(k.get("iss", "")),
                name=str(k.get("name", "")),
            )
            for k in body["keys"]["keys"]
        )
        return TrustList(
            operation=str(body["operation"]),
            issued_at=_moment(body["issued_at"]),
            next_update=_moment(body["next_update"]),
            keys=keys,
            revoked=frozenset(from_b64url(r) for r in body["revoked"]),
            root_thumbprint=root,
        )
    except (ValueError, KeyError, TypeError) as error:
        raise TrustListError(f"the trust list's payload is not as specified ({error})") from None


def _ed25519_x(member: dict) -> bytes:
    if member.get("kty") != "OKP" or member.get("crv") != "Ed25519":
        raise ValueError("a key is not an Ed25519 JWK")
    x = from_b64url(member["x"])
    if len(x) != 32:
        raise ValueError("a key is not 32 bytes")
    return x


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time without a zone")
    return moment.astimezone(UTC)
