"""The compact road graph: contiguous NumPy arrays, no Python object per edge.

Vertices are OSM nodes (every node of a routable way, so that a route follows
the road's shape); arcs are directed and sorted by tail (CSR). Travel costs are
whole deciseconds in 32-bit integers: the customisable contraction hierarchy
works on 32-bit weights, and NetworkX and SciPy given the same integers give
exactly comparable costs.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

EARTH_RADIUS_M = 6_371_008.8
INT32_MAX = 2**31 - 1
FORMAT_VERSION = 1


def haversine_m(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in metres (vectorised)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """One profile's network. Arc ``i`` goes ``tail[i] → head[i]``."""

    profile: str
    lon: np.ndarray  # float64[n]
    lat: np.ndarray  # float64[n]
    first_out: np.ndarray  # int32[n + 1]
    tail: np.ndarray  # int32[m]
    head: np.ndarray  # int32[m]
    weight: np.ndarray  # int32[m], deciseconds
    length: np.ndarray  # float32[m], metres

    @property
    def node_count(self) -> int:
        return int(self.lon.shape[0])

    @property
    def arc_count(self) -> int:
        return int(self.tail.shape[0])

    @property
    def nbytes(self) -> int:
        return sum(
            a.nbytes
            for a in (
                self.lon,
                self.lat,
                self.first_out,
                self.tail,
                self.head,
                self.weight,
                self.length,
            )
        )

    def bounds(self) -> tuple[float, float, float, float]:
        return (
            float(self.lon.min()),
            float(self.lat.min()),
            float(self.lon.max()),
            float(self.lat.max()),
        )

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(
            buffer,
            format_version=np.array([FORMAT_VERSION]),
            profile=np.array([self.profile]),
            lon=self.lon,
            lat=self.lat,
            first_out=self.first_out,
            tail=self.tail,
            head=self.head,
            weight=self.weight,
            length=self.length,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> RoadGraph:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            if int(arrays["format_version"][0]) != FORMAT_VERSION:
                raise ValueError("stored network has an unknown format; import it again")
            return cls(
                profile=str(arrays["profile"][0]),
                lon=arrays["lon"],
                lat=arrays["lat"],
                first_out=arrays["first_out"],
                tail=arrays["tail"],
                head=arrays["head"],
                weight=arrays["weight"],
                length=arrays["length"],
            )

    def scipy_matrix(self, weights: np.ndarray | None = None) -> csr_matrix:
        """The graph as a sparse matrix (zero costs become 1 ds: SciPy drops zeros)."""
        w = self.weight if weights is None else weights
        data = np.maximum(w, 1).astype(np.float64)
        return csr_matrix(
            (data, self.head, self.first_out), shape=(self.node_count, self.node_count)
        )


def build_graph(
    profile: str,
    lon: np.ndarray,
    lat: np.ndarray,
    tail: np.ndarray,
    head: np.ndarray,
    speed_kmh: np.ndarray,
) -> RoadGraph:
    """Arcs between OSM node indices → a compact, strongly connected CSR graph.

    Parallel arcs keep the fastest; self-loops go; only the largest strongly
    connected part is kept, so every pair of vertices has a route.
    """
    tail = np.asarray(tail, dtype=np.int64)
    head = np.asarray(head, dtype=np.int64)
    keep = tail != head
    tail, head, speed_kmh = tail[keep], head[keep], np.asarray(speed_kmh)[keep]
    length = haversine_m(lon[tail], lat[tail], lon[head], lat[head])
    seconds = length / (speed_kmh / 3.6)
    weight = np.maximum(1, np.rint(seconds * 10)).astype(np.int64)
    # Fastest of parallel arcs: sort by (tail, head, weight) and keep the first.
    order = np.lexsort((weight, head, tail))
    tail, head, weight, length = tail[order], head[order], weight[order], length[order]
    first = np.ones(tail.shape[0], dtype=bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    tail, head, weight, length = tail[first], head[first], weight[first], length[first]
    node_count = lon.shape[0]
    if tail.shape[0] == 0:
        raise ValueError(f"no routable {profile} roads in this extract")
    matrix = csr_matrix((np.ones(tail.shape[0]), (tail, head)), shape=(node_count, node_count))
    _count, labels = connected_components(matrix, directed=True, connection="strong")
    used = np.zeros(node_count, dtype=bool)
    used[tail] = True
    used[head] = True
    sizes = np.bincount(labels[used])
    biggest = int(np.argmax(sizes))
    in_component = labels == biggest
    arc_keep = in_component[tail] & in_component[head]
    tail, head, weight, length = tail[arc_keep], head[arc_keep], weight[arc_keep], length[arc_keep]
    new_index = np.full(node_count, -1, dtype=np.int64)
    kept_nodes = np.flatnonzero(in_component)
    new_index[kept_nodes] = np.arange(kept_nodes.shape[0])
    tail, head = new_index[tail], new_index[head]
    order = np.lexsort((head, tail))
    tail, head, weight, length = tail[order], head[order], weight[order], length[order]
    n = kept_nodes.shape[0]
    first_out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n), out=first_out[1:])
    if weight.max(initial=0) * max(n, 1) >= INT32_MAX:
        raise ValueError("travel costs could exceed 32-bit weights; the network is too large")
    return RoadGraph(
        profile=profile,
        lon=lon[kept_nodes].astype(np.float64),
        lat=lat[kept_nodes].astype(np.float64),
        first_out=first_out.astype(np.int32),
        tail=tail.astype(np.int32),
        head=head.astype(np.int32),
        weight=weight.astype(np.int32),
        length=length.astype(np.float32),
    )
