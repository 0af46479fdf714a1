"""Reading an OpenStreetMap extract (PBF) with pyosmium into road graphs.

One pass over the file collects, for every profile, the arcs between OSM
nodes; node ids become contiguous indices with NumPy, so no Python object per
edge survives the import.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium

from corridor.errors import InvalidInput
from corridor.routing.graph import RoadGraph, build_graph
from corridor.routing.profiles import PROFILES

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ImportedNetworks:
    graphs: dict[str, RoadGraph]
    source_name: str
    source_sha256: str
    ways: int


class _Collector:
    def __init__(self, profiles: tuple[str, ...]) -> None:
        self.profiles = profiles
        self.node_ids: list[int] = []
        self.lons: list[float] = []
        self.lats: list[float] = []
        self.arcs: dict[str, tuple[list[int], list[int], list[float]]] = {
            p: ([], [], []) for p in profiles
        }
        self.ways = 0

    def way(self, way: osmium.osm.Way) -> None:
        tags = {tag.k: tag.v for tag in way.tags}
        decisions = {p: PROFILES[p](tags) for p in self.profiles}
        if not any(decisions.values()):
            return
        refs: list[int] = []
        for node in way.nodes:
            location = node.location
            if not location.valid():
                continue
            refs.append(node.ref)
            self.node_ids.append(node.ref)
            self.lons.append(location.lon)
            self.lats.append(location.lat)
        if len(refs) < 2:
            return
        self.ways += 1
        for profile, decision in decisions.items():
            if decision is None:
                continue
            tails, heads, speeds = self.arcs[profile]
            pairs = list(itertools.pairwise(refs))
            if decision.forward:
                tails.extend(a for a, _ in pairs)
                heads.extend(b for _, b in pairs)
                speeds.extend([decision.speed_kmh] * len(pairs))
            if decision.backward:
                tails.extend(b for _, b in pairs)
                heads.extend(a for a, _ in pairs)
                speeds.extend([decision.speed_kmh] * len(pairs))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_networks(
    path: Path, *, profiles: tuple[str, ...] = ("car", "foot"), progress: Progress | None = None
) -> ImportedNetworks:
    """Build a graph per profile from ``path``; a bad file is an ``InvalidInput``."""
    if not path.is_file():
        raise InvalidInput("file", f"no such file: {path.name}")
    size = path.stat().st_size
    if size == 0:
        raise InvalidInput("file", "is empty")
    report = progress or (lambda _f, _m: None)
    collector = _Collector(profiles)
    report(0.0, "reading ways")
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for count, way in enumerate(processor):
            collector.way(way)
            if count % 2000 == 0:
                report(0.6 * min(1.0, count / max(1, size / 400)), "reading ways")
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
        raise InvalidInput("file", f"is not a readable OpenStreetMap PBF file ({exc})") from None
    if collector.ways == 0:
        raise InvalidInput("file", "contains no roads (no ways tagged highway=*)")
    report(0.6, "building graphs")
    ids = np.asarray(collector.node_ids, dtype=np.int64)
    unique_ids, first_seen = np.unique(ids, return_index=True)
    lon = np.asarray(collector.lons, dtype=np.float64)[first_seen]
    lat = np.asarray(collector.lats, dtype=np.float64)[first_seen]
    graphs: dict[str, RoadGraph] = {}
    for index, profile in enumerate(profiles):
        tails, heads, speeds = collector.arcs[profile]
        tail = np.searchsorted(unique_ids, np.asarray(tails, dtype=np.int64))
        head = np.searchsorted(unique_ids, np.asarray(heads, dtype=np.int64))
        try:
            graphs[profile] = build_graph(
                profile, lon, lat, tail, head, np.asarray(speeds, dtype=np.float64)
            )
        except ValueError as exc:
            raise InvalidInput("file", str(exc)) from None
        report(0.6 + 0.4 * (index + 1) / len(profiles), f"built {profile} graph")
    return ImportedNetworks(
        graphs=graphs, source_name=path.name, source_sha256=_sha256(path), ways=collector.ways
    )
