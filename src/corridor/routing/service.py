"""Road networks of an operation: importing, storing and loading them.

The network is stored in the database; each server worker keeps a
``RouterState`` per (operation, profile) and reloads it when an import moves
the network's version (seen by every worker through the cache version).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from corridor.db.session import unit_of_work
from corridor.errors import InvalidInput, NotFound
from corridor.jobs.cache import VersionedCache, bump
from corridor.jobs.runner import JobContext, handler
from corridor.routing.graph import RoadGraph
from corridor.routing.models import RoadNetwork
from corridor.routing.osm import ImportedNetworks, Progress, read_networks
from corridor.routing.state import RouterState

log = logging.getLogger(__name__)
PROFILE_NAMES = ("car", "foot")


def _cache_name(operation_id: int) -> str:
    return f"routing.network.op:{operation_id}"


def check_profile(profile: str, field: str = "profile") -> str:
    if profile not in PROFILE_NAMES:
        raise InvalidInput(field, f"must be one of {', '.join(PROFILE_NAMES)}")
    return profile


def store_networks(
    session: Session, *, operation_id: int, imported: ImportedNetworks
) -> list[RoadNetwork]:
    """Save a new version of each profile's network (replacing the old atomically)."""
    rows = []
    for profile, graph in imported.graphs.items():
        version = (
            session.scalar(
                select(func.max(RoadNetwork.version)).where(
                    RoadNetwork.operation_id == operation_id, RoadNetwork.profile == profile
                )
            )
            or 0
        ) + 1
        row = RoadNetwork(
            operation_id=operation_id,
            profile=profile,
            version=version,
            nodes=graph.node_count,
            arcs=graph.arc_count,
            bbox=list(graph.bounds()),
            source_name=imported.source_name[:200],
            source_sha256=imported.source_sha256,
            data=graph.to_bytes(),
        )
        session.add(row)
        rows.append(row)
    session.flush()
    # Older versions are dropped: the new one is complete and the history is in the audit trail.
    for row in rows:
        for old in session.scalars(
            select(RoadNetwork).where(
                RoadNetwork.operation_id == operation_id,
                RoadNetwork.profile == row.profile,
                RoadNetwork.version < row.version,
            )
        ):
            session.delete(old)
    bump(session, _cache_name(operation_id))
    return rows


def import_file(
    session: Session, *, operation_id: int, path: Path, progress: Progress | None = None
) -> list[RoadNetwork]:
    """Read an OSM PBF and store its networks; a bad file changes nothing."""
    imported = read_networks(path, progress=progress)
    return store_networks(session, operation_id=operation_id, imported=imported)


def current_network(
    session: Session, *, operation_id: int, profile: str, with_data: bool = False
) -> RoadNetwork:
    query = select(RoadNetwork).where(
        RoadNetwork.operation_id == operation_id, RoadNetwork.profile == profile
    )
    if with_data:
        query = query.options(undefer(RoadNetwork.data))
    row = session.scalar(query.order_by(RoadNetwork.version.desc()).limit(1))
    if row is None:
        raise NotFound(f"this operation has no {profile} network yet; import an OSM extract")
    return row


def list_networks(session: Session, *, operation_id: int) -> list[RoadNetwork]:
    return list(
        session.scalars(
            select(RoadNetwork)
            .where(RoadNetwork.operation_id == operation_id)
            .order_by(RoadNetwork.profile)
        )
    )


def _states(session: Session, operation_id: int) -> VersionedCache[dict[str, Any]]:
    caches: dict[str, Any] = session.info.setdefault("caches", {})
    name = _cache_name(operation_id)
    cache = caches.get(name)
    if cache is None:
        settings = session.info.get("settings")
        interval = settings.cache_check_interval_seconds if settings else 0.25
        # The loader only makes an empty holder: states load lazily per profile.
        cache = caches[name] = VersionedCache(name, lambda _s: {}, interval)
    return cache


def loaded_states(caches: dict[str, Any], operation_id: int) -> list[RouterState]:
    """The networks of an operation this worker has loaded already (none are loaded here)."""
    cache = caches.get(_cache_name(operation_id))
    holder = cache.peek() if cache is not None else None
    return list(holder.values()) if holder else []


def router_state(session: Session, *, operation_id: int, profile: str) -> RouterState:
    """This worker's loaded network for (operation, profile), reloaded after an import."""
    check_profile(profile)
    holder = _states(session, operation_id).get(session)
    state = holder.get(profile)
    if state is None:
        row = current_network(session, operation_id=operation_id, profile=profile, with_data=True)
        settings = session.info.get("settings")
        engine = getattr(settings, "routing_engine", "cch") if settings else "cch"
        state = RouterState.load(RoadGraph.from_bytes(row.data), row.version, engine=engine)
        holder[profile] = state
    return state


IMPORT_JOB = "routing.import"


def uploads_dir(session: Session) -> Path:
    settings = session.info.get("settings")
    base = settings.data_dir if settings is not None else Path(".")
    folder = base / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@handler(IMPORT_JOB)
def _import_job(ctx: JobContext) -> dict[str, Any]:
    """Import an uploaded extract; the upload is removed whatever happens."""
    path = Path(ctx.payload["path"])
    try:
        if ctx.operation_id is None:
            raise InvalidInput("operation", "is missing")
        rows = import_file(ctx.session, operation_id=ctx.operation_id, path=path, progress=None)
        return {
            "networks": [
                {"profile": r.profile, "nodes": r.nodes, "arcs": r.arcs, "version": r.version}
                for r in rows
            ]
        }
    finally:
        path.unlink(missing_ok=True)


def warm_up(factory: Any) -> int:
    """Load every operation's networks into this worker (so the first query is fast)."""
    loaded = 0
    with unit_of_work(factory) as session:
        pairs = session.execute(
            select(RoadNetwork.operation_id, RoadNetwork.profile).distinct()
        ).all()
    for operation_id, profile in pairs:
        with unit_of_work(factory) as session:
            router_state(session, operation_id=operation_id, profile=profile)
            loaded += 1
    return loaded
