"""Sessions and the unit of work.

Services never commit: the caller (one HTTP request, one CLI command, one job)
owns exactly one transaction, so that services compose and a failure halfway
leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from corridor.db.engine import READ_ONLY


@dataclass(frozen=True)
class Actor:
    """Who is acting, recorded in the audit trail."""

    label: str
    user_id: int | None = None


SYSTEM = Actor(label="system")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def read_only(session: Session) -> None:
    """Make the session's transactions ones that only read; call before its first statement.

    On SQLite such a transaction neither waits for nor holds the write lock, so
    reads (a field device's sign-in) do not queue behind a batch being written.
    Nothing starts until a statement runs: a sign-in answered from the
    worker's caches never opens a transaction at all.
    """
    if session.in_transaction():
        session.connection(execution_options={READ_ONLY: True})
        return
    engine = session.get_bind()
    reading = engine.__dict__.get("_corridor_read_only")
    if reading is None:  # one option engine per engine (it shares the pool)
        reading = engine.__dict__["_corridor_read_only"] = engine.execution_options(
            **{READ_ONLY: True}
        )
        reading.__dict__["_corridor_writable"] = engine
    session.bind = reading


def writable_engine(session: Session) -> Engine:
    """The engine behind ``session`` without :func:`read_only`'s option, to write apart."""
    engine = session.get_bind()
    return engine.__dict__.get("_corridor_writable", engine)  # type: ignore[no-any-return]


def is_read_only(session: Session) -> bool:
    return bool(session.connection().get_execution_options().get(READ_ONLY))


def transaction_memo(session: Session, name: str) -> dict[Any, Any]:
    """A dictionary that lives as long as the session's current transaction.

    For answers that cannot change within a transaction (a key, whether an
    operation has open requests), asked many times in one.
    """
    transaction = session.get_transaction()
    held = session.info.get(name)
    if held is None or held[0] is not transaction:
        held = session.info[name] = (transaction, {})
    return held[1]


def set_actor(session: Session, actor: Actor) -> None:
    session.info["actor"] = actor


def get_actor(session: Session) -> Actor:
    return session.info.get("actor", SYSTEM)


@contextmanager
def unit_of_work(factory: sessionmaker[Session], actor: Actor = SYSTEM) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on error."""
    session = factory()
    set_actor(session, actor)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
