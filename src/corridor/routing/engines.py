"""Shortest-path engines behind one small interface.

Two implementations of the same face (the Warehouse pattern): the Customizable
Contraction Hierarchy of RoutingKit (``routingkit-cch``: a weight-independent
preprocessing once per network, a customisation in about a millisecond when
hazards change weights, queries in microseconds), and an exact SciPy
(csgraph Dijkstra) engine that serves where the CCH wheel does not exist and
is the test oracle.

Pitfalls of the CCH bindings that this module contains: query objects must
stay in the thread that made them, a new ``run()`` while the previous result
object is alive raises, and weight updates need every query on the metric
dropped first. So all CCH calls run in one owner thread, results are read and
dropped at once, and updates drop the query, update, and make a new one.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import queue
import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np
from scipy.sparse.csgraph import dijkstra

from corridor.routing.graph import INT32_MAX, RoadGraph

T = TypeVar("T")
Endpoint = tuple[int, int]  # (vertex, initial cost in deciseconds)

try:  # the wheel exists for x86-64 Linux only
    import routingkit_cch as _rk
except ImportError:  # pragma: no cover - exercised where the wheel is missing
    _rk = None


@dataclass(frozen=True)
class PathResult:
    """Cost in deciseconds (including the endpoints' initial costs) and the arcs."""

    cost: int
    arcs: list[int]  # arc ids in order (a list: converting costs more than the query)
    source: int
    target: int


class PathEngine(Protocol):
    name: str

    def set_weights(self, weights: np.ndarray) -> None:
        """Replace every arc weight (a full customisation)."""

    def update_weights(self, arcs: np.ndarray, weights: np.ndarray) -> None:
        """Change some arcs' weights (hazards added or removed)."""

    def route(self, sources: Sequence[Endpoint], targets: Sequence[Endpoint]) -> PathResult | None:
        """The cheapest path from any source to any target, or None if none."""


class ScipyEngine:
    """Exact Dijkstra with SciPy: slower, dependable, the oracle of the tests."""

    name = "scipy"

    def __init__(self, graph: RoadGraph, weights: np.ndarray | None = None) -> None:
        self.graph = graph
        self.set_weights(graph.weight if weights is None else weights)

    def set_weights(self, weights: np.ndarray) -> None:
        self.weights = np.asarray(weights, dtype=np.int64).copy()
        self._matrix = self.graph.scipy_matrix(self.weights)
        # SciPy cannot represent a zero-cost arc; the graph has none (minimum 1 ds).

    def update_weights(self, arcs: np.ndarray, weights: np.ndarray) -> None:
        new = self.weights.copy()
        new[np.asarray(arcs, dtype=np.int64)] = weights
        self.set_weights(new)

    def distances(self, source: int) -> tuple[np.ndarray, np.ndarray]:
        dist, pred = dijkstra(self._matrix, indices=source, return_predecessors=True)
        return dist, pred

    def route(self, sources: Sequence[Endpoint], targets: Sequence[Endpoint]) -> PathResult | None:
        best: tuple[float, int, int, np.ndarray] | None = None
        for source, offset in sources:
            dist, pred = self.distances(source)
            for target, tail_cost in targets:
                if not np.isfinite(dist[target]) or dist[target] >= INT32_MAX:
                    continue
                total = offset + dist[target] + tail_cost
                if best is None or total < best[0]:
                    best = (total, source, target, pred)
        if best is None:
            return None
        total, source, target, pred = best
        nodes = [target]
        while nodes[-1] != source:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        return PathResult(int(total), arcs_of(self.graph, nodes).tolist(), source, target)


def arcs_of(graph: RoadGraph, nodes: Sequence[int]) -> np.ndarray:
    """The arc ids along a node path (the cheapest arc where several exist)."""
    arcs = np.empty(max(0, len(nodes) - 1), dtype=np.int32)
    for i, (u, v) in enumerate(itertools.pairwise(nodes)):
        start, end = int(graph.first_out[u]), int(graph.first_out[u + 1])
        candidates = np.flatnonzero(graph.head[start:end] == v)
        arcs[i] = start + int(candidates[0])
    return arcs


class _OwnerThread(threading.Thread):
    """A daemon thread that owns thread-bound objects and runs calls on them.

    The objects live in ``self.objects``, referenced by the running thread, so
    they are never dropped from another thread (which the bindings refuse),
    not even at interpreter exit.
    """

    def __init__(self) -> None:
        super().__init__(name="corridor-cch", daemon=True)
        self.objects: dict[str, Any] = {}
        self._calls: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self.start()

    def run(self) -> None:
        while True:
            item = self._calls.get()
            if item is None:
                self.objects.clear()
                return
            fn, future = item
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)

    def call(self, fn: Callable[[], T]) -> T:
        future: Future[T] = Future()
        self._calls.put((fn, future))
        return future.result()

    def stop(self) -> None:
        self._calls.put(None)


