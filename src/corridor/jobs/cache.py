"""Per-worker caches invalidated through a version stored in the database.

With several server processes, a change saved through one must be seen by the
others. The writer bumps a named version in the same transaction as the change;
each reader checks that version (one primary-key lookup, at most every
``check_interval`` seconds) and reloads when it moved.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from corridor.db.types import utcnow
from corridor.jobs.models import CacheVersion

T = TypeVar("T")
_V = CacheVersion.__table__


def bump(session: Session, name: str) -> None:
    """Move ``name``'s version on in the caller's transaction."""
    conn = session.connection()
    values = {"name": name, "version": 0, "updated_at": utcnow()}
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(dialect_insert(_V).values(**values).on_conflict_do_nothing())
    conn.execute(
        update(_V).where(_V.c.name == name).values(version=_V.c.version + 1, updated_at=utcnow())
    )


def current_version(session: Session, name: str) -> int:
    value = session.connection().execute(select(_V.c.version).where(_V.c.name == name)).scalar()
    return int(value or 0)


class VersionedCache(Generic[T]):
    """A value loaded by ``loader`` and reloaded when its version moves."""

    def __init__(self, name: str, loader: Callable[[Session], T], check_interval: float = 0.25):
        self.name = name
        self._loader = loader
        self._interval = check_interval
        self._lock = threading.Lock()
        self._value: T | None = None
        self._version = -1
        self._checked = 0.0
        self.loads = 0

    def get(self, session: Session) -> T:
        now = time.monotonic()
        with self._lock:
            if self._value is not None and now - self._checked < self._interval:
                return self._value
        version = current_version(session, self.name)
        with self._lock:
            if self._value is not None and version == self._version:
                self._checked = now
                return self._value
        value = self._loader(session)
        with self._lock:
            self._value, self._version, self._checked = value, version, now
            self.loads += 1
        return value

    def peek(self) -> T | None:
        """The value held now, if any, without checking its version or loading it."""
        with self._lock:
            return self._value

    def invalidate(self) -> None:
        with self._lock:
            self._value = None


def worker_cache(session: Session, name: str, loader: Callable[[Session], T]) -> VersionedCache[T]:
    """The worker's cache ``name`` (kept in the session factory's ``caches``), made on first use."""
    caches: dict[str, VersionedCache[Any]] = session.info.setdefault("caches", {})
    cache = caches.get(name)
    if cache is None:
        settings = session.info.get("settings")
        interval = settings.cache_check_interval_seconds if settings else 0.25
        cache = caches[name] = VersionedCache(name, loader, interval)
    return cache


def changed(session: Session, name: str) -> None:
    """Bump ``name`` in the caller's transaction; this worker's copy is dropped at commit."""
    bump(session, name)
    cache = session.info.setdefault("caches", {}).get(name)
    if cache is not None:
        session.info.setdefault("after_commit", []).append(cache.invalidate)
