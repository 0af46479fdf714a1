"""Credentials of field devices, and HTTP Basic authentication for OpenRosa clients.

ODK Collect sends the credentials with every request. App credentials are
random secrets checked with one SHA-256 (nothing to guess). A user's own
password is checked with argon2 once, and the success remembered in memory
for ten minutes under a digest of login and password, so a sync of a hundred
forms does not cost a hundred argon2 runs; a changed or wrong password never
matches a remembered digest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import secrets
import threading
import time
import zlib
from dataclasses import dataclass

import segno
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from corridor.accounts import service as accounts
from corridor.accounts import tokens
from corridor.config import Settings
from corridor.crossings.models import DeviceCredential
from corridor.db.session import is_read_only, writable_engine
from corridor.db.types import utcnow
from corridor.errors import InvalidInput, NotFound, Unauthenticated
from corridor.jobs.cache import changed, worker_cache

DEVICE_PREFIX = "dev-"
PASSWORD_CACHE_SECONDS = 600
CACHE_NAME = "crossings.devices"
_MAX_CACHED = 10_000


@dataclass(frozen=True)
class DeviceLogin:
    """Who a Basic-authenticated request acts as."""

    user_id: int
    label: str
    device_credential_id: int | None = None
    operation_id: int | None = None  # a device credential works in one operation only


class _PasswordCache:
    """Successful password checks, by a keyed digest of (login, password), for a while."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key = secrets.token_bytes(32)  # digests are useless outside this process
        self._entries: dict[bytes, tuple[int, float]] = {}

    def _digest(self, login: str, password: str) -> bytes:
        return hmac.new(self._key, f"{login}\0{password}".encode(), hashlib.sha256).digest()

    def get(self, login: str, password: str) -> int | None:
        digest = self._digest(login, password)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None or entry[1] < time.monotonic():
                self._entries.pop(digest, None)
                return None
            return entry[0]

    def put(self, login: str, password: str, user_id: int) -> None:
        with self._lock:
            if len(self._entries) >= _MAX_CACHED:
                self._entries.clear()
            self._entries[self._digest(login, password)] = (
                user_id,
                time.monotonic() + PASSWORD_CACHE_SECONDS,
            )

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


password_cache = _PasswordCache()


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """(username, password) of an ``Authorization: Basic`` header, or None."""
    if not header:
        return None
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except ValueError:
        return None
    username, sep, password = decoded.partition(":")
    if not sep:
        return None
    return username, password


def authenticate_basic(
    session: Session, settings: Settings, *, username: str, password: str, address: str
) -> DeviceLogin:
    """The device or user behind Basic credentials; ``Unauthenticated`` otherwise.

    A failed user password is counted by the sign-in throttle (the caller must
    commit before answering, as for the sign-in page).
    """
    if is_device_login(username):
        known = _credentials(session).get(username)
        if known is None or not hmac.compare_digest(known.secret_hash, tokens.digest(password)):
            raise Unauthenticated("the device credentials are unknown or revoked")
        _touch(session, known.id)
        # The officer's account and roles are checked by the caller (principal_for).
        return DeviceLogin(known.user_id, f"device:{known.name}", known.id, known.operation_id)
    login = username.strip().lower()
    user_id = password_cache.get(login, password)
    if user_id is None:
        user = accounts.authenticate_password(
            session, settings, login=login, password=password, address=address
        )
        user_id = user.id
        password_cache.put(login, password, user_id)
    return DeviceLogin(user_id, login)


@dataclass(frozen=True)
class _Known:
    id: int
    name: str
    user_id: int
    operation_id: int
    secret_hash: bytes


_touched: dict[int, float] = {}


def _load(session: Session) -> dict[str, _Known]:
    return {
        c.username: _Known(c.id, c.name, c.user_id, c.operation_id, c.secret_hash)
        for c in session.scalars(
            select(DeviceCredential).where(DeviceCredential.revoked_at.is_(None))
        )
    }


def _credentials(session: Session) -> dict[str, _Known]:
    """Live credentials by username, cached in each worker; a revocation reaches every
    worker within the cache's check interval (a quarter of a second by default)."""
    return worker_cache(session, CACHE_NAME, _load).get(session)


def _changed(session: Session) -> None:
    changed(session, CACHE_NAME)


def is_device_login(username: str) -> bool:
    """Whether Basic credentials name an app credential (not an officer's own login)."""
    return username.startswith(DEVICE_PREFIX)


def _touch(session: Session, credential_id: int) -> None:
    """Note when a device was last seen (at most every five minutes, per worker).

    In a read-only sign-in the note is written in a short transaction of its own.
    """
    now = time.monotonic()
    if now - _touched.get(credential_id, -1e9) < 300:
        return
    _touched[credential_id] = now
    statement = (
        update(DeviceCredential)
        .where(DeviceCredential.id == credential_id)
        .values(last_used_at=utcnow())
    )
    if not is_read_only(session):
        session.execute(statement)
        return
    with Session(writable_engine(session)) as own, own.begin():
        own.execute(statement)


# Managing device credentials -------------------------------------------------------


def issue(
    session: Session, *, operation_id: int, user_id: int, name: str, created_by_id: int | None
) -> tuple[str, DeviceCredential]:
    """A new credential for one officer's device; the secret is returned once."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("name", "is required")
    if len(name) > 100:
        raise InvalidInput("name", "must be at most 100 characters")
    secret, digest = tokens.new_secret("crp")
    credential = DeviceCredential(
        operation_id=operation_id,
        user_id=user_id,
        name=name,
        username=DEVICE_PREFIX + secrets.token_hex(8),
        secret_hash=digest,
        created_by_id=created_by_id,
    )
    session.add(credential)
    session.flush()
    _changed(session)
    return secret, credential


def list_credentials(session: Session, *, operation_id: int) -> list[DeviceCredential]:
    return list(
        session.scalars(
            select(DeviceCredential)
            .where(DeviceCredential.operation_id == operation_id)
            .order_by(DeviceCredential.id)
        )
    )


def revoke(session: Session, *, operation_id: int, credential_id: int) -> DeviceCredential:
    credential = session.get(DeviceCredential, credential_id)
    if credential is None or credential.operation_id != operation_id:
        raise NotFound("no such device credential")
    if credential.revoked_at is None:
        credential.revoked_at = utcnow()
    session.flush()
    _changed(session)
    return credential


def collect_setup(*, server_url: str, username: str, secret: str, project: str) -> tuple[str, str]:
    """What ODK Collect reads from a settings QR code (JSON, zlib, base64), and that QR
    code as SVG."""
    payload = {
        "general": {"server_url": server_url, "username": username, "password": secret},
        "admin": {},
        "project": {"name": project},
    }
    settings = base64.b64encode(zlib.compress(json.dumps(payload).encode())).decode()
    svg = io.BytesIO()
    segno.make(settings, error="l").save(svg, kind="svg", scale=4, xmldecl=False)
    return settings, svg.getvalue().decode()