class CchEngine:
    """RoutingKit's CCH; its thread-bound objects stay in the thread that made them."""

    name = "cch"

    def __init__(
        self, graph: RoadGraph, weights: np.ndarray | None = None, *, own_thread: bool = False
    ) -> None:
        if _rk is None:
            raise RuntimeError("routingkit-cch is not installed on this platform")
        self.graph = graph
        self._thread = _OwnerThread() if own_thread else None
        self._owner = self._thread.ident if self._thread else threading.get_ident()
        self.weights = np.asarray(
            graph.weight if weights is None else weights, dtype=np.int64
        ).copy()
        self._objects: dict[str, Any] = self._thread.objects if self._thread else {}
        self._call(self._build)
        _LIVE.add(self)

    def _build(self) -> None:
        graph = self.graph
        tail, head = graph.tail.tolist(), graph.head.tolist()
        order = _rk.compute_order_inertial(
            graph.node_count,
            tail,
            head,
            graph.lat.astype(np.float32).tolist(),
            graph.lon.astype(np.float32).tolist(),
        )
        cch = _rk.CCH(order, tail, head, False)
        metric = _rk.CCHMetric(cch, self.weights.tolist())
        self._objects.update(
            cch=cch,
            metric=metric,
            updater=_rk.CCHMetricPartialUpdater(cch),
            query=_rk.CCHQuery(metric),
        )

    def _call(self, fn: Callable[[], T]) -> T:
        if self._thread is None or threading.get_ident() == self._owner:
            return fn()
        return self._thread.call(fn)

    def set_weights(self, weights: np.ndarray) -> None:
        new = np.asarray(weights, dtype=np.int64).copy()

        def apply() -> None:
            objects = self._objects
            objects["query"] = None
            objects["metric"].reset(new.tolist())
            objects["query"] = _rk.CCHQuery(objects["metric"])
            self.weights = new

        self._call(apply)

    def update_weights(self, arcs: np.ndarray, weights: np.ndarray) -> None:
        arcs = np.asarray(arcs, dtype=np.int64)
        weights = np.asarray(weights, dtype=np.int64)
        if arcs.size == 0:
            return

        def apply() -> None:
            objects = self._objects
            objects["query"] = None  # the updater refuses while a query holds the metric
            objects["updater"].apply(
                objects["metric"], dict(zip(arcs.tolist(), weights.tolist(), strict=True))
            )
            objects["query"] = _rk.CCHQuery(objects["metric"])
            self.weights[arcs] = weights

        self._call(apply)

    def route(self, sources: Sequence[Endpoint], targets: Sequence[Endpoint]) -> PathResult | None:
        n = self.graph.node_count
        for vertex, _cost in (*sources, *targets):
            if not 0 <= vertex < n:  # a bad id would poison the query object for good
                raise ValueError(f"vertex {vertex} is not in the network")
        if self._thread is None or threading.get_ident() == self._owner:
            return self._run(sources, targets)
        return self._thread.call(lambda: self._run(sources, targets))

    def _run(self, sources: Sequence[Endpoint], targets: Sequence[Endpoint]) -> PathResult | None:
        query = self._objects["query"]
        if len(sources) == 1 and len(targets) == 1 and sources[0][1] == targets[0][1] == 0:
            result = query.run(sources[0][0], targets[0][0])
        else:
            result = query.run_multi(list(sources), list(targets))
        try:
            distance = result.distance
            if distance is None or distance >= INT32_MAX:
                return None
            arcs = result.arc_path
        finally:
            del result  # a live result would make the next run() fail
        if arcs:
            tail, head = self.graph.tail, self.graph.head
            return PathResult(distance, arcs, int(tail[arcs[0]]), int(head[arcs[-1]]))
        vertex = _meeting_vertex(sources, targets, distance)
        return PathResult(distance, arcs, vertex, vertex)

    def close(self) -> None:
        """Drop the thread-bound objects in their owner thread."""
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        elif threading.get_ident() == self._owner:
            self._objects.clear()


_LIVE: weakref.WeakSet[CchEngine] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    """Drop same-thread engines' objects before the interpreter tears modules down."""
    for engine in list(_LIVE):
        with contextlib.suppress(Exception):
            if engine._thread is None:
                engine.close()


def _meeting_vertex(sources: Sequence[Endpoint], targets: Sequence[Endpoint], distance: int) -> int:
    """For an empty path, the vertex where a source meets a target at ``distance``."""
    target_costs = dict(targets)
    for vertex, cost in sources:
        if vertex in target_costs and cost + target_costs[vertex] == distance:
            return vertex
    return sources[0][0]


def available() -> bool:
    return _rk is not None


def make_engine(
    graph: RoadGraph,
    weights: np.ndarray | None = None,
    *,
    prefer: str = "cch",
    own_thread: bool = True,
) -> PathEngine:
    """The CCH engine where it exists, else SciPy."""
    if prefer == "cch" and _rk is not None:
        return CchEngine(graph, weights, own_thread=own_thread)
    return ScipyEngine(graph, weights)
