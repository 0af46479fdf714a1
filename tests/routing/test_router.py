"""Route queries around hazards: correctness against NetworkX, safety, exposure."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, shape

from corridor.db.session import unit_of_work
from corridor.db.types import utcnow
from corridor.errors import InvalidInput
from corridor.routing import hazards, router, service
from corridor.routing.geo import projection_for
from corridor.routing.state import RouterState
from corridor.runtime import Runtime
from tests.factories import Factory

CENTRE = (1.5340, 42.5080)  # Andorra la Vella
FAR = (1.5795, 42.5347)  # Encamp


@pytest.fixture
def operation_id(runtime: Runtime, factory: Factory, andorra_pbf: Path) -> int:
    operation = factory.operation(factory.organisation())
    with unit_of_work(runtime.factory) as session:
        service.import_file(session, operation_id=operation.id, path=andorra_pbf)
    return operation.id


def _square(lon: float, lat: float, half: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lon - half, lat - half],
                [lon + half, lat - half],
                [lon + half, lat + half],
                [lon - half, lat + half],
                [lon - half, lat - half],
            ]
        ],
    }


def _hazard(runtime: Runtime, operation_id: int, geometry: dict[str, Any], **kwargs: Any) -> int:
    with unit_of_work(runtime.factory) as session:
        data = hazards.HazardInput(geometry=geometry, kind=kwargs.pop("kind", "shelling"), **kwargs)
        return hazards.create_hazard(
            session, operation_id=operation_id, data=data, projection=None, created_by_id=None
        ).id


def _route(
    runtime: Runtime,
    operation_id: int,
    origin: tuple[float, float],
    destination: tuple[float, float],
    **kwargs: Any,
) -> router.RouteAnswer:
    with unit_of_work(runtime.factory) as session:
        return router.route(
            session,
            operation_id=operation_id,
            profile=kwargs.pop("profile", "car"),
            origin=origin,
            destination=destination,
            **kwargs,
        )


def _state(runtime: Runtime, operation_id: int, profile: str = "car") -> Any:
    with unit_of_work(runtime.factory) as session:
        return service.router_state(session, operation_id=operation_id, profile=profile)


def test_a_100_m_buffer_spans_200_m(runtime: Runtime, operation_id: int) -> None:
    point = {
        "type": "Polygon",
        "coordinates": [[[1.52, 42.50], [1.52001, 42.50], [1.52001, 42.50001], [1.52, 42.50]]],
    }
    with unit_of_work(runtime.factory) as session:
        hazard = hazards.create_hazard(
            session,
            operation_id=operation_id,
            projection=None,
            created_by_id=None,
            data=hazards.HazardInput(geometry=point, kind="unexploded_ordnance", buffer_m=100),
        )
        zone = shape(hazard.effective_geometry)
    metric = projection_for(1.52, 42.5).to_metric(zone)
    width = metric.bounds[2] - metric.bounds[0]
    core = projection_for(1.52, 42.5).to_metric(shape(point))
    assert width - (core.bounds[2] - core.bounds[0]) == pytest.approx(200, abs=1)


def test_route_costs_equal_networkx_with_hazard_weights(
    runtime: Runtime, operation_id: int
) -> None:
    _hazard(runtime, operation_id, _square(1.53, 42.51, 0.004), severity="factor", factor=3)
    _hazard(runtime, operation_id, _square(1.56, 42.53, 0.003), severity="factor", factor=2.5)
    _route(runtime, operation_id, CENTRE, FAR, alternatives=0)  # applies the weights
    state = _state(runtime, operation_id)
    weights = state.weights
    assert (weights != state.graph.weight).sum() > 0
    oracle = nx.DiGraph()
    oracle.add_weighted_edges_from(
        zip(state.graph.tail.tolist(), state.graph.head.tolist(), weights.tolist(), strict=True)
    )
    rng = random.Random(11)
    for _ in range(200):
        s, t = rng.randrange(state.graph.node_count), rng.randrange(state.graph.node_count)
        result = state.route([(s, 0)], [(t, 0)])
        assert result.cost == nx.dijkstra_path_length(oracle, s, t)


def test_factor_hazards_are_reported_as_exposure(runtime: Runtime, operation_id: int) -> None:
    plain = _route(runtime, operation_id, CENTRE, FAR, alternatives=0)
    middle = plain.best.coordinates[len(plain.best.coordinates) // 2]
    hazard_id = _hazard(
        runtime,
        operation_id,
        _square(middle[0], middle[1], 0.002),
        severity="factor",
        factor=1.5,
        name="Shelling reported",
    )
    answer = _route(runtime, operation_id, CENTRE, FAR, alternatives=0)
    crossing = [e for e in answer.best.exposure if e.hazard_id == hazard_id]
    if crossing:  # the detour may be worth it; if not, the exposure must be measured
        assert crossing[0].metres > 0 and crossing[0].seconds > 0
    assert answer.status == "ok"
    assert answer.best.cost >= plain.best.cost


def test_no_safe_route_names_the_hazard_entered(runtime: Runtime, operation_id: int) -> None:
    # A hazard around the destination: every route must enter it.
    hazard_id = _hazard(
        runtime, operation_id, _square(FAR[0], FAR[1], 0.004), name="Front line", kind="front_line"
    )
    answer = _route(runtime, operation_id, CENTRE, FAR, alternatives=0)
    assert answer.status == "no_safe_route"
    assert [e.hazard_id for e in answer.best.avoid_entered] == [hazard_id]
    assert answer.best.avoid_entered[0].metres > 0


def test_hazards_stop_at_their_until_time_and_history_is_kept(
    runtime: Runtime, operation_id: int
) -> None:
    now = utcnow()
    _hazard(
        runtime,
        operation_id,
        _square(FAR[0], FAR[1], 0.004),
        valid_from=now,
        valid_until=now + timedelta(hours=1),
    )
    assert _route(runtime, operation_id, CENTRE, FAR, alternatives=0).status == "no_safe_route"
    later = _route(
        runtime, operation_id, CENTRE, FAR, alternatives=0, departure=now + timedelta(hours=2)
    )
    assert later.status == "ok"
    with unit_of_work(runtime.factory) as session:
        assert (
            hazards.list_hazards(session, operation_id=operation_id, at=now + timedelta(hours=2))
            == []
        )
        assert (
            len(hazards.list_hazards(session, operation_id=operation_id, include_history=True)) == 1
        )


def test_alternatives_meet_the_criteria(runtime: Runtime, operation_id: int) -> None:
    answer = _route(runtime, operation_id, CENTRE, FAR, alternatives=3)
    options = [answer.best, *answer.alternatives]
    state = _state(runtime, operation_id)
    lengths = state.graph.length.astype(float)
    for option in answer.alternatives:
        assert option.cost <= 1.3 * answer.best.cost + 1
    for i, a in enumerate(options):
        for j, b in enumerate(options):
            if i != j:
                shared = lengths[list(set(a.arcs) & set(b.arcs))].sum()
                assert shared <= 0.7 * lengths[a.arcs].sum() + 1


def test_points_far_from_roads_are_refused_with_the_distance(
    runtime: Runtime, operation_id: int
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _route(runtime, operation_id, (1.0, 42.0), FAR)
    assert caught.value.field == "from" and " m from the nearest road" in caught.value.detail


def test_the_snapping_distance_is_returned(runtime: Runtime, operation_id: int) -> None:
    answer = _route(runtime, operation_id, (CENTRE[0] + 0.0005, CENTRE[1]), FAR, alternatives=0)
    assert 0 <= answer.origin.distance_m <= 500
    assert answer.best.coordinates[0] == pytest.approx((answer.origin.lon, answer.origin.lat))


def test_a_person_starting_inside_an_avoid_zone_is_routed_out(
    runtime: Runtime, operation_id: int
) -> None:
    hazard_id = _hazard(runtime, operation_id, _square(CENTRE[0], CENTRE[1], 0.002))
    answer = _route(runtime, operation_id, CENTRE, FAR, alternatives=0)
    assert answer.status == "no_safe_route"
    assert [e.hazard_id for e in answer.best.avoid_entered] == [hazard_id]
    assert answer.best.avoid_entered[0].metres < 600


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_property_a_safe_route_never_touches_an_avoid_hazard(
    runtime: Runtime, operation_id: int, data: st.DataObject
) -> None:
    state = _state(runtime, operation_id)
    graph = state.graph
    rng = np.random.default_rng(data.draw(st.integers(0, 10_000)))
    centre = int(rng.integers(graph.node_count))
    half = data.draw(st.floats(0.0005, 0.004))
    zone = _square(float(graph.lon[centre]), float(graph.lat[centre]), half)
    _hazard(runtime, operation_id, zone)
    origin_node, target_node = (int(x) for x in rng.integers(graph.node_count, size=2))
    origin = (float(graph.lon[origin_node]), float(graph.lat[origin_node]))
    destination = (float(graph.lon[target_node]), float(graph.lat[target_node]))
    answer = _route(runtime, operation_id, origin, destination, alternatives=1)
    polygon = state.projection.to_metric(shape(zone))
    for option in [answer.best, *answer.alternatives]:
        line = state.projection.to_metric(
            LineString(option.coordinates)
            if len(set(option.coordinates)) > 1
            else Point(option.coordinates[0])
        )
        if option.safe:
            assert not line.intersects(polygon)
        else:
            assert line.intersects(polygon)
    with unit_of_work(runtime.factory) as session:
        for hazard in hazards.list_hazards(session, operation_id=operation_id):
            hazards.withdraw_hazard(session, hazard=hazard)


def test_editing_a_hazard_without_a_start_keeps_its_start(
    runtime: Runtime, operation_id: int
) -> None:
    start = utcnow() - timedelta(hours=3)
    hazard_id = _hazard(runtime, operation_id, _square(FAR[0], FAR[1], 0.002), valid_from=start)
    with unit_of_work(runtime.factory) as session:
        hazard = hazards.get_hazard(session, operation_id=operation_id, hazard_id=hazard_id)
        hazards.update_hazard(
            session,
            hazard=hazard,
            projection=None,
            data=hazards.HazardInput(
                geometry=_square(FAR[0], FAR[1], 0.003), kind="shelling", name="renamed"
            ),
        )
        assert hazard.valid_from == start and hazard.name == "renamed"


def test_a_saved_hazard_reaches_this_workers_network_at_commit_and_a_rolled_back_one_not(
    runtime: Runtime, operation_id: int, car: Any
) -> None:
    state = _state(runtime, operation_id)
    buffered = _hazard(
        runtime, operation_id, _square(FAR[0], FAR[1], 0.001), buffer_m=150, name="buffered"
    )
    with unit_of_work(runtime.factory) as session:
        saved = hazards.get_hazard(session, operation_id=operation_id, hazard_id=buffered)
        key, geometry = saved.zone_key, saved.effective_geometry
    assert state.has_zone(key)  # handed over at commit, before any route query
    # The same arcs as a worker that reads the stored zone from the database.
    fresh = RouterState.load(car, state.network_version, engine="scipy")
    fresh.add_zones([(key, geometry)])
    assert np.array_equal(state.zone(key, None)[1].touched, fresh.zone(key, None)[1].touched)
    assert np.array_equal(state.zone(key, None)[1].inside, fresh.zone(key, None)[1].inside)
    assert state.zone(key, None)[1].touched.size > 0

    with pytest.raises(RuntimeError), unit_of_work(runtime.factory) as session:
        data = hazards.HazardInput(geometry=_square(*CENTRE, 0.001), kind="shelling")
        dropped = hazards.create_hazard(
            session, operation_id=operation_id, data=data, projection=None, created_by_id=None
        )
        dropped_key = dropped.zone_key
        raise RuntimeError("the request fails after saving")
    assert not state.has_zone(dropped_key)
