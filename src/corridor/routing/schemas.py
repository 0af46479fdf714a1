"""API input and output of the routing capability."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from corridor.routing.models import Confidence, HazardKind
from corridor.web.schemas import ApiInput

Lon = float
Lat = float


class NetworkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    profile: str
    version: int
    nodes: int
    arcs: int
    bbox: list[float]
    source_name: str
    source_sha256: str
    imported_at: datetime


class HazardIn(ApiInput):
    geometry: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon (lon/lat)")
    kind: HazardKind
    severity: Literal["avoid", "factor"] = "avoid"
    factor: float | None = Field(
        default=None, description="Cost factor (> 1) when severity is factor, e.g. 3"
    )
    buffer_m: float = Field(default=0.0, ge=0, le=50_000)
    name: str = Field(default="", max_length=200)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    source: str = Field(default="", max_length=200)
    confidence: Confidence = Confidence.MEDIUM
    note: str = Field(default="", max_length=2000)


class HazardOut(BaseModel):
    id: int
    name: str
    kind: HazardKind
    severity: str
    factor: float | None
    buffer_m: float
    geometry: dict[str, Any]
    effective_geometry: dict[str, Any]
    valid_from: datetime
    valid_until: datetime | None
    withdrawn_at: datetime | None
    source: str
    confidence: Confidence
    note: str
    created_at: datetime
    updated_at: datetime


class RouteIn(ApiInput):
    from_: tuple[Lon, Lat] = Field(alias="from", description="[longitude, latitude]")
    to: tuple[Lon, Lat] = Field(description="[longitude, latitude]")
    profile: Literal["car", "foot"] = "car"
    departure: datetime | None = Field(
        default=None, description="Hazards in force then; now by default"
    )
    alternatives: int = Field(default=3, ge=0, le=3)

    model_config = ConfigDict(populate_by_name=True)


class SnapOut(BaseModel):
    lon: float
    lat: float
    distance_m: float


class ExposureOut(BaseModel):
    hazard_id: int
    name: str
    kind: str
    severity: str
    factor: float | None
    metres: float
    seconds: float


class RouteOptionOut(BaseModel):
    geometry: dict[str, Any]
    distance_m: float
    duration_s: float
    cost: int = Field(description="Travel cost with hazard factors, deciseconds")
    safe: bool
    exposure: list[ExposureOut]
    avoid_entered: list[ExposureOut]


class RouteOut(BaseModel):
    status: Literal["ok", "no_safe_route"]
    profile: str
    departure: datetime
    origin: SnapOut
    destination: SnapOut
    route: RouteOptionOut
    alternatives: list[RouteOptionOut]


class ReachIn(ApiInput):
    from_: tuple[Lon, Lat] = Field(alias="from", description="[longitude, latitude]")
    minutes: float = Field(gt=0, le=240)
    profile: Literal["car", "foot"] = "foot"
    departure: datetime | None = None

    model_config = ConfigDict(populate_by_name=True)


class CoverageIn(ApiInput):
    points: list[tuple[Lon, Lat]] = Field(
        min_length=1, max_length=50, description="Aid points, [longitude, latitude] each"
    )
    minutes: float = Field(gt=0, le=240)


class CoverageOut(BaseModel):
    corridor_id: int
    minutes: float
    share: float = Field(description="Share of the corridor's length within reach, 0–1")


class IncidentIn(ApiInput):
    occurred_at: datetime
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    kind: HazardKind
    injured: int = Field(default=0, ge=0, le=100_000)
    killed: int = Field(default=0, ge=0, le=100_000)
    source: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=5000)
    corridor_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class IncidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    lon: float
    lat: float
    kind: HazardKind
    injured: int
    killed: int
    source: str
    description: str
    status: str
    corridor_id: int | None
    hazard_id: int | None
    created_at: datetime


class IncidentStatusIn(ApiInput):
    status: Literal["reported", "verified", "discounted"]


class IncidentHazardIn(ApiInput):
    radius_m: float = Field(ge=10, le=50_000)
    severity: Literal["avoid", "factor"] = "avoid"
    factor: float | None = None
    valid_hours: float | None = Field(default=24, gt=0, le=24 * 365)
