"""Random secrets and their SHA-256 digests.

A 256-bit random secret needs no slow hash: guessing is hopeless, so one
SHA-256 and an indexed lookup check a token at no cost.
"""

from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str) -> tuple[str, bytes]:
    """A new secret to show once, and the digest to store."""
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    return secret, digest(secret)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()
