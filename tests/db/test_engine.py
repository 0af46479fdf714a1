"""SQLite connection settings and concurrent writers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

from corridor.db.engine import make_engine
from corridor.db.types import UTCDateTime


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_concurrent_read_modify_write_transactions_never_see_database_is_locked(
    tmp_path: Path,
) -> None:
    """Each thread reads a counter then writes it back: with deferred transactions two
    readers would deadlock upgrading to writers; BEGIN IMMEDIATE serialises them."""
    engine = make_engine(f"sqlite:///{tmp_path / 'c.sqlite3'}", pool_size=16)
    metadata = MetaData()
    counter = Table(
        "counter", metadata, Column("id", Integer, primary_key=True), Column("value", Integer)
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(counter).values(id=1, value=0))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                with engine.begin() as conn:
                    value = conn.execute(select(counter.c.value)).scalar_one()
                    conn.execute(counter.update().values(value=value + 1))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(select(counter.c.value)).scalar_one() == 8 * 25


def test_utc_datetime_round_trips_aware_and_refuses_naive(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 't.sqlite3'}")
    metadata = MetaData()
    table = Table("t", metadata, Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    metadata.create_all(engine)
    local = datetime(2026, 11, 25, 16, 30, 15, 123456, tzinfo=timezone(timedelta(hours=3)))
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, at=local))
        stored = conn.execute(select(table.c.at)).scalar_one()
    assert stored == local
    assert stored.tzinfo == UTC
    assert stored.hour == 13
    with pytest.raises(Exception, match="naive"), engine.begin() as conn:
        conn.execute(insert(table).values(id=2, at=datetime(2026, 1, 1)))


def test_a_read_only_transaction_reads_while_a_writer_holds_the_lock_and_cannot_write(
    tmp_path: Path,
) -> None:
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from corridor.db.session import is_read_only, read_only

    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}", pool_size=2)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    writing, release = threading.Event(), threading.Event()

    def writer() -> None:
        with Session(engine) as session, session.begin():
            session.execute(text("INSERT INTO t VALUES (2)"))
            writing.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    assert writing.wait(10)
    try:
        with Session(engine) as session:
            read_only(session)
            assert is_read_only(session)
            started = datetime.now(UTC)
            # Sees the committed row, not the writer's: and does not wait for it.
            assert session.execute(text("SELECT count(*) FROM t")).scalar() == 1
            assert datetime.now(UTC) - started < timedelta(seconds=1)
            with pytest.raises(OperationalError, match="readonly"):
                session.execute(text("INSERT INTO t VALUES (3)"))
    finally:
        release.set()
        thread.join()
    with Session(engine) as session:  # the pooled connections write again
        assert not is_read_only(session)
        session.execute(text("INSERT INTO t VALUES (4)"))
        session.commit()
        assert sorted(session.execute(text("SELECT x FROM t")).scalars()) == [1, 2, 4]
