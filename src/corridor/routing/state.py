"""A loaded network, ready to route: graph, metric index, engine, hazard weights.

One ``RouterState`` per (operation, profile, network version) per server
worker. The graph loads from the database once; the engine is prepared once
(the CCH ordering is the only slow step, a fraction of a second on a town);
hazards change weights through partial updates, never a rebuild.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from corridor.routing.engines import Endpoint, PathEngine, PathResult, make_engine
from corridor.routing.geo import Projection, polygon_of, projection_for
from corridor.routing.graph import INT32_MAX, RoadGraph

INSIDE_AVOID_FACTOR = 10
MIN_AVOID_PENALTY = 36_000  # one hour, in deciseconds


@dataclass(frozen=True)
class Snap:
    """A point snapped onto the nearest arc."""

    arc: int
    fraction: float  # from the arc's tail
    distance_m: float
    lon: float
    lat: float


ZoneKey = tuple[int, str]  # hazard id and revision
MAX_CACHED_ZONES = 5000


@dataclass(frozen=True)
class HazardArcs:
    """The arcs a hazard touches, split by whether their tail lies inside it."""

    touched: np.ndarray  # sorted
    entering: np.ndarray
    inside: np.ndarray

    def touches(self, arcs: np.ndarray) -> np.ndarray:
        """Which of ``arcs`` the hazard touches (a search in the sorted arcs: a mask per
        hazard over the whole network cost more to build than every lookup)."""
        if self.touched.size == 0:
            return np.zeros(arcs.shape, dtype=bool)
        at = np.minimum(np.searchsorted(self.touched, arcs), self.touched.size - 1)
        return self.touched[at] == arcs


@dataclass
class RouterState:
    graph: RoadGraph
    network_version: int
    projection: Projection
    x: np.ndarray
    y: np.ndarray
    lines: np.ndarray  # shapely LineStrings of every arc, metric
    tree: shapely.STRtree
    avoid_penalty: int
    engine: PathEngine
    weights_key: object = None
    weights: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    lock: threading.Lock = field(default_factory=threading.Lock)
    _hazard_arcs: dict[tuple[int, str], HazardArcs] = field(default_factory=dict)
    _metric_polygons: dict[tuple[int, str], BaseGeometry] = field(default_factory=dict)
    _roads: dict[str, Any] | None = None

    @classmethod
    def load(
        cls, graph: RoadGraph, network_version: int, *, engine: str = "cch", own_thread: bool = True
    ) -> RouterState:
        minx, miny, maxx, maxy = graph.bounds()
        projection = projection_for((minx + maxx) / 2, (miny + maxy) / 2)
        x, y = projection.xy(graph.lon, graph.lat)
        coords = np.stack(
            [
                np.stack([x[graph.tail], y[graph.tail]], axis=1),
                np.stack([x[graph.head], y[graph.head]], axis=1),
            ],
            axis=1,
        )
        lines = shapely.linestrings(coords)
        return cls(
            graph=graph,
            network_version=network_version,
            projection=projection,
            x=x,
            y=y,
            lines=lines,
            tree=shapely.STRtree(lines),
            avoid_penalty=avoid_penalty(graph),
            engine=make_engine(graph, prefer=engine, own_thread=own_thread),
            weights=graph.weight.astype(np.int64),
        )

    # Snapping -------------------------------------------------------------------------

    def snap(self, lon: float, lat: float) -> Snap:
        point = self.projection.to_metric(Point(lon, lat))
        arc = int(self.tree.nearest(point))
        line = self.lines[arc]
        fraction = float(line.project(point, normalized=True)) if line.length > 0 else 0.0
        on_line = line.interpolate(fraction, normalized=True)
        snapped = self.projection.to_lonlat(on_line)
        return Snap(arc, fraction, float(point.distance(line)), snapped.x, snapped.y)

    def reverse_arc(self, arc: int) -> int | None:
        tail, head = int(self.graph.tail[arc]), int(self.graph.head[arc])
        start, end = int(self.graph.first_out[head]), int(self.graph.first_out[head + 1])
        hits = np.flatnonzero(self.graph.head[start:end] == tail)
        return start + int(hits[0]) if hits.size else None

    def source_endpoints(self, snap: Snap, weights: np.ndarray) -> list[Endpoint]:
        arc = snap.arc
        ends = [(int(self.graph.head[arc]), round((1 - snap.fraction) * weights[arc]))]
        back = self.reverse_arc(arc)
        if back is not None:
            ends.append((int(self.graph.tail[arc]), round(snap.fraction * weights[back])))
        return ends

    def target_endpoints(self, snap: Snap, weights: np.ndarray) -> list[Endpoint]:
        arc = snap.arc
        ends = [(int(self.graph.tail[arc]), round(snap.fraction * weights[arc]))]
        back = self.reverse_arc(arc)
        if back is not None:
            ends.append((int(self.graph.head[arc]), round((1 - snap.fraction) * weights[back])))
        return ends

    # Hazards ---------------------------------------------------------------------------

    def add_zones(self, items: Sequence[tuple[ZoneKey, Any]]) -> None:
        """Project and index hazard zones (GeoJSON or shapely, in degrees), in one pass.

        Saving a batch of hazards must reach the next query in milliseconds, so
        each step (projection, prepared-polygon index query, point-in-polygon
        of arc tails) is one vectorised call for the whole batch, not one per
        hazard.
        """
        todo: dict[ZoneKey, Any] = {k: g for k, g in items if not self.has_zone(k)}
        if not todo:
            return
        if len(self._hazard_arcs) + len(todo) > MAX_CACHED_ZONES:
            self._hazard_arcs.clear()
            self._metric_polygons.clear()
        keys = list(todo)
        lonlat = np.array(
            [g if isinstance(g, BaseGeometry) else polygon_of(g) for g in todo.values()],
            dtype=object,
        )
        metric = self.projection.to_metric_many(lonlat)
        shapely.prepare(metric)
        zone_of, arcs = self.tree.query(metric, predicate="intersects")
        order = np.lexsort((arcs, zone_of))  # by zone, then arc: each zone's arcs sorted
        zone_of, arcs = zone_of[order], arcs[order].astype(np.int64)
        tails = self.graph.tail[arcs]
        tail_inside = shapely.intersects_xy(metric[zone_of], self.x[tails], self.y[tails])
        bounds = np.searchsorted(zone_of, np.arange(len(keys) + 1))
        for index, key in enumerate(keys):
            piece = slice(bounds[index], bounds[index + 1])
            touched, inside = arcs[piece], tail_inside[piece]
            self._hazard_arcs[key] = HazardArcs(
                touched=touched, entering=touched[~inside], inside=touched[inside]
            )
            self._metric_polygons[key] = metric[index]

    def has_zone(self, key: ZoneKey) -> bool:
        return key in self._metric_polygons and key in self._hazard_arcs

    def zone(self, key: ZoneKey, geojson: Any) -> tuple[BaseGeometry, HazardArcs]:
        """A hazard's metric polygon and arcs, parsed once per hazard revision.

        ``geojson`` may be a callable returning it, so that an unloaded column is
        only read when the zone is not known yet.
        """
        if not self.has_zone(key):
            if geojson is None:
                raise LookupError(f"zone {key} is not loaded (call prime_zones first)")
            self.add_zones([(key, geojson() if callable(geojson) else geojson)])
        return self._metric_polygons[key], self._hazard_arcs[key]

    def roads_geojson(self) -> dict[str, Any]:
        """The network as merged, lightly simplified lines: the map's base layer."""
        if self._roads is None:
            graph = self.graph
            one_way = graph.tail < graph.head
            reverse = set(zip(graph.head.tolist(), graph.tail.tolist(), strict=True))
            keep = one_way | np.fromiter(
                (
                    (t, h) not in reverse
                    for t, h in zip(graph.tail.tolist(), graph.head.tolist(), strict=True)
                ),
                dtype=bool,
                count=graph.arc_count,
            )
            coords = np.stack(
                [
                    np.stack([graph.lon[graph.tail[keep]], graph.lat[graph.tail[keep]]], axis=1),
                    np.stack([graph.lon[graph.head[keep]], graph.lat[graph.head[keep]]], axis=1),
                ],
                axis=1,
            )
            merged = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(coords)))
            simple = shapely.simplify(merged, 0.00003)
            lines = list(getattr(simple, "geoms", [simple]))
            self._roads = {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {
                            "type": "LineString",
                            "coordinates": np.round(np.asarray(line.coords), 6).tolist(),
                        },
                    }
                    for line in lines
                ],
            }
        return self._roads

    def use_weights(self, key: object, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """Make the engine use the weights for ``key`` (partial update of what changed).

        Call with ``self.lock`` held, together with the query that needs them.
        """
        if key == self.weights_key:
            return self.weights
        weights = compute()
        changed = np.flatnonzero(weights != self.weights)
        if changed.size > weights.size // 4:
            self.engine.set_weights(weights)
        elif changed.size:
            self.engine.update_weights(changed, weights[changed])
        self.weights, self.weights_key = weights, key
        return weights

    def route(self, sources: Sequence[Endpoint], targets: Sequence[Endpoint]) -> PathResult | None:
        return self.engine.route(sources, targets)


def avoid_penalty(graph: RoadGraph) -> int:
    """A cost per arc entering an impassable hazard, above any hazard-free route.

    d(a, b) ≤ d(a, v) + d(v, b) for any vertex v, so the largest distance to and
    from one vertex bounds every route. Crossing an impassable hazard then only
    wins when no route around it exists; the penalty is finite so that a person
    who starts inside one is still routed out.
    """
    matrix = graph.scipy_matrix()
    forward = dijkstra(matrix, indices=0)
    backward = dijkstra(matrix.T.tocsr(), indices=0)
    bound = float(np.max(forward[np.isfinite(forward)]) + np.max(backward[np.isfinite(backward)]))
    penalty = max(MIN_AVOID_PENALTY, int(2 * bound * INSIDE_AVOID_FACTOR))
    ceiling = INT32_MAX // 16
    if penalty > ceiling:
        raise ValueError("the network is too large for 32-bit route costs with hazards")
    return penalty
