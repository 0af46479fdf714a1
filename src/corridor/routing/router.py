"""Route queries: snap, route around hazards, explain exposure, offer alternatives.

The answer of one query is a best route and up to three alternatives chosen by
the criteria of Abraham, Delling, Goldberg and Werneck ("Alternative routes in
road networks", 2013): each shares at most 70% of its length with the others,
costs at most 1.3× the best, and is locally optimal (every stretch of a
quarter of the best route's cost around its via vertex is itself a shortest
path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra
from sqlalchemy.orm import Session

from corridor.db.types import utcnow
from corridor.errors import InvalidInput
from corridor.routing import hazards as hazard_service
from corridor.routing import service as networks
from corridor.routing.engines import PathResult, arcs_of
from corridor.routing.hazards import HazardInForce
from corridor.routing.state import HazardArcs, RouterState, Snap

MAX_SHARING = 0.7
MAX_STRETCH = 1.3
LOCAL_OPTIMALITY = 0.25
MAX_VIA_CHECKS = 400


@dataclass(frozen=True)
class Legs:
    """Parts of arcs travelled in order: arc ids and the fractions along each."""

    arcs: np.ndarray  # int64
    starts: np.ndarray  # float64
    ends: np.ndarray  # float64

    @classmethod
    def of(cls, items: list[tuple[int, float, float]]) -> Legs:
        arcs, starts, ends = zip(*items, strict=True)
        return cls(
            np.asarray(arcs, dtype=np.int64),
            np.asarray(starts, dtype=np.float64),
            np.asarray(ends, dtype=np.float64),
        )


@dataclass(frozen=True)
class Exposure:
    hazard_id: int
    name: str
    kind: str
    severity: str
    factor: float | None
    metres: float
    seconds: float


@dataclass(frozen=True)
class RouteOption:
    coordinates: list[tuple[float, float]]
    distance_m: float
    duration_s: float
    cost: int
    exposure: list[Exposure]
    avoid_entered: list[Exposure]
    arcs: list[int] = field(repr=False)

    @property
    def safe(self) -> bool:
        return not self.avoid_entered

    def geometry(self) -> dict[str, Any]:
        return {"type": "LineString", "coordinates": [list(c) for c in self.coordinates]}


@dataclass(frozen=True)
class RouteAnswer:
    profile: str
    departure: datetime
    origin: Snap
    destination: Snap
    best: RouteOption
    alternatives: list[RouteOption]

    @property
    def status(self) -> str:
        return "ok" if self.best.safe else "no_safe_route"


def snap_point(
    session: Session, state: RouterState, lon: float, lat: float, field_name: str
) -> Snap:
    """Snap an input point onto the network; too far from a road is a 422 naming the field."""
    settings = session.info.get("settings")
    limit_m = getattr(settings, "routing_max_snap_m", 500.0) if settings else 500.0
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput(field_name, "must be longitude,latitude in degrees")
    snap = state.snap(lon, lat)
    if snap.distance_m > limit_m:
        raise InvalidInput(
            field_name,
            f"is {snap.distance_m:,.0f} m from the nearest road (the limit is {limit_m:,.0f} m)",
        )
    return snap


class _Builder:
    """Turns legs into coordinates, lengths, times and hazard exposure (vectorised)."""

    def __init__(
        self, state: RouterState, weights: np.ndarray, hazards: list[HazardInForce]
    ) -> None:
        self.state, self.weights = state, weights
        self.hazards = {h.id: h for h in hazards}
        self._zones: dict[int, tuple[Any, HazardArcs]] = {}
        for hazard in hazards:
            self._zones[hazard.id] = state.zone(hazard.zone_key, None)

    def option(self, legs: Legs) -> RouteOption:
        graph, state = self.state.graph, self.state
        arcs, starts, ends = legs.arcs, legs.starts, legs.ends
        spans = ends - starts
        tails, heads = graph.tail[arcs], graph.head[arcs]
        lon0, lat0 = graph.lon[tails], graph.lat[tails]
        lon1, lat1 = graph.lon[heads], graph.lat[heads]
        lons = np.concatenate(
            [[lon0[0] + (lon1[0] - lon0[0]) * starts[0]], lon0 + (lon1 - lon0) * ends]
        )
        lats = np.concatenate(
            [[lat0[0] + (lat1[0] - lat0[0]) * starts[0]], lat0 + (lat1 - lat0) * ends]
        )
        coordinates = list(zip(lons.tolist(), lats.tolist(), strict=True))
        seconds = graph.weight[arcs].astype(np.float64) / 10 * spans
        distance = float((graph.length[arcs].astype(np.float64) * spans).sum())
        cost = float((self.weights[arcs].astype(np.float64) * spans).sum())
        found: list[Exposure] = []
        for hazard_id, (polygon, zone_arcs) in self._zones.items():
            hit = np.flatnonzero(zone_arcs.touches(arcs))
            if hit.size == 0:
                continue
            x0, y0 = state.x[tails[hit]], state.y[tails[hit]]
            x1, y1 = state.x[heads[hit]], state.y[heads[hit]]
            s, e = starts[hit], ends[hit]
            pieces = shapely.linestrings(
                np.stack(
                    [
                        np.stack([x0 + (x1 - x0) * s, y0 + (y1 - y0) * s], axis=1),
                        np.stack([x0 + (x1 - x0) * e, y0 + (y1 - y0) * e], axis=1),
                    ],
                    axis=1,
                )
            )
            lengths = shapely.length(pieces)
            # Most pieces lie wholly inside; only those crossing the edge need cutting.
            whole = shapely.contains_properly(polygon, pieces)
            inside = lengths.copy()
            cut = np.flatnonzero(~whole)
            if cut.size:
                inside[cut] = shapely.length(shapely.intersection(pieces[cut], polygon))
            share = np.divide(inside, lengths, out=np.ones_like(inside), where=lengths > 0)
            hazard = self.hazards[hazard_id]
            found.append(
                Exposure(
                    hazard_id=hazard_id,
                    name=hazard.name,
                    kind=hazard.kind,
                    severity=hazard.severity,
                    factor=hazard.factor,
                    metres=round(float(inside.sum()), 1),
                    seconds=round(float((seconds[hit] * share).sum()), 1),
                )
            )
        return RouteOption(
            coordinates=coordinates,
            distance_m=round(distance, 1),
            duration_s=round(float(seconds.sum()), 1),
            cost=round(cost),
            exposure=[e for e in found if e.severity == "factor"],
            avoid_entered=[e for e in found if e.severity == "avoid"],
            arcs=arcs.tolist(),
        )


def _legs(state: RouterState, origin: Snap, destination: Snap, path: PathResult) -> Legs:
    graph = state.graph
    a, f = origin.arc, origin.fraction
    if path.source == int(graph.head[a]):
        first = (a, f, 1.0)
    else:
        back = state.reverse_arc(a)
        assert back is not None
        first = (back, 1 - f, 1.0)
    b, g = destination.arc, destination.fraction
    if path.target == int(graph.tail[b]):
        last = (b, 0.0, g)
    else:
        back = state.reverse_arc(b)
        assert back is not None
        last = (back, 0.0, 1 - g)
    middle = np.asarray(path.arcs, dtype=np.int64)
    return Legs(
        np.concatenate([[first[0]], middle, [last[0]]]).astype(np.int64),
        np.concatenate([[first[1]], np.zeros(middle.size), [last[1]]]),
        np.concatenate([[first[2]], np.ones(middle.size), [last[2]]]),
    )


def _direct(
    state: RouterState, origin: Snap, destination: Snap, weights: np.ndarray
) -> tuple[float, Legs] | None:
    """Both points on the same road: the piece between them, if it may be travelled."""
    a = origin.arc
    if destination.arc == a and origin.fraction <= destination.fraction:
        span = destination.fraction - origin.fraction
        return span * weights[a], Legs.of([(a, origin.fraction, destination.fraction)])
    back = state.reverse_arc(a)
    if back is not None and destination.arc in (a, back):
        g = destination.fraction if destination.arc == a else 1 - destination.fraction
        if g <= origin.fraction:
            return (origin.fraction - g) * weights[back], Legs.of(
                [(back, 1 - origin.fraction, 1 - g)]
            )
    return None


def _path_nodes(pred: np.ndarray, start: int, end: int) -> list[int]:
    nodes = [end]
    while nodes[-1] != start:
        previous = int(pred[nodes[-1]])
        if previous < 0:
            return []
        nodes.append(previous)
    return nodes[::-1]


def _alternatives(
    state: RouterState, weights: np.ndarray, best: PathResult, wanted: int
) -> list[list[int]]:
    """Via-vertex alternatives (Abraham et al. 2013): arcs of each accepted path."""
    if wanted <= 0 or not best.arcs:
        return []
    graph = state.graph
    matrix = graph.scipy_matrix(weights)
    s, t = best.source, best.target
    dist_s, pred_s = dijkstra(matrix, indices=s, return_predecessors=True)
    dist_t, pred_t = dijkstra(matrix.T.tocsr(), indices=t, return_predecessors=True)
    shortest = dist_s[t]
    total = dist_s + dist_t
    on_best = np.zeros(graph.node_count, dtype=bool)
    on_best[graph.head[np.asarray(best.arcs)]] = True
    on_best[s] = True
    candidates = np.flatnonzero((total <= MAX_STRETCH * shortest) & ~on_best & np.isfinite(total))
    candidates = candidates[np.argsort(total[candidates], kind="stable")][:MAX_VIA_CHECKS]
    lengths = graph.length.astype(np.float64)
    chosen: list[list[int]] = [list(best.arcs)]
    used_vertices = set(graph.head[np.asarray(best.arcs)].tolist())
    for via in candidates.tolist():
        if len(chosen) > wanted:
            break
        if via in used_vertices:
            continue
        first = _path_nodes(pred_s, s, via)
        second_reversed = _path_nodes(pred_t, t, via)
        if not first or not second_reversed:
            continue
        nodes = first + second_reversed[::-1][1:]
        if len(set(nodes)) != len(nodes):
            continue  # not a simple path
        arcs = arcs_of(graph, nodes).tolist()
        own = float(lengths[arcs].sum())
        if own <= 0:
            continue
        arc_set = set(arcs)
        if any(
            float(lengths[list(arc_set & set(other))].sum()) > MAX_SHARING * own for other in chosen
        ):
            continue
        if not _locally_optimal(
            state, weights, nodes, arcs, nodes.index(via), LOCAL_OPTIMALITY * shortest
        ):
            continue
        chosen.append(arcs)
        used_vertices.update(nodes)
    return chosen[1:]


def _locally_optimal(
    state: RouterState,
    weights: np.ndarray,
    nodes: list[int],
    arcs: list[int],
    via_index: int,
    window: float,
) -> bool:
    """The T-test: the stretch of cost ``window`` on each side of the via vertex is shortest."""
    cost = np.asarray(weights[arcs], dtype=np.float64)
    prefix = np.concatenate([[0.0], np.cumsum(cost)])
    u = via_index
    while u > 0 and prefix[via_index] - prefix[u] < window:
        u -= 1
    w = via_index
    while w < len(nodes) - 1 and prefix[w] - prefix[via_index] < window:
        w += 1
    if u == w:
        return True
    result = state.route([(nodes[u], 0)], [(nodes[w], 0)])
    return result is not None and result.cost >= prefix[w] - prefix[u]


def route(
    session: Session,
    *,
    operation_id: int,
    profile: str,
    origin: tuple[float, float],
    destination: tuple[float, float],
    departure: datetime | None = None,
    alternatives: int = 3,
) -> RouteAnswer:
    """The safest sensible route between two points, with alternatives."""
    if not 0 <= alternatives <= 3:
        raise InvalidInput("alternatives", "must be between 0 and 3")
    state = networks.router_state(session, operation_id=operation_id, profile=profile)
    moment = departure or utcnow()
    in_force = hazard_service.hazards_in_force(session, operation_id=operation_id, at=moment)
    hazard_service.prime_zones(session, state, in_force)
    start = snap_point(session, state, origin[0], origin[1], "from")
    end = snap_point(session, state, destination[0], destination[1], "to")
    with state.lock:
        weights = state.use_weights(
            hazard_service.hazard_key(in_force),
            lambda: hazard_service.weights_with(state, in_force),
        )
        path = state.route(
            state.source_endpoints(start, weights), state.target_endpoints(end, weights)
        )
        direct = _direct(state, start, end, weights)
        builder = _Builder(state, weights, in_force)
        if direct is not None and (path is None or direct[0] <= path.cost):
            best = builder.option(direct[1])
            others: list[list[int]] = []
        else:
            if path is None:
                raise InvalidInput("to", "cannot be reached from the starting point")
            best = builder.option(_legs(state, start, end, path))
            others = _alternatives(state, weights, path, alternatives)
        options = []
        for arcs in others:
            alt = PathResult(
                0, arcs, int(state.graph.tail[arcs[0]]), int(state.graph.head[arcs[-1]])
            )
            options.append(builder.option(_legs(state, start, end, alt)))
    return RouteAnswer(
        profile=profile,
        departure=moment,
        origin=start,
        destination=end,
        best=best,
        alternatives=options,
    )
