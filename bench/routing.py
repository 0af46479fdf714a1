"""Benchmark: Corridor's router (CCH) against NetworkX Dijkstra, same graph, same pairs.

    python bench/routing.py --osm FILE.osm.pbf [--profile car] [--queries 300]
                            [--hazards 20] [--seed 1] [--json]
    python bench/routing.py --synthetic-edges 1000000 [--queries 100] [--json]
    python bench/routing.py --smoke            # small run for CI; asserts 0 mismatches

Prints a table (or one JSON object with --json): network size, import time,
query latency with hazards in force (cost and path), the whole service call
(snap both points, route, build the GeoJSON answer with exposure), NetworkX on
the same integer weights and pairs, the speed-up, how long 20 new hazards take
to reach the next query, and how many costs differ from NetworkX (must be 0).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from corridor.accounts import service as accounts
from corridor.config import Settings
from corridor.db.migrate import upgrade
from corridor.db.session import Actor, unit_of_work
from corridor.db.types import utcnow
from corridor.operations import service as operations
from corridor.routing import engines, router
from corridor.routing import hazards as hazard_service
from corridor.routing import service as networks
from corridor.routing.graph import RoadGraph, build_graph
from corridor.routing.models import Hazard, HazardKind
from corridor.routing.osm import ImportedNetworks, read_networks
from corridor.routing.state import RouterState
from corridor.runtime import build_runtime


def synthetic_graph(edges: int, seed: int) -> RoadGraph:
    """A seeded road-like network of about ``edges`` arcs.

    Neighbourhoods of 8 × 8 local junctions (30 km/h, one street in eight
    missing: dead ends) sit in the cells of an arterial grid (60 km/h, every
    fourth one a 90 km/h trunk road), and reach it through two gates a side,
    as estates and blocks do, not at every street. A plain grid, where every
    street crosses every other, is the worst case for any hierarchy (its
    separators are whole rows): the README gives its figures too.
    """
    rng = np.random.default_rng(seed)
    k, gates, spacing = 8, 2, 110.0  # junctions across a neighbourhood, gates a side, metres
    arcs_per_cell = 2 * (2 * k * (k - 1) * 0.88 + 4 * gates + 2 * (k + 1))
    cells = max(1, int(np.sqrt(edges / arcs_per_cell)))
    side = cells * (k + 1) + 1  # lattice positions along each axis
    ys, xs = np.divmod(np.arange(side * side), side)
    on_row, on_col = ys % (k + 1) == 0, xs % (k + 1) == 0
    local = ~(on_row | on_col)
    pieces: list[tuple[np.ndarray, np.ndarray, float]] = []

    def streets(start: np.ndarray, step: int, speed: float, missing: float) -> None:
        kept = start[rng.random(start.size) >= missing]
        pieces.append((kept, kept + step, speed))

    streets(np.flatnonzero(on_row & (xs < side - 1)), 1, 60.0, 0.0)
    streets(np.flatnonzero(on_col & (ys < side - 1)), side, 60.0, 0.0)
    streets(np.flatnonzero(local & (xs % (k + 1) < k)), 1, 30.0, 0.12)
    streets(np.flatnonzero(local & (ys % (k + 1) < k)), side, 30.0, 0.12)
    corner_y, corner_x = np.divmod(np.arange(cells * cells), cells)
    x0, y0 = corner_x * (k + 1), corner_y * (k + 1)
    for _ in range(gates):  # a local junction joined to the arterial beside it, each side
        at = rng.integers(1, k + 1, size=(4, x0.size))
        for inner, outer in (
            ((y0 + at[0]) * side + x0 + 1, (y0 + at[0]) * side + x0),
            ((y0 + at[1]) * side + x0 + k, (y0 + at[1]) * side + x0 + k + 1),
            ((y0 + 1) * side + x0 + at[2], y0 * side + x0 + at[2]),
            ((y0 + k) * side + x0 + at[3], (y0 + k + 1) * side + x0 + at[3]),
        ):
            pieces.append((inner, outer, 30.0))
    one_way_tails = np.concatenate([t for t, _h, _s in pieces])
    one_way_heads = np.concatenate([h for _t, h, _s in pieces])
    one_way_speeds = np.concatenate([np.full(t.size, v) for t, _h, v in pieces])
    tails = np.concatenate([one_way_tails, one_way_heads])
    heads = np.concatenate([one_way_heads, one_way_tails])
    speed = np.concatenate([one_way_speeds, one_way_speeds])
    trunk_line = 4 * (k + 1)
    trunk = ((ys[tails] == ys[heads]) & (ys[tails] % trunk_line == 0)) | (
        (xs[tails] == xs[heads]) & (xs[tails] % trunk_line == 0)
    )
    speed = np.where(trunk & (speed > 30), 90.0, speed)
    used = np.unique(np.concatenate([tails, heads]))
    number = np.full(side * side, -1)
    number[used] = np.arange(used.size)
    lat0, lon0 = 33.50, 36.28
    lat = lat0 + (ys[used] * spacing + rng.normal(0, 12, used.size)) / 111_320
    lon = lon0 + (xs[used] * spacing + rng.normal(0, 12, used.size)) / (
        111_320 * np.cos(np.radians(lat0))
    )
    return build_graph("car", lon, lat, number[tails], number[heads], speed)


UPDATE_ROUNDS = 5


def random_hazards(
    graph: RoadGraph, count: int, rng: random.Random, first_id: int = 1
) -> list[Hazard]:
    """Seeded circular hazards of 100–600 m radius around random vertices."""
    from shapely.geometry import Point

    from corridor.routing.geo import projection_for

    found = []
    now = utcnow()
    for index in range(count):
        vertex = rng.randrange(graph.node_count)
        lon, lat = float(graph.lon[vertex]), float(graph.lat[vertex])
        projection = projection_for(lon, lat)
        zone = projection.to_lonlat(
            projection.to_metric(Point(lon, lat)).buffer(rng.uniform(100, 600), quad_segs=8)
        )
        avoid = index % 4 == 0
        found.append(
            Hazard(
                id=first_id + index,
                operation_id=0,
                kind=HazardKind.SHELLING,
                geometry=zone.__geo_interface__,
                effective_geometry=zone.__geo_interface__,
                factor=None if avoid else rng.choice([1.5, 2.0, 3.0, 5.0]),
                valid_from=now - timedelta(hours=1),
                updated_at=now,
                created_at=now,
            )
        )
    return found


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    started = time.perf_counter()
    if args.synthetic_edges:
        graph = synthetic_graph(args.synthetic_edges, args.seed)
        source = f"synthetic road-like network, seed {args.seed}"
        imported = ImportedNetworks({"car": graph}, source, "synthetic", 0)
    else:
        imported = read_networks(Path(args.osm), profiles=(args.profile,))
        graph = imported.graphs[args.profile]
        source = Path(args.osm).name
    import_s = time.perf_counter() - started

    started = time.perf_counter()
    state = RouterState.load(
        graph, 1, engine="cch" if engines.available() else "scipy", own_thread=False
    )
    preprocess_s = time.perf_counter() - started

    hazards = random_hazards(graph, args.hazards, rng)
    weights = hazard_service.weights_with(state, hazards)
    started = time.perf_counter()
    state.engine.set_weights(graph.weight)
    full_customize_ms = (time.perf_counter() - started) * 1e3
    changed = np.flatnonzero(weights != graph.weight)
    started = time.perf_counter()
    state.engine.update_weights(changed, weights[changed])
    partial_update_ms = (time.perf_counter() - started) * 1e3
    state.weights = weights

    pairs = [
        (rng.randrange(graph.node_count), rng.randrange(graph.node_count))
        for _ in range(args.queries)
    ]
    ours, costs = [], []
    for s, t in pairs:
        t0 = time.perf_counter()
        result = state.engine.route([(s, 0)], [(t, 0)])
        ours.append(time.perf_counter() - t0)
        costs.append(None if result is None else result.cost)

    # The router's own footprint: the peak so far, before NetworkX builds its copy.
    router_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    oracle = nx.DiGraph()
    oracle.add_weighted_edges_from(
        zip(graph.tail.tolist(), graph.head.tolist(), weights.tolist(), strict=True)
    )
    nx_pairs = pairs[: args.networkx_queries or len(pairs)]
    theirs, mismatches = [], 0
    for (s, t), cost in zip(nx_pairs, costs, strict=False):
        t0 = time.perf_counter()
        try:
            expected, _path = nx.single_source_dijkstra(oracle, s, t)
        except nx.NetworkXNoPath:
            expected = None
        theirs.append(time.perf_counter() - t0)
        mismatches += expected != cost

    service = measure_service(args, imported, graph, rng)
    p50 = statistics.median(ours) * 1e3
    networkx_p50 = statistics.median(theirs) * 1e3
    return {
        "source": source,
        "profile": args.profile,
        "engine": state.engine.name,
        "nodes": graph.node_count,
        "edges": graph.arc_count,
        "import_s": round(import_s, 3),
        "preprocess_s": round(preprocess_s, 3),
        "queries": len(pairs),
        "networkx_queries": len(nx_pairs),
        "hazards": args.hazards,
        "p50_ms": round(p50, 4),
        "p95_ms": round(percentile(ours, 0.95) * 1e3, 4),
        "service_p50_ms": round(service["service_p50_ms"], 3),
        "networkx_p50_ms": round(networkx_p50, 3),
        "speedup": round(networkx_p50 / p50, 1) if p50 else None,
        "hazard_update_ms": round(service["hazard_update_ms"], 2),
        "hazard_save_ms": round(service["hazard_save_ms"], 2),
        "full_customize_ms": round(full_customize_ms, 2),
        "partial_update_ms": round(partial_update_ms, 2),
        "mismatches": mismatches,
        "bytes_per_edge": round(graph.nbytes / graph.arc_count, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "router_peak_rss_mb": round(router_peak_mb, 1),
    }


def measure_service(
    args: argparse.Namespace, imported: ImportedNetworks, graph: RoadGraph, rng: random.Random
) -> dict[str, float]:
    """The whole service call on a real database, and how fast new hazards take effect."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), database_url=args.database_url, run_jobs=False)
        runtime = build_runtime(settings)
        upgrade(runtime.engine)
        slug = f"bench-{rng.randrange(10**9)}"
        with unit_of_work(runtime.factory, Actor(label="bench")) as session:
            org = accounts.create_organisation(session, name=f"Bench {slug}", type="ngo")
            operation = operations.create_operation(
                session, slug=slug, name="Benchmark", lead_organisation=org
            )
            networks.store_networks(
                session,
                operation_id=operation.id,
                imported=ImportedNetworks({"car": graph}, "bench", "-", 0),
            )
            for hazard in random_hazards(graph, args.hazards, rng):
                hazard_service.create_hazard(
                    session,
                    operation_id=operation.id,
                    created_by_id=None,
                    projection=None,
                    data=hazard_service.HazardInput(
                        geometry=hazard.geometry,
                        kind="shelling",
                        severity="avoid" if hazard.factor is None else "factor",
                        factor=hazard.factor,
                        valid_from=hazard.valid_from,
                    ),
                )
            operation_id = operation.id

        def point() -> tuple[float, float]:
            v = rng.randrange(graph.node_count)
            return float(graph.lon[v]) + rng.uniform(-2e-4, 2e-4), float(graph.lat[v])

        timings = []
        calls = max(10, min(100, args.queries))
        for index in range(calls + 1):
            origin, destination = point(), point()
            with unit_of_work(runtime.factory) as session:
                t0 = time.perf_counter()
                router.route(
                    session,
                    operation_id=operation_id,
                    profile="car",
                    origin=origin,
                    destination=destination,
                    alternatives=0,
                )
                if index:  # the first call loads the network
                    timings.append(time.perf_counter() - t0)
        # Five rounds: save 20 new hazards, route; then withdraw them and route (not timed),
        # so that each timed round applies exactly 20 new hazards.
        updates, saves = [], []
        for round_index in range(UPDATE_ROUNDS):
            new = [
                hazard_service.HazardInput(
                    geometry=h.geometry,
                    kind="shelling",
                    severity="avoid" if h.factor is None else "factor",
                    factor=h.factor,
                    valid_from=h.valid_from,
                )
                for h in random_hazards(graph, 20, rng, first_id=10_000 + 100 * round_index)
            ]
            t0 = time.perf_counter()
            with unit_of_work(runtime.factory, Actor(label="bench")) as session:
                saved = hazard_service.create_hazards(
                    session,
                    operation_id=operation_id,
                    items=new,
                    projection=None,
                    created_by_id=None,
                )
            saves.append((time.perf_counter() - t0) * 1e3)
            with unit_of_work(runtime.factory) as session:
                router.route(
                    session,
                    operation_id=operation_id,
                    profile="car",
                    origin=point(),
                    destination=point(),
                    alternatives=0,
                )
            updates.append((time.perf_counter() - t0) * 1e3)
            with unit_of_work(runtime.factory, Actor(label="bench")) as session:
                for hazard in saved:
                    hazard_service.withdraw_hazard(session, hazard=session.merge(hazard))
            with unit_of_work(runtime.factory) as session:  # untimed: the withdrawals apply
                router.route(
                    session,
                    operation_id=operation_id,
                    profile="car",
                    origin=point(),
                    destination=point(),
                    alternatives=0,
                )
        hazard_update_ms = statistics.median(updates)
        saved_ms = statistics.median(saves)
        runtime.dispose()
    return {
        "service_p50_ms": statistics.median(timings) * 1e3,
        "hazard_update_ms": hazard_update_ms,
        "hazard_save_ms": saved_ms,
    }


