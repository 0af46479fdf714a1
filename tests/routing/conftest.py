"""Routing fixtures: the Andorra extract shipped with the package, graphs built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor.routing.graph import RoadGraph
from corridor.routing.osm import ImportedNetworks, read_networks


@pytest.fixture(scope="session")
def andorra(andorra_pbf: Path) -> ImportedNetworks:
    return read_networks(andorra_pbf)


@pytest.fixture(scope="session")
def car(andorra: ImportedNetworks) -> RoadGraph:
    return andorra.graphs["car"]
