"""Reachability: the area people can reach within N minutes, around hazards.

The area is the union of the road pieces reached in time (an arc cut where the
time runs out) buffered by 25 m, minus every impassable hazard; never a convex
hull, which would claim valleys and hillsides nobody can reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from corridor.db.types import utcnow
from corridor.errors import InvalidInput
from corridor.routing import hazards as hazard_service
from corridor.routing import service as networks
from corridor.routing.router import snap_point
from corridor.routing.state import RouterState

BUFFER_M = 25.0
MAX_MINUTES = 240


@dataclass(frozen=True)
class Reach:
    polygon: BaseGeometry  # lon/lat
    minutes: float
    profile: str
    origin: tuple[float, float]
    snapped_m: float
    area_km2: float

    def feature(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "geometry": mapping(self.polygon),
            "properties": {
                "minutes": self.minutes,
                "profile": self.profile,
                "snapped_m": round(self.snapped_m, 1),
                "area_km2": round(self.area_km2, 4),
            },
        }


def _reached_pieces(
    state: RouterState, weights: np.ndarray, sources: list[tuple[int, int]], limit_ds: float
) -> BaseGeometry:
    graph = state.graph
    matrix = graph.scipy_matrix(weights)
    best = np.full(graph.node_count, np.inf)
    for vertex, offset in sources:
        if offset > limit_ds:
            continue
        dist = dijkstra(matrix, indices=vertex, limit=limit_ds - offset)
        np.minimum(best, dist + offset, out=best)
    start = best[graph.tail]
    reached = np.flatnonzero(start < limit_ds)
    w = np.maximum(weights[reached], 1).astype(np.float64)
    fraction = np.clip((limit_ds - start[reached]) / w, 0.0, 1.0)
    x0, y0 = state.x[graph.tail[reached]], state.y[graph.tail[reached]]
    x1, y1 = state.x[graph.head[reached]], state.y[graph.head[reached]]
    ends = np.stack([x0 + (x1 - x0) * fraction, y0 + (y1 - y0) * fraction], axis=1)
    return shapely.linestrings(np.stack([np.stack([x0, y0], axis=1), ends], axis=1))


def reachable_area(
    session: Session,
    *,
    operation_id: int,
    profile: str,
    origin: tuple[float, float],
    minutes: float,
    departure: datetime | None = None,
) -> Reach:
    """The area reachable from ``origin`` within ``minutes``, avoiding hazards."""
    if not 0 < minutes <= MAX_MINUTES:
        raise InvalidInput("minutes", f"must be above 0 and at most {MAX_MINUTES}")
    state = networks.router_state(session, operation_id=operation_id, profile=profile)
    in_force = hazard_service.hazards_in_force(
        session, operation_id=operation_id, at=departure or utcnow()
    )
    hazard_service.prime_zones(session, state, in_force)
    snap = snap_point(session, state, origin[0], origin[1], "from")
    weights = hazard_service.weights_with(state, in_force)
    pieces = _reached_pieces(state, weights, state.source_endpoints(snap, weights), minutes * 600.0)
    area = shapely.union_all(shapely.buffer(pieces, BUFFER_M, quad_segs=4))
    for hazard in in_force:
        if hazard.factor is None:
            polygon, _arcs = state.zone(hazard.zone_key, None)
            area = area.difference(polygon)
    return Reach(
        polygon=state.projection.to_lonlat(area),
        minutes=minutes,
        profile=profile,
        origin=(snap.lon, snap.lat),
        snapped_m=snap.distance_m,
        area_km2=area.area / 1e6,
    )


def share_within(
    session: Session,
    *,
    operation_id: int,
    route: dict[str, Any],
    points: list[tuple[float, float]],
    minutes: float,
    profile: str = "foot",
) -> float:
    """The share of a route's length within ``minutes`` of any of ``points``."""
    if not points:
        raise InvalidInput("points", "give at least one point")
    line = LineString(route["coordinates"])
    state = networks.router_state(session, operation_id=operation_id, profile=profile)
    metric_line = state.projection.to_metric(line)
    if metric_line.length == 0:
        return 0.0
    reached = [
        state.projection.to_metric(
            reachable_area(
                session, operation_id=operation_id, profile=profile, origin=p, minutes=minutes
            ).polygon
        )
        for p in points
    ]
    covered = metric_line.intersection(shapely.union_all(reached)).length
    return min(1.0, covered / metric_line.length)
