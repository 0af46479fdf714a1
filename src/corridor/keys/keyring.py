"""Per-operation keys wrapped by a master key, and AES-256-GCM with them.

Envelope encryption: the master key (a file outside the database) only wraps
small data keys stored in ``data_keys``. Destroying an operation's keys makes
everything encrypted or HMAC-ed under them unreadable, which is how a final
purge reaches backups too.
"""

from __future__ import annotations

import secrets
import struct
import threading

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.orm import Session

from corridor.db.session import READ_ONLY, transaction_memo, writable_engine
from corridor.db.types import utcnow
from corridor.errors import NotFound
from corridor.jobs.cache import changed, worker_cache
from corridor.keys.models import DataKey

DATA = "data"
AUDIT = "audit"
_MAGIC = b"CK1"
_T = DataKey.__table__
CURRENT_KEYS = "keys.current"  # the worker cache of every live key's newest version


def scope_of(operation_id: int | None) -> str:
    return "global" if operation_id is None else f"op:{operation_id}"


class Keyring:
    """Hands out unwrapped keys; caches them in this process."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._master = AESGCM(master_key)
        # Keyed by the wrapped blob itself: a stale entry can never be served for a
        # new key that happens to reuse an operation id and version.
        self._cache: dict[bytes, bytes] = {}
        self._lock = threading.Lock()

    def _aad(self, scope: str, purpose: str, version: int) -> bytes:
        return f"corridor-key|{scope}|{purpose}|{version}".encode()

    def _unwrap(self, scope: str, purpose: str, version: int, wrapped_key: bytes | None) -> bytes:
        if wrapped_key is None:
            raise NotFound("the key for this data has been destroyed")
        cache_key = bytes(wrapped_key)
        with self._lock:
            if cache_key in self._cache:
                return self._cache[cache_key]
        nonce, wrapped = wrapped_key[:12], wrapped_key[12:]
        key = self._master.decrypt(nonce, wrapped, self._aad(scope, purpose, version))
        with self._lock:
            self._cache[cache_key] = key
        return key

    # Core statements on the session's connection (not the ORM unit of work), so
    # that the audit hook may ask for keys while a flush is in progress.

    def current_key(
        self, session: Session, operation_id: int | None, purpose: str = DATA
    ) -> tuple[int, bytes]:
        """The newest live key for (operation, purpose), created on first use.

        Every write transaction asks (its audit records are keyed), so the
        answer comes from a worker cache of the live keys, read from committed
        data only and reloaded when a key is created or destroyed anywhere
        (``CURRENT_KEYS``; whatever retires a key must bump it too); a key
        not there yet is read, or created, in the transaction, once.
        """
        scope = scope_of(operation_id)
        cached = worker_cache(session, CURRENT_KEYS, self._live_keys).get(session)
        if (scope, purpose) in cached:
            version, wrapped = cached[(scope, purpose)]
            return version, self._unwrap(scope, purpose, version, wrapped)
        memo = transaction_memo(session, "_keyring_memo")
        found = memo.get((scope, purpose))
        if found is None:
            found = memo[(scope, purpose)] = self._current_key(session, operation_id, purpose)
        return found

    def _live_keys(self, session: Session) -> dict[tuple[str, str], tuple[int, bytes]]:
        """(scope, purpose) → the newest live (version, wrapped key), as committed: read
        on a connection of its own, so a key this transaction made and may yet roll
        back is never cached."""
        committed = writable_engine(session).execution_options(**{READ_ONLY: True})
        with committed.connect() as conn:  # on SQLite, beside a writer holding the lock
            rows = conn.execute(
                select(_T.c.scope, _T.c.purpose, _T.c.version, _T.c.wrapped_key)
                .where(_T.c.retired_at.is_(None), _T.c.destroyed_at.is_(None))
                .order_by(_T.c.version)
            ).all()
        return {(r.scope, r.purpose): (r.version, bytes(r.wrapped_key)) for r in rows}

    def _current_key(
        self, session: Session, operation_id: int | None, purpose: str
    ) -> tuple[int, bytes]:
        scope = scope_of(operation_id)
        conn = session.connection()
        row = conn.execute(
            select(_T.c.version, _T.c.wrapped_key)
            .where(_T.c.scope == scope, _T.c.purpose == purpose)
            .where(_T.c.retired_at.is_(None), _T.c.destroyed_at.is_(None))
            .order_by(_T.c.version.desc())
            .limit(1)
        ).first()
        if row is None:
            if conn.execute(
                select(_T.c.id).where(_T.c.scope == scope, _T.c.destroyed_at.is_not(None)).limit(1)
            ).first():
                raise NotFound("the keys of this operation have been destroyed")
            version = (
                conn.execute(
                    select(func.max(_T.c.version)).where(
                        _T.c.scope == scope, _T.c.purpose == purpose
                    )
                ).scalar()
                or 0
            ) + 1
            wrapped = self._create(conn, scope, operation_id, purpose, version)
            changed(session, CURRENT_KEYS)
            return version, self._unwrap(scope, purpose, version, wrapped)
        return row.version, self._unwrap(scope, purpose, row.version, row.wrapped_key)

    def key_version(
        self, session: Session, operation_id: int | None, purpose: str, version: int
    ) -> bytes:
        scope = scope_of(operation_id)
        row = (
            session.connection()
            .execute(
                select(_T.c.wrapped_key).where(
                    _T.c.scope == scope, _T.c.purpose == purpose, _T.c.version == version
                )
            )
            .first()
        )
        if row is None:
            raise NotFound("no such key version")
        return self._unwrap(scope, purpose, version, row.wrapped_key)

    def _create(
        self, conn: Connection, scope: str, operation_id: int | None, purpose: str, version: int
    ) -> bytes:
        key = AESGCM.generate_key(bit_length=256)
        nonce = secrets.token_bytes(12)
        wrapped = nonce + self._master.encrypt(nonce, key, self._aad(scope, purpose, version))
        conn.execute(
            insert(_T).values(
                scope=scope,
                operation_id=operation_id,
                purpose=purpose,
                version=version,
                wrapped_key=wrapped,
                created_at=utcnow(),
            )
        )
        return wrapped

    def encrypt(
        self, session: Session, operation_id: int | None, plaintext: bytes, *, aad: bytes = b""
    ) -> bytes:
        """AES-256-GCM under the operation's current data key; the blob names its version."""
        version, key = self.current_key(session, operation_id, DATA)
        nonce = secrets.token_bytes(12)
        body = AESGCM(key).encrypt(nonce, plaintext, aad)
        return _MAGIC + struct.pack(">I", version) + nonce + body

    def decrypt(
        self, session: Session, operation_id: int | None, blob: bytes, *, aad: bytes = b""
    ) -> bytes:
        if blob[:3] != _MAGIC:
            raise ValueError("not a Corridor ciphertext")
        (version,) = struct.unpack(">I", blob[3:7])
        key = self.key_version(session, operation_id, DATA, version)
        return AESGCM(key).decrypt(blob[7:19], blob[19:], aad)

    def destroy(self, session: Session, operation_id: int) -> int:
        """Destroy every key of an operation (final purge); returns how many."""
        scope = scope_of(operation_id)
        session.info.pop("_keyring_memo", None)
        result = session.connection().execute(
            update(_T)
            .where(_T.c.scope == scope, _T.c.destroyed_at.is_(None))
            .values(wrapped_key=None, destroyed_at=utcnow())
        )
        changed(session, CURRENT_KEYS)
        worker_cache(session, CURRENT_KEYS, self._live_keys).invalidate()
        with self._lock:
            self._cache.clear()
        return result.rowcount


def keyring_of(session: Session) -> Keyring:
    """The keyring the session factory was built with."""
    keyring = session.info.get("keyring")
    if keyring is None:
        raise RuntimeError("session has no keyring; build it with corridor.runtime")
    return keyring
