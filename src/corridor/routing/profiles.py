"""Travel profiles: which OSM ways a vehicle or a person on foot may use, and how fast.

Turn restrictions are ignored (the issue allows a turn-agnostic model); speeds
are OSM ``maxspeed`` when given, else a default per road class. These tables
are the whole profile: change a speed here, re-import, and routes follow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

CAR_SPEEDS_KMH: dict[str, float] = {
    "motorway": 110,
    "trunk": 90,
    "primary": 70,
    "secondary": 60,
    "tertiary": 50,
    "unclassified": 40,
    "residential": 30,
    "living_street": 10,
    "service": 20,
    "road": 30,
    "motorway_link": 60,
    "trunk_link": 50,
    "primary_link": 50,
    "secondary_link": 40,
    "tertiary_link": 35,
}
FOOT_SPEEDS_KMH: dict[str, float] = {
    "footway": 5,
    "path": 4.5,
    "steps": 2.5,
    "pedestrian": 5,
    "living_street": 5,
    "residential": 5,
    "service": 5,
    "unclassified": 5,
    "track": 4.5,
    "cycleway": 5,
    "bridleway": 4.5,
    "corridor": 5,
    "road": 5,
    "tertiary": 5,
    "tertiary_link": 5,
    "secondary": 5,
    "secondary_link": 5,
    "primary": 5,
    "primary_link": 5,
}
_NO = {"no", "private", "agricultural", "forestry", "delivery"}
_YES = {"yes", "designated", "permissive", "destination", "customers"}
_TRUE = {"yes", "1", "true"}


@dataclass(frozen=True)
class Direction:
    """Whether an allowed way may be travelled forwards and backwards, and how fast."""

    forward: bool
    backward: bool
    speed_kmh: float


def _access(tags: Mapping[str, str], keys: tuple[str, ...]) -> bool | None:
    """The most specific access tag present decides (e.g. motor_vehicle over access)."""
    for key in keys:
        value = tags.get(key)
        if value is None:
            continue
        value = value.split(";")[0].strip()
        if value in _NO:
            return False
        if value in _YES:
            return True
    return None


def parse_maxspeed(value: str | None) -> float | None:
    """``maxspeed`` in km/h ("50", "30 mph"); None for "none", "signals" and the like."""
    if not value:
        return None
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh)?\s*$", value)
    if not match:
        return None
    speed = float(match.group(1))
    if match.group(2) == "mph":
        speed *= 1.609344
    return speed if 1 <= speed <= 200 else None


def car(tags: Mapping[str, str]) -> Direction | None:
    highway = tags.get("highway")
    if highway not in CAR_SPEEDS_KMH:
        return None
    allowed = _access(tags, ("motorcar", "motor_vehicle", "vehicle", "access"))
    if allowed is False:
        return None
    speed = parse_maxspeed(tags.get("maxspeed")) or CAR_SPEEDS_KMH[highway]
    oneway = tags.get("oneway", "").lower()
    implied = highway in ("motorway", "motorway_link") or tags.get("junction") in (
        "roundabout",
        "circular",
    )
    if oneway == "-1":
        return Direction(False, True, speed)
    if oneway in _TRUE or (implied and oneway != "no"):
        return Direction(True, False, speed)
    return Direction(True, True, speed)


def foot(tags: Mapping[str, str]) -> Direction | None:
    highway = tags.get("highway")
    if highway not in FOOT_SPEEDS_KMH:
        return None
    allowed = _access(tags, ("foot", "access"))
    if allowed is False:
        return None
    return Direction(True, True, FOOT_SPEEDS_KMH[highway])


PROFILES = {"car": car, "foot": foot}
