"""Corridors, flags from hazards, re-planning, incidents and reachability."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import LineString, Point, shape

from corridor.db.session import unit_of_work
from corridor.db.types import utcnow
from corridor.errors import Conflict, InvalidInput
from corridor.jobs import notifications
from corridor.jobs.runner import run_pending
from corridor.operations import corridors
from corridor.routing import hazards, incidents, reachability, service
from corridor.runtime import Runtime
from tests.factories import Factory

START, END = (1.5340, 42.5080), (1.5795, 42.5347)


@pytest.fixture
def op(runtime: Runtime, factory: Factory, andorra_pbf: Path) -> dict[str, Any]:
    lead = factory.organisation()
    operation = factory.operation(lead)
    with unit_of_work(runtime.factory) as session:
        service.import_file(session, operation_id=operation.id, path=andorra_pbf)
    return {"id": operation.id, "lead": lead}


def _corridor(runtime: Runtime, operation_id: int, **kwargs: Any) -> int:
    with unit_of_work(runtime.factory) as session:
        return corridors.create_corridor(
            session,
            operation_id=operation_id,
            name=kwargs.pop("name", "North"),
            profile=kwargs.pop("profile", "car"),
            origin=kwargs.pop("origin", START),
            destination=kwargs.pop("destination", END),
            **kwargs,
        ).id


def test_corridor_from_a_route_with_checkpoints_in_order(
    runtime: Runtime, op: dict[str, Any]
) -> None:
    corridor_id = _corridor(runtime, op["id"])
    with unit_of_work(runtime.factory) as session:
        corridor = corridors.get_corridor(session, operation_id=op["id"], corridor_id=corridor_id)
        coords = corridor.route["coordinates"]
        late, early = coords[len(coords) * 3 // 4], coords[len(coords) // 4]
        corridors.update_corridor(
            session,
            corridor=corridor,
            changes={
                "checkpoints": [
                    {"name": "Late", "lon": late[0] + 0.0002, "lat": late[1]},
                    {"name": "Early", "lon": early[0], "lat": early[1]},
                ]
            },
        )
        assert [c.name for c in corridor.checkpoints] == ["Early", "Late"]
        assert all(c.snapped_m is not None and c.snapped_m < 30 for c in corridor.checkpoints)
        assert (
            LineString(coords).distance(
                Point(corridor.checkpoints[1].lon, corridor.checkpoints[1].lat)
            )
            < 1e-6
        )
        with pytest.raises(InvalidInput, match="from the corridor"):
            corridors.update_corridor(
                session,
                corridor=corridor,
                changes={"checkpoints": [{"name": "Far", "lon": 1.45, "lat": 42.45}]},
            )


def test_status_changes_need_a_reason_and_are_kept(runtime: Runtime, op: dict[str, Any]) -> None:
    corridor_id = _corridor(runtime, op["id"])
    with unit_of_work(runtime.factory) as session:
        corridor = corridors.get_corridor(session, operation_id=op["id"], corridor_id=corridor_id)
        with pytest.raises(InvalidInput, match="reason"):
            corridors.set_status(
                session, corridor=corridor, status="open", reason=" ", changed_by_id=None
            )
        corridors.set_status(
            session, corridor=corridor, status="open", reason="agreed", changed_by_id=None
        )
        corridors.set_status(
            session,
            corridor=corridor,
            status="suspended",
            reason="shelling nearby",
            changed_by_id=None,
        )
        corridors.set_status(
            session, corridor=corridor, status="closed", reason="done", changed_by_id=None
        )
        with pytest.raises(Conflict):
            corridors.set_status(
                session, corridor=corridor, status="open", reason="again", changed_by_id=None
            )
        history = corridors.status_history(session, corridor=corridor)
        assert [(h.from_status, h.to_status) for h in history] == [
            (None, "planned"),
            ("planned", "open"),
            ("open", "suspended"),
            ("suspended", "closed"),
        ]


def test_bad_windows_and_duplicates(runtime: Runtime, op: dict[str, Any]) -> None:
    now = utcnow()
    with pytest.raises(InvalidInput) as caught:
        _corridor(
            runtime,
            op["id"],
            windows=[{"from": now.isoformat(), "until": (now - timedelta(hours=1)).isoformat()}],
        )
    assert caught.value.field == "windows.0.until"
    _corridor(runtime, op["id"])
    with pytest.raises(Conflict):
        _corridor(runtime, op["id"])


def test_a_hazard_on_the_route_flags_the_corridor_and_a_job_replans_it(
    runtime: Runtime, op: dict[str, Any]
) -> None:
    corridor_id = _corridor(runtime, op["id"])
    with unit_of_work(runtime.factory) as session:
        route = corridors.get_corridor(
            session, operation_id=op["id"], corridor_id=corridor_id
        ).route
    middle = route["coordinates"][len(route["coordinates"]) // 2]
    zone = {
        "type": "Polygon",
        "coordinates": [
            [
                [middle[0] - 0.001, middle[1] - 0.001],
                [middle[0] + 0.001, middle[1] - 0.001],
                [middle[0] + 0.001, middle[1] + 0.001],
                [middle[0] - 0.001, middle[1] + 0.001],
                [middle[0] - 0.001, middle[1] - 0.001],
            ]
        ],
    }
    elsewhere = {
        "type": "Polygon",
        "coordinates": [[[1.70, 42.60], [1.701, 42.60], [1.701, 42.601], [1.70, 42.60]]],
    }
    with unit_of_work(runtime.factory) as session:
        hazards.create_hazard(
            session,
            operation_id=op["id"],
            projection=None,
            created_by_id=None,
            data=hazards.HazardInput(geometry=elsewhere, kind="other"),
        )
        hazards.create_hazard(
            session,
            operation_id=op["id"],
            projection=None,
            created_by_id=None,
            data=hazards.HazardInput(
                geometry=zone, kind="shelling", severity="factor", factor=4, name="Shelling"
            ),
        )
        flags = corridors.open_flags(session, operation_id=op["id"])
        assert [(f.corridor_id, f.hazard_name, f.state) for f in flags] == [
            (corridor_id, "Shelling", "pending")
        ]
    assert run_pending(runtime.factory) >= 1
    with unit_of_work(runtime.factory) as session:
        flag = corridors.open_flags(session, operation_id=op["id"])[0]
        assert flag.state == "proposed" and flag.proposed_route is not None
        notes = notifications.for_user(session, user_id=0, organisation_ids=[op["lead"].id])
        assert any(n.kind == "corridor.flagged" for n in notes)
        corridor = corridors.get_corridor(session, operation_id=op["id"], corridor_id=corridor_id)
        corridors.resolve_flag(
            session, corridor=corridor, flag_id=flag.id, accept=True, resolved_by_id=None
        )
        assert corridor.route == flag.proposed_route
        assert corridors.open_flags(session, operation_id=op["id"]) == []


def test_incident_creates_a_hazard_around_it(runtime: Runtime, op: dict[str, Any]) -> None:
    with unit_of_work(runtime.factory) as session:
        incident = incidents.create_incident(
            session,
            operation_id=op["id"],
            occurred_at=utcnow() - timedelta(hours=1),
            lon=1.5340,
            lat=42.5080,
            kind="shelling",
            injured=3,
            killed=0,
            source="field team",
        )
        hazard = incidents.hazard_from_incident(session, incident=incident, radius_m=300)
        assert incident.hazard_id == hazard.id and hazard.buffer_m == 300
        assert shape(hazard.effective_geometry).contains(Point(1.5340, 42.5080))
        with pytest.raises(Conflict):
            incidents.hazard_from_incident(session, incident=incident, radius_m=300)
        with pytest.raises(InvalidInput, match="future"):
            incidents.create_incident(
                session,
                operation_id=op["id"],
                occurred_at=utcnow() + timedelta(days=1),
                lon=1.5,
                lat=42.5,
                kind="shelling",
            )
        with pytest.raises(InvalidInput):
            incidents.create_incident(
                session,
                operation_id=op["id"],
                occurred_at=utcnow(),
                lon=1.5,
                lat=42.5,
                kind="shelling",
                injured=-1,
            )


def test_reachability_is_road_shaped_and_excludes_avoid_zones(
    runtime: Runtime, op: dict[str, Any]
) -> None:
    with unit_of_work(runtime.factory) as session:
        state = service.router_state(session, operation_id=op["id"], profile="foot")
    zone = {
        "type": "Polygon",
        "coordinates": [
            [
                [1.5352, 42.5080],
                [1.5372, 42.5080],
                [1.5372, 42.5095],
                [1.5352, 42.5095],
                [1.5352, 42.5080],
            ]
        ],
    }
    with unit_of_work(runtime.factory) as session:
        before = reachability.reachable_area(
            session, operation_id=op["id"], profile="foot", origin=START, minutes=10
        )
        hazards.create_hazard(
            session,
            operation_id=op["id"],
            projection=None,
            created_by_id=None,
            data=hazards.HazardInput(geometry=zone, kind="shelling"),
        )
    with unit_of_work(runtime.factory) as session:
        after = reachability.reachable_area(
            session, operation_id=op["id"], profile="foot", origin=START, minutes=10
        )
    polygon = after.polygon
    assert not polygon.intersects(shape(zone).buffer(-1e-6))
    assert after.area_km2 < before.area_km2
    # Road-shaped, not a hull: much smaller than its own convex hull.
    assert polygon.area < 0.7 * polygon.convex_hull.area
    # Road points a minute's walk beyond the limit are outside (a convex hull or a
    # radius would take them in). In a dense town a few lie within 25 m of another
    # reached street, so the bulk is checked.
    import numpy as np
    from scipy.sparse.csgraph import dijkstra

    snap = state.snap(*START)
    matrix = state.graph.scipy_matrix()
    dist = np.full(state.graph.node_count, np.inf)
    for vertex, offset in state.source_endpoints(snap, state.graph.weight.astype(np.int64)):
        dist = np.minimum(dist, dijkstra(matrix, indices=vertex) + offset)
    limit = 10 * 600
    beyond = np.flatnonzero((dist >= limit + 600) & (dist <= limit + 900))
    import shapely

    from corridor.routing.reachability import BUFFER_M, _reached_pieces

    reached = shapely.union_all(
        _reached_pieces(
            state,
            state.graph.weight.astype(np.int64),
            state.source_endpoints(snap, state.graph.weight.astype(np.int64)),
            limit,
        )
    )
    assert len(beyond) >= 10
    for vertex in beyond:
        point = Point(state.graph.lon[vertex], state.graph.lat[vertex])
        metric = state.projection.to_metric(point)
        gap = reached.distance(metric)
        assert gap > 1.0  # its own road piece was not reached
        # Inside the area only when another reached street passes within the buffer.
        assert before.polygon.contains(point) == (gap < BUFFER_M - 0.5) or abs(gap - BUFFER_M) < 1
