"""The routing part of the demo operation: Andorra's roads and a few hazards."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.errors import NotFound
from corridor.routing import hazards, service
from corridor.routing.models import Hazard

DEMO_HAZARDS = [
    hazards.HazardInput(
        name="Front line south of Sant Julià",
        kind="front_line",
        severity="avoid",
        geometry={
            "type": "Polygon",
            "coordinates": [
                [
                    [1.478, 42.452],
                    [1.500, 42.452],
                    [1.500, 42.466],
                    [1.478, 42.466],
                    [1.478, 42.452],
                ]
            ],
        },
        source="demo",
        confidence="high",
    ),
    hazards.HazardInput(
        name="Shelling reported near Encamp",
        kind="shelling",
        severity="factor",
        factor=3.0,
        geometry={
            "type": "Polygon",
            "coordinates": [
                [
                    [1.575, 42.530],
                    [1.586, 42.530],
                    [1.586, 42.538],
                    [1.575, 42.538],
                    [1.575, 42.530],
                ]
            ],
        },
        source="demo",
        confidence="medium",
    ),
    hazards.HazardInput(
        name="Unexploded ordnance, La Massana road",
        kind="unexploded_ordnance",
        severity="avoid",
        buffer_m=150,
        geometry={
            "type": "Polygon",
            "coordinates": [
                [[1.5150, 42.5440], [1.5160, 42.5440], [1.5160, 42.5448], [1.5150, 42.5440]]
            ],
        },
        source="demo",
        confidence="low",
    ),
]


def andorra_extract() -> Path:
    return Path(str(resources.files("corridor.demo_data").joinpath("andorra.osm.pbf")))


DEMO_CORRIDORS = [
    (
        "North corridor: Andorra la Vella to Encamp",
        "car",
        (1.5340, 42.5080),
        (1.5795, 42.5347),
        "open",
        400,
    ),
    (
        "South corridor to Sant Julià de Lòria",
        "car",
        (1.5340, 42.5080),
        (1.4913, 42.4637),
        "open",
        250,
    ),
    ("Foot corridor to La Massana", "foot", (1.5340, 42.5080), (1.5335, 42.5560), "planned", 150),
]


def _corridors(session: Session, operation_id: int) -> None:
    """Two or three corridors with checkpoints, created before the hazards so that
    the hazards saved afterwards flag the ones they cut."""
    from datetime import timedelta

    from corridor.db.types import utcnow
    from corridor.demo_data import parish_pcode
    from corridor.operations import corridors
    from corridor.operations.models import Corridor

    existing = set(
        session.scalars(select(Corridor.name).where(Corridor.operation_id == operation_id))
    )
    start = utcnow().replace(hour=6, minute=0, second=0, microsecond=0)
    windows = [
        {
            "from": (start + timedelta(days=d)).isoformat(),
            "until": (start + timedelta(days=d, hours=12)).isoformat(),
        }
        for d in range(7)
    ]
    for name, profile, origin, destination, status, capacity in DEMO_CORRIDORS:
        if name in existing:
            continue
        corridor = corridors.create_corridor(
            session,
            operation_id=operation_id,
            name=name,
            profile=profile,
            origin=origin,
            destination=destination,
            windows=windows,
            capacity_per_hour=capacity,
            parties=["Corridor Coordination Cell (demo)", "Valley Civil Protection (demo)"],
        )
        coordinates = corridor.route["coordinates"]
        corridors.update_corridor(
            session,
            corridor=corridor,
            changes={
                "checkpoints": [
                    {
                        "name": f"{name.split(':')[0]} checkpoint {i + 1}",
                        "lon": coordinates[len(coordinates) * (i + 1) // 3][0],
                        "lat": coordinates[len(coordinates) * (i + 1) // 3][1],
                        "pcode": parish_pcode(*coordinates[len(coordinates) * (i + 1) // 3]),
                    }
                    for i in range(2)
                ]
            },
        )
        if status != "planned":
            corridors.set_status(
                session,
                corridor=corridor,
                status=status,
                reason="agreed by the parties (demo)",
                changed_by_id=None,
            )


def load(session: Session, operation_id: int) -> None:
    """Import the packaged extract (once), corridors and hazards (once each)."""
    try:
        service.current_network(session, operation_id=operation_id, profile="car")
    except NotFound:
        service.import_file(session, operation_id=operation_id, path=andorra_extract())
    _corridors(session, operation_id)
    names = set(session.scalars(select(Hazard.name).where(Hazard.operation_id == operation_id)))
    missing = [h for h in DEMO_HAZARDS if h.name not in names]
    if missing:
        hazards.create_hazards(
            session, operation_id=operation_id, items=missing, projection=None, created_by_id=None
        )
