"""Engines that behave the same on SQLite and PostgreSQL.

SQLite is the default, embedded database. To keep it safe under several
concurrent writers (server workers, the job runner, the CLI) every connection
runs in WAL mode with foreign keys on and a 5 s busy timeout, and every
transaction starts with ``BEGIN IMMEDIATE``: the write lock is taken up front,
so two transactions can never both read and then deadlock on upgrading to a
write lock (the classic "database is locked" error).

A transaction that only reads may say so (``corridor.db.session.read_only``):
on SQLite it then starts deferred, with ``query_only`` on, and neither waits
for nor holds the write lock (WAL lets it read while a writer commits). A
write in it fails at once instead of waiting.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

READ_ONLY = "corridor_read_only"  # execution option: this transaction only reads
QUERY_ONLY = "corridor_query_only"  # connection info: SQLite's query_only is on


def json_dumps(value: Any) -> str:
    """JSON columns (geometries, form data) are written often: orjson is ~30× faster."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with Corridor's connection settings."""
    kwargs.setdefault("json_serializer", json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    engine = create_engine(url, pool_pre_ping=True, **kwargs)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # The same promise as on SQLite: a write in a read-only transaction fails.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")

    return engine


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 5, "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would
        # otherwise start deferred transactions behind our back).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # One writer at a time in this process, queued on a lock, ahead of SQLite's
    # own lock: SQLite makes a waiting writer sleep and poll (up to 100 ms a
    # try), which left most of the time idle under concurrent field submissions.
    # The lock is handed on as the transaction ends (commit, rollback, or the
    # connection going back to the pool), from whichever thread ends it. It only
    # orders writers: a wait beyond the busy timeout falls through to SQLite.
    writer = threading.Lock()
    flag = "corridor_writer_lock"

    def _release(info: dict[str, Any]) -> None:
        if info.pop(flag, False):
            writer.release()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        _release(connection.info)  # never held twice by one connection
        reading = bool(connection.get_execution_options().get(READ_ONLY))
        if connection.info.get(QUERY_ONLY, False) != reading:  # set per DBAPI connection
            connection.exec_driver_sql(f"PRAGMA query_only = {'ON' if reading else 'OFF'}")
            connection.info[QUERY_ONLY] = reading
        if reading:
            connection.exec_driver_sql("BEGIN")
            return
        connection.info[flag] = writer.acquire(timeout=5)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection.info)
            raise

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        _release(connection.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        _release(connection.info)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        _release(record.info)

    return engine


def is_sqlite(engine_or_bind: Any) -> bool:
    return engine_or_bind.dialect.name == "sqlite"
