"""SQLite writers in one process queue on a lock instead of sleeping in SQLite's
busy handler, and the lock is handed on however a transaction ends."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from corridor.db.engine import make_engine


def test_concurrent_writers_all_commit_and_never_wait_for_a_poll(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, worker INTEGER)"))
    waits: list[float] = []

    def writer(worker: int) -> None:
        for _ in range(50):
            started = time.perf_counter()
            with engine.begin() as conn:
                waits.append(time.perf_counter() - started)
                conn.execute(text("INSERT INTO t (worker) VALUES (:w)"), {"w": worker})
                time.sleep(0.001)  # hold the write lock a moment, as a request does

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 400
    # Queued writers are woken when the lock is handed on: no wait approaches
    # SQLite's own polling steps (which grow to 100 ms) times the queue length.
    assert max(waits) < 1.0
    engine.dispose()


def test_the_lock_is_handed_on_after_a_rollback_an_error_and_a_plain_close(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(text("INSERT INTO t DEFAULT VALUES"))
        raise RuntimeError("rolled back")
    conn = engine.connect()
    conn.begin()
    conn.execute(text("INSERT INTO t DEFAULT VALUES"))
    conn.close()  # back to the pool without commit or rollback by the caller
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t DEFAULT VALUES"))
    assert time.perf_counter() - started < 1.0  # not the 5 s fallback
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 1
    engine.dispose()
