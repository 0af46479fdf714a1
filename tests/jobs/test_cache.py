"""Per-worker caches follow a version stored in the database."""

from __future__ import annotations

import time

from corridor.db.session import unit_of_work
from corridor.jobs.cache import VersionedCache, bump
from corridor.runtime import Runtime


def test_reload_only_when_the_version_moves(runtime: Runtime) -> None:
    source = {"value": 1}
    # Two caches stand for two server workers.
    worker_a = VersionedCache("test.thing", lambda _s: dict(source), check_interval=0.0)
    worker_b = VersionedCache("test.thing", lambda _s: dict(source), check_interval=0.0)
    with unit_of_work(runtime.factory) as session:
        assert worker_a.get(session) == {"value": 1}
        assert worker_b.get(session) == {"value": 1}
    source["value"] = 2
    with unit_of_work(runtime.factory) as session:
        assert worker_b.get(session) == {"value": 1}  # nobody bumped: still cached
        bump(session, "test.thing")
    with unit_of_work(runtime.factory) as session:
        assert worker_a.get(session) == {"value": 2}
        assert worker_b.get(session) == {"value": 2}
    assert worker_a.loads == 2 and worker_b.loads == 2


def test_check_interval_limits_version_queries(runtime: Runtime) -> None:
    cache = VersionedCache("test.slow", lambda _s: object(), check_interval=0.2)
    with unit_of_work(runtime.factory) as session:
        first = cache.get(session)
        bump(session, "test.slow")
    with unit_of_work(runtime.factory) as session:
        assert cache.get(session) is first  # inside the interval: not checked yet
    time.sleep(0.25)
    with unit_of_work(runtime.factory) as session:
        assert cache.get(session) is not first