def table(result: dict[str, Any]) -> str:
    rows = [
        (
            "network",
            f"{result['source']} ({result['profile']}): {result['nodes']:,} nodes, "
            f"{result['edges']:,} arcs, {result['bytes_per_edge']} bytes/arc",
        ),
        (
            "import / preprocessing",
            f"{result['import_s']} s / {result['preprocess_s']} s ({result['engine']})",
        ),
        ("query p50 / p95 (cost + path)", f"{result['p50_ms']} ms / {result['p95_ms']} ms"),
        (
            "NetworkX Dijkstra p50 (same pairs)",
            f"{result['networkx_p50_ms']} ms ({result['networkx_queries']} pairs)",
        ),
        ("speed-up (NetworkX / Corridor)", f"{result['speedup']}×"),
        ("service call p50", f"{result['service_p50_ms']} ms"),
        (
            "20 new hazards → next query",
            f"{result['hazard_update_ms']} ms (saving: {result['hazard_save_ms']} ms)",
        ),
        (
            "full customisation / partial update",
            f"{result['full_customize_ms']} ms / {result['partial_update_ms']} ms",
        ),
        ("mismatches with NetworkX", str(result["mismatches"])),
        (
            "peak memory: router / whole run (with NetworkX's copy)",
            f"{result['router_peak_rss_mb']} MB / {result['peak_rss_mb']} MB",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--osm", help="OpenStreetMap extract (.osm.pbf)")
    source.add_argument("--synthetic-edges", type=int, help="seeded road-like network of ~N arcs")
    parser.add_argument("--profile", default="car", choices=["car", "foot"])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--networkx-queries",
        type=int,
        default=0,
        help="compare only the first N pairs with NetworkX (default: all)",
    )
    parser.add_argument("--hazards", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--smoke", action="store_true", help="small run for CI")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.smoke:
        args.queries, args.hazards = 60, 5
    if not args.osm and not args.synthetic_edges:
        args.osm = str(resources.files("corridor.demo_data").joinpath("andorra.osm.pbf"))
    if args.synthetic_edges and args.profile != "car":
        parser.error("--synthetic-edges builds a car network")
    result = run(args)
    print(json.dumps(result) if args.json else table(result))
    if result["mismatches"]:
        print(f"error: {result['mismatches']} costs differ from NetworkX", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
