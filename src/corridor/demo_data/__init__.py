"""Data shipped for the demo operation (an OpenStreetMap extract, a gazetteer)."""

from __future__ import annotations

import math

# Approximate centres of the parishes of the demo gazetteer (gazetteer.csv): the
# demo has no boundaries, so a place takes the P-code of the nearest centre.
PARISH_CENTRES = {
    "AD02": (1.597, 42.567),  # Canillo
    "AD03": (1.583, 42.535),  # Encamp
    "AD04": (1.515, 42.545),  # La Massana
    "AD05": (1.533, 42.556),  # Ordino
    "AD06": (1.491, 42.464),  # Sant Julià de Lòria
    "AD07": (1.521, 42.507),  # Andorra la Vella
    "AD08": (1.534, 42.509),  # Escaldes-Engordany
}


def parish_pcode(lon: float, lat: float) -> str:
    """The P-code of the demo parish whose centre is nearest to the point."""
    scale = math.cos(math.radians(lat))
    return min(
        PARISH_CENTRES,
        key=lambda code: ((PARISH_CENTRES[code][0] - lon) * scale) ** 2
        + (PARISH_CENTRES[code][1] - lat) ** 2,
    )
