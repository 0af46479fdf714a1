"""The CCH engine gives exactly NetworkX's shortest-path costs, before and after updates."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest

from corridor.routing import engines
from corridor.routing.engines import CchEngine, ScipyEngine
from corridor.routing.graph import RoadGraph

needs_cch = pytest.mark.skipif(not engines.available(), reason="routingkit-cch has no wheel here")


def _nx(graph: RoadGraph, weights: np.ndarray) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_weighted_edges_from(
        zip(graph.tail.tolist(), graph.head.tolist(), np.maximum(weights, 1).tolist(), strict=True)
    )
    return g


def _pairs(graph: RoadGraph, count: int, seed: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    return [
        (rng.randrange(graph.node_count), rng.randrange(graph.node_count)) for _ in range(count)
    ]


def _engine(graph: RoadGraph) -> engines.PathEngine:
    return CchEngine(graph) if engines.available() else ScipyEngine(graph)


def test_costs_equal_networkx_on_300_random_pairs(car: RoadGraph) -> None:
    engine = _engine(car)
    oracle = _nx(car, car.weight)
    mismatches = 0
    for source, target in _pairs(car, 300, seed=1):
        result = engine.route([(source, 0)], [(target, 0)])
        assert result is not None
        expected = nx.dijkstra_path_length(oracle, source, target)
        mismatches += result.cost != expected
        # The path is real: consecutive arcs, from source to target, costing what is said.
        arcs = np.asarray(result.arcs, dtype=np.int64)
        if arcs.size:
            assert car.tail[arcs[0]] == source and car.head[arcs[-1]] == target
            assert np.array_equal(car.head[arcs[:-1]], car.tail[arcs[1:]])
            assert int(car.weight[arcs].sum()) == result.cost
    assert mismatches == 0


def test_after_partial_updates_costs_equal_networkx_with_the_same_weights(car: RoadGraph) -> None:
    engine = _engine(car)
    rng = np.random.default_rng(7)
    weights = car.weight.astype(np.int64).copy()
    for round_ in range(3):
        arcs = rng.choice(car.arc_count, size=2000, replace=False)
        weights[arcs] = np.maximum(1, np.rint(weights[arcs] * rng.uniform(0.5, 5, arcs.size)))
        engine.update_weights(arcs, weights[arcs])
        oracle = _nx(car, weights)
        for source, target in _pairs(car, 60, seed=round_):
            result = engine.route([(source, 0)], [(target, 0)])
            assert result is not None
            assert result.cost == nx.dijkstra_path_length(oracle, source, target)


def test_several_sources_and_targets_with_initial_costs(car: RoadGraph) -> None:
    engine, oracle = _engine(car), ScipyEngine(car)
    rng = random.Random(3)
    for _ in range(50):
        sources = [(rng.randrange(car.node_count), rng.randrange(0, 500)) for _ in range(2)]
        targets = [(rng.randrange(car.node_count), rng.randrange(0, 500)) for _ in range(2)]
        got, want = engine.route(sources, targets), oracle.route(sources, targets)
        assert got is not None and want is not None and got.cost == want.cost


@needs_cch
def test_an_engine_in_its_own_thread_serves_other_threads(car: RoadGraph) -> None:
    import concurrent.futures

    engine = CchEngine(car, own_thread=True)
    oracle = ScipyEngine(car)
    pairs = _pairs(car, 40, seed=5)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        costs = list(pool.map(lambda p: engine.route([(p[0], 0)], [(p[1], 0)]).cost, pairs))  # type: ignore[union-attr]
    assert costs == [oracle.route([(s, 0)], [(t, 0)]).cost for s, t in pairs]  # type: ignore[union-attr]
    engine.close()


def test_out_of_range_vertices_are_refused_without_breaking_the_engine(car: RoadGraph) -> None:
    engine = _engine(car)
    if isinstance(engine, CchEngine):
        with pytest.raises(ValueError):
            engine.route([(0, 0)], [(car.node_count + 5, 0)])
    assert engine.route([(0, 0)], [(1, 0)]) is not None
