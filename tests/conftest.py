"""Shared fixtures: a real database (SQLite by default, PostgreSQL in CI), a runtime.

Set ``CORRIDOR_TEST_DATABASE_URL`` to run the database-bound tests on another
server; every test that uses the ``runtime`` fixture is marked ``db``
automatically, which is how CI selects them for the PostgreSQL run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.orm import Session

from corridor.config import Settings
from corridor.db.base import Base
from corridor.db.engine import make_engine
from corridor.db.migrate import upgrade
from corridor.db.registry import load_all_models
from corridor.db.session import Actor, unit_of_work
from corridor.runtime import Runtime, build_runtime
from tests.factories import Factory

STRONG_PASSWORD = "plum-harbour-lantern-42"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "runtime" in fixtures or "factory" in fixtures or "database_url" in fixtures:
            item.add_marker(pytest.mark.db)


def _worker_database(url: str) -> str:
    """Under pytest-xdist, each worker process gets a database of its own on the server."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not url.startswith("postgresql"):
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = text("SELECT 1 FROM pg_database WHERE datname = :n")
        if not conn.execute(exists, {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("CORRIDOR_TEST_DATABASE_URL")
    if url:
        url = _worker_database(url)
        engine = make_engine(url)
        load_all_models()
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(engine)
        engine.dispose()
        return url
    path = tmp_path_factory.mktemp("db") / "corridor-test.sqlite3"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir: Path = tmp_path_factory.mktemp("data")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        run_jobs=False,
        cache_check_interval_seconds=0.05,
    )


@pytest.fixture(scope="session")
def session_runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    yield runtime
    runtime.dispose()


def _empty_all_tables(runtime: Runtime) -> None:
    metadata = load_all_models()
    with runtime.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
    runtime.caches.clear()


@pytest.fixture
def runtime(session_runtime: Runtime) -> Iterator[Runtime]:
    """The runtime, with every table emptied after the test."""
    yield session_runtime
    _empty_all_tables(session_runtime)


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    """One unit of work for a test body; committed at the end."""
    with unit_of_work(runtime.factory, Actor(label="test")) as session:
        yield session


@pytest.fixture
def factory(runtime: Runtime) -> Factory:
    return Factory(runtime, password=STRONG_PASSWORD)


@pytest.fixture(scope="session")
def andorra_pbf() -> Path:
    """The OpenStreetMap extract shipped with the package (works without ../shared)."""
    return Path(str(resources.files("corridor.demo_data").joinpath("andorra.osm.pbf")))


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]
