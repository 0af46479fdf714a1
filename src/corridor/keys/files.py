"""Key files kept outside the database, created on first use with mode 0600."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes starting at once must not overwrite each other's key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load_or_create_secret(path: Path, *, size: int = 32) -> bytes:
    """A random secret stored base64-encoded in ``path``."""
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            _write_private(path, base64.b64encode(secrets.token_bytes(size)) + b"\n")
    raw = base64.b64decode(path.read_bytes().strip())
    if len(raw) != size:
        raise ValueError(f"key file {path} does not hold a {size}-byte key")
    return raw


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 key that signs audit chain heads (PEM, PKCS#8)."""
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        with contextlib.suppress(FileExistsError):
            _write_private(path, pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return loaded
