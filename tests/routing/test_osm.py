"""Reading OpenStreetMap extracts into compact graphs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corridor.errors import InvalidInput
from corridor.routing import profiles
from corridor.routing.graph import RoadGraph
from corridor.routing.osm import ImportedNetworks, read_networks


def test_andorra_car_graph_matches_the_published_counts(car: RoadGraph) -> None:
    # ../shared/data/osm/README.md: 16,408 nodes, 31,493 directed arcs.
    assert (car.node_count, car.arc_count) == (16_408, 31_493)


def test_graphs_are_compact_arrays(andorra: ImportedNetworks) -> None:
    for graph in andorra.graphs.values():
        assert graph.tail.dtype == np.int32 and graph.weight.dtype == np.int32
        assert graph.nbytes / graph.arc_count < 40
        assert np.all(np.diff(graph.tail) >= 0)  # CSR order
        assert np.all(graph.weight >= 1)
        assert graph.first_out[-1] == graph.arc_count


def test_foot_network_is_two_way_and_bigger(andorra: ImportedNetworks) -> None:
    foot = andorra.graphs["foot"]
    pairs = set(zip(foot.tail.tolist(), foot.head.tolist(), strict=True))
    assert all((h, t) in pairs for t, h in list(pairs)[:2000])
    assert foot.node_count > andorra.graphs["car"].node_count


def test_round_trip_through_bytes(car: RoadGraph) -> None:
    again = RoadGraph.from_bytes(car.to_bytes())
    assert np.array_equal(again.head, car.head) and np.array_equal(again.weight, car.weight)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "primary", "oneway": "yes"}, (True, False)),
        ({"highway": "primary", "oneway": "-1"}, (False, True)),
        ({"highway": "motorway"}, (True, False)),
        ({"highway": "residential", "junction": "roundabout"}, (True, False)),
        ({"highway": "residential"}, (True, True)),
        ({"highway": "residential", "access": "private"}, None),
        ({"highway": "residential", "access": "no", "motor_vehicle": "yes"}, (True, True)),
        ({"highway": "footway"}, None),
    ],
)
def test_car_profile(tags: dict[str, str], expected: tuple[bool, bool] | None) -> None:
    direction = profiles.car(tags)
    assert (None if direction is None else (direction.forward, direction.backward)) == expected


def test_speeds_from_maxspeed_or_class() -> None:
    assert profiles.car({"highway": "primary", "maxspeed": "50"}).speed_kmh == 50  # type: ignore[union-attr]
    assert profiles.car({"highway": "primary", "maxspeed": "30 mph"}).speed_kmh == pytest.approx(  # type: ignore[union-attr]
        48.28, abs=0.01
    )
    assert profiles.car({"highway": "primary", "maxspeed": "none"}).speed_kmh == 70  # type: ignore[union-attr]
    assert (
        profiles.foot({"highway": "steps"}).speed_kmh
        < profiles.foot(  # type: ignore[union-attr]
            {"highway": "footway"}
        ).speed_kmh
    )  # type: ignore[union-attr]
    assert profiles.foot({"highway": "motorway"}) is None
    assert profiles.foot({"highway": "path", "foot": "no"}) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "unexpected EOF"),
        (b"this is not a pbf", "not a readable"),
        (b"", "empty"),
    ],
)
def test_bad_files_are_clear_errors(
    andorra_pbf: Path, tmp_path: Path, content: bytes | None, message: str
) -> None:
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(andorra_pbf.read_bytes()[:100_000] if content is None else content)
    with pytest.raises(InvalidInput) as caught:
        read_networks(bad)
    assert caught.value.field == "file" and message in caught.value.detail
