"""Deconfliction notices: where humanitarian sites are and when convoys move.

The lead organisation tells the parties to the conflict, so that sites and
convoys are not harmed. A notice is a frozen package (PDF and GeoJSON) of the
static sites (aid points, warehouses, checkpoints, other notified sites; the
amnesty desks and depots only when the lead opts in) and the planned movements
it covers, with an expiry. It holds coordinates, times, vehicle counts and
organisations: never a person, a plate or a driver.

The parties have no accounts: lead staff record each party's acknowledgement
(channel, time). A change to a movement that a current notice covers issues
the next version of that notice; every version is kept.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from corridor.accounts.models import Organisation
from corridor.aid.models import Place
from corridor.db.types import utcnow
from corridor.errors import Conflict, InvalidInput, NotFound
from corridor.operations.models import (
    Checkpoint,
    Corridor,
    MovementStatus,
    Notice,
    NoticeAcknowledgement,
    NotificationChannel,
    NotifiedSite,
    Operation,
    OperationPartner,
    PlannedMovement,
    VehicleKind,
)

MAX_VEHICLES = 500
MAX_VALIDITY = timedelta(days=90)
MOVEMENT_FIELDS = (
    "reference",
    "corridor_id",
    "departs_at",
    "arrives_at",
    "vehicles",
    "vehicle_kind",
    "organisations",
    "status",
)


def _text(value: Any, field: str, limit: int) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise InvalidInput(field, "is required")
    if len(text) > limit:
        raise InvalidInput(field, f"must be at most {limit} characters")
    return text


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput(field, "needs a UTC offset")
    return value


def _participants(session: Session, operation_id: int) -> set[int]:
    return set(
        session.scalars(
            select(OperationPartner.organisation_id).where(
                OperationPartner.operation_id == operation_id
            )
        )
    )


# Sites --------------------------------------------------------------------------------


def add_site(
    session: Session,
    *,
    operation_id: int,
    name: str,
    kind: str,
    organisation_id: int,
    lon: float,
    lat: float,
) -> NotifiedSite:
    """A site to notify that is not an aid point or checkpoint (a clinic, a shelter)."""
    if organisation_id not in _participants(session, operation_id):
        raise InvalidInput("organisation_id", "does not take part in this operation")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput("lon", "longitude must be within ±180 and latitude within ±90")
    site = NotifiedSite(
        operation_id=operation_id,
        name=_text(name, "name", 200),
        kind=_text(kind or "other", "kind", 40),
        organisation_id=organisation_id,
        lon=lon,
        lat=lat,
    )
    session.add(site)
    session.flush()
    return site


def list_sites(session: Session, *, operation_id: int) -> list[NotifiedSite]:
    return list(
        session.scalars(
            select(NotifiedSite)
            .where(NotifiedSite.operation_id == operation_id)
            .order_by(NotifiedSite.name)
        )
    )


# Movements ----------------------------------------------------------------------------


def _movement_values(
    session: Session, operation_id: int, values: dict[str, Any], current: PlannedMovement | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "reference" in values:
        out["reference"] = _text(values["reference"], "reference", 60)
    if "corridor_id" in values:
        corridor = session.get(Corridor, values["corridor_id"])
        if corridor is None or corridor.operation_id != operation_id:
            raise InvalidInput("corridor_id", "is not a corridor of this operation")
        out["corridor_id"] = corridor.id
    for field in ("departs_at", "arrives_at"):
        if field in values:
            out[field] = _aware(values[field], field)
    departs = out.get("departs_at", current.departs_at if current else None)
    arrives = out.get("arrives_at", current.arrives_at if current else None)
    if departs and arrives and arrives <= departs:
        raise InvalidInput("arrives_at", "must be after departs_at")
    if "vehicles" in values:
        vehicles = values["vehicles"]
        if not isinstance(vehicles, int) or not 1 <= vehicles <= MAX_VEHICLES:
            raise InvalidInput("vehicles", f"must be a whole number from 1 to {MAX_VEHICLES}")
        out["vehicles"] = vehicles
    if "vehicle_kind" in values:
        try:
            out["vehicle_kind"] = VehicleKind(values["vehicle_kind"])
        except ValueError:
            raise InvalidInput("vehicle_kind", f"must be one of {', '.join(VehicleKind)}") from None
    if "organisations" in values:
        taking_part = _participants(session, operation_id)
        organisations = sorted(set(values["organisations"] or []))
        if not organisations:
            raise InvalidInput("organisations", "name at least one organisation")
        if not set(organisations) <= taking_part:
            raise InvalidInput("organisations", "each must take part in this operation")
        out["organisations"] = organisations
    if "status" in values:
        try:
            out["status"] = MovementStatus(values["status"])
        except ValueError:
            raise InvalidInput("status", f"must be one of {', '.join(MovementStatus)}") from None
    return out


def create_movement(
    session: Session, *, operation_id: int, created_by_id: int | None, **values: Any
) -> PlannedMovement:
    missing = [f for f in MOVEMENT_FIELDS if f not in values and f != "status"]
    if missing:
        raise InvalidInput(missing[0], "is required")
    movement = PlannedMovement(
        operation_id=operation_id,
        created_by_id=created_by_id,
        **_movement_values(session, operation_id, values, None),
    )
    session.add(movement)
    session.flush()
    return movement


def get_movement(session: Session, *, operation_id: int, movement_id: int) -> PlannedMovement:
    movement = session.get(PlannedMovement, movement_id)
    if movement is None or movement.operation_id != operation_id:
        raise NotFound("no such planned movement")
    return movement


def list_movements(session: Session, *, operation_id: int) -> list[PlannedMovement]:
    return list(
        session.scalars(
            select(PlannedMovement)
            .where(PlannedMovement.operation_id == operation_id)
            .order_by(PlannedMovement.departs_at, PlannedMovement.id)
        )
    )


def update_movement(
    session: Session,
    *,
    movement: PlannedMovement,
    changes: dict[str, Any],
    changed_by_id: int | None,
) -> list[Notice]:
    """Change a movement; every current notice that covers it gets a new version
    (returned), since the parties must not rely on what is no longer true."""
    values = _movement_values(session, movement.operation_id, changes, movement)
    changed = {k: v for k, v in values.items() if getattr(movement, k) != v}
    if not changed:
        return []
    for key, value in changed.items():
        setattr(movement, key, value)
    movement.revision += 1
    session.flush()
    reissued = []
    for notice in current_notices(session, operation_id=movement.operation_id):
        if movement.id in notice.movement_ids:
            reissued.append(
                _new_version(
                    session,
                    notice,
                    reason=f"movement {movement.reference} changed",
                    issued_by_id=changed_by_id,
                )
            )
    return reissued


# Notices ------------------------------------------------------------------------------


def _point(name: str, kind: str, organisation: str, lon: float | None, lat: float | None) -> dict:
    return {
        "name": name,
        "kind": kind,
        "organisation": organisation,
        "lon": round(lon, 6) if lon is not None else None,
        "lat": round(lat, 6) if lat is not None else None,
    }


def _snapshot(
    session: Session,
    operation: Operation,
    *,
    number: int,
    version: int,
    issued_at: datetime,
    expires_at: datetime,
    parties: list[str],
    movement_ids: list[int],
    include_amnesty: bool,
    reason: str,
) -> dict[str, Any]:
    organisations = {o.id: o.acronym or o.name for o in session.scalars(select(Organisation)).all()}
    sites = [
        _point(p.name, p.kind.value, organisations.get(p.organisation_id, ""), p.lon, p.lat)
        for p in session.scalars(
            select(Place).where(Place.operation_id == operation.id).order_by(Place.name)
        )
        if p.status.value != "closed"
    ]
    corridors = {
        c.id: c
        for c in session.scalars(select(Corridor).where(Corridor.operation_id == operation.id))
    }
    lead = organisations.get(operation.lead_organisation_id, "")
    for checkpoint in session.scalars(
        select(Checkpoint).where(Checkpoint.operation_id == operation.id).order_by(Checkpoint.id)
    ):
        sites.append(_point(checkpoint.name, "checkpoint", lead, checkpoint.lon, checkpoint.lat))
    for site in list_sites(session, operation_id=operation.id):
        if site.active:
            sites.append(
                _point(
                    site.name,
                    site.kind,
                    organisations.get(site.organisation_id, ""),
                    site.lon,
                    site.lat,
                )
            )
    if include_amnesty:
        from corridor.amnesty.models import Depot, Desk

        for desk in session.scalars(select(Desk).where(Desk.operation_id == operation.id)):
            if desk.closed_at is None:
                sites.append(
                    _point(
                        desk.name,
                        "amnesty_desk",
                        organisations.get(desk.organisation_id, ""),
                        desk.longitude,
                        desk.latitude,
                    )
                )
        for depot in session.scalars(select(Depot).where(Depot.operation_id == operation.id)):
            sites.append(
                _point(
                    f"{depot.name} ({depot.place_name})" if depot.place_name else depot.name,
                    "amnesty_depot",
                    organisations.get(depot.organisation_id, ""),
                    None,
                    None,
                )
            )
    movements = []
    for movement in session.scalars(
        select(PlannedMovement)
        .where(PlannedMovement.id.in_(movement_ids))
        .order_by(PlannedMovement.departs_at, PlannedMovement.id)
    ):
        corridor = corridors.get(movement.corridor_id)
        movements.append(
            {
                "reference": movement.reference,
                "revision": movement.revision,
                "status": movement.status.value,
                "corridor": corridor.name if corridor else "",
                "route": corridor.route if corridor else None,
                "departs_at": movement.departs_at.isoformat(),
                "arrives_at": movement.arrives_at.isoformat(),
                "vehicles": movement.vehicles,
                "vehicle_kind": movement.vehicle_kind.value,
                "organisations": [organisations.get(o, "") for o in movement.organisations],
            }
        )
    return {
        "format": 1,
        "operation": {"slug": operation.slug, "name": operation.name, "lead": lead},
        "number": number,
        "version": version,
        "reason": reason,
        "issued_at": issued_at.isoformat(),
        "expires_at": expires_at.isoformat(),
        "parties": parties,
        "include_amnesty": include_amnesty,
        "sites": sites,
        "movements": movements,
    }


def _store(
    session: Session,
    operation: Operation,
    content: dict[str, Any],
    *,
    supersedes: Notice | None,
    movement_ids: list[int],
    issued_by_id: int | None,
) -> Notice:
    from corridor.operations.notice_print import notice_pdf

    notice = Notice(
        operation_id=operation.id,
        number=content["number"],
        version=content["version"],
        supersedes_id=supersedes.id if supersedes else None,
        reason=content["reason"],
        issued_at=datetime.fromisoformat(content["issued_at"]),
        expires_at=datetime.fromisoformat(content["expires_at"]),
        include_amnesty=content["include_amnesty"],
        parties=content["parties"],
        movement_ids=movement_ids,
        content=content,
        content_sha256=hashlib.sha256(
            orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
        ).hexdigest(),
        pdf=notice_pdf(content),
        issued_by_id=issued_by_id,
    )
    session.add(notice)
    session.flush()
    return notice


def issue(
    session: Session,
    *,
    operation: Operation,
    expires_at: datetime,
    parties: list[str],
    movement_ids: list[int] | None = None,
    include_amnesty: bool = False,
    issued_by_id: int | None,
) -> Notice:
    """A new notice (version 1) of the sites and the given (default: every planned
    movement that has not arrived yet) movements, for ``parties``, until ``expires_at``."""
    now = utcnow()
    expires_at = _aware(expires_at, "expires_at")
    if expires_at <= now:
        raise InvalidInput("expires_at", "must be in the future")
    if expires_at - now > MAX_VALIDITY:
        raise InvalidInput("expires_at", f"must be within {MAX_VALIDITY.days} days")
    named = []
    for index, party in enumerate(parties or []):
        name = _text(party, f"parties.{index}", 200)
        if name not in named:
            named.append(name)
    if not named:
        raise InvalidInput("parties", "name at least one party to notify")
    movements = list_movements(session, operation_id=operation.id)
    if movement_ids is None:
        chosen = [
            m.id for m in movements if m.status == MovementStatus.PLANNED and m.arrives_at > now
        ]
    else:
        known = {m.id for m in movements}
        for index, movement_id in enumerate(movement_ids):
            if movement_id not in known:
                raise InvalidInput(f"movement_ids.{index}", "is not a movement of this operation")
        chosen = sorted(set(movement_ids))
    number = (
        session.scalar(select(func.max(Notice.number)).where(Notice.operation_id == operation.id))
        or 0
    ) + 1
    content = _snapshot(
        session,
        operation,
        number=number,
        version=1,
        issued_at=now,
        expires_at=expires_at,
        parties=named,
        movement_ids=chosen,
        include_amnesty=include_amnesty,
        reason="",
    )
    return _store(
        session, operation, content, supersedes=None, movement_ids=chosen, issued_by_id=issued_by_id
    )


def _new_version(
    session: Session, notice: Notice, *, reason: str, issued_by_id: int | None
) -> Notice:
    operation = session.get_one(Operation, notice.operation_id)
    content = _snapshot(
        session,
        operation,
        number=notice.number,
        version=notice.version + 1,
        issued_at=utcnow(),
        expires_at=notice.expires_at,
        parties=list(notice.parties),
        movement_ids=list(notice.movement_ids),
        include_amnesty=notice.include_amnesty,
        reason=reason,
    )
    return _store(
        session,
        operation,
        content,
        supersedes=notice,
        movement_ids=list(notice.movement_ids),
        issued_by_id=issued_by_id,
    )


def get_notice(session: Session, *, operation_id: int, notice_id: int) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is None or notice.operation_id != operation_id:
        raise NotFound("no such notice")
    return notice


def list_notices(session: Session, *, operation_id: int) -> list[Notice]:
    return list(
        session.scalars(
            select(Notice)
            .where(Notice.operation_id == operation_id)
            .order_by(Notice.number.desc(), Notice.version.desc())
        )
    )


def versions(session: Session, notice: Notice) -> list[Notice]:
    return list(
        session.scalars(
            select(Notice)
            .where(Notice.operation_id == notice.operation_id, Notice.number == notice.number)
            .order_by(Notice.version)
        )
    )


def current_notices(session: Session, *, operation_id: int) -> list[Notice]:
    """The newest version of every notice that has not expired."""
    newest = (
        select(Notice.number, func.max(Notice.version).label("version"))
        .where(Notice.operation_id == operation_id)
        .group_by(Notice.number)
        .subquery()
    )
    return list(
        session.scalars(
            select(Notice)
            .join(newest, (Notice.number == newest.c.number) & (Notice.version == newest.c.version))
            .where(Notice.operation_id == operation_id, Notice.expires_at > utcnow())
            .order_by(Notice.number)
        )
    )


def acknowledge(
    session: Session,
    *,
    notice: Notice,
    party: str,
    channel: str,
    acknowledged_at: datetime,
    recorded_by_id: int | None,
) -> NoticeAcknowledgement:
    """Record that ``party`` acknowledged this version of the notice."""
    name = _text(party, "party", 200)
    if name not in notice.parties:
        raise InvalidInput("party", "is not a party this notice was sent to")
    try:
        how = NotificationChannel(channel)
    except ValueError:
        raise InvalidInput("channel", f"must be one of {', '.join(NotificationChannel)}") from None
    when = _aware(acknowledged_at, "acknowledged_at")
    if when > utcnow() + timedelta(minutes=5):
        raise InvalidInput("acknowledged_at", "is in the future")
    if when < notice.issued_at:
        raise InvalidInput("acknowledged_at", "is before the notice was issued")
    exists = session.scalar(
        select(NoticeAcknowledgement.id).where(
            NoticeAcknowledgement.notice_id == notice.id, NoticeAcknowledgement.party == name
        )
    )
    if exists is not None:
        raise Conflict("this party's acknowledgement of this version is recorded already")
    row = NoticeAcknowledgement(
        notice_id=notice.id,
        operation_id=notice.operation_id,
        party=name,
        channel=how,
        acknowledged_at=when,
        recorded_by_id=recorded_by_id,
    )
    session.add(row)
    session.flush()
    return row


def acknowledgements(session: Session, notice: Notice) -> list[NoticeAcknowledgement]:
    return list(
        session.scalars(
            select(NoticeAcknowledgement)
            .where(NoticeAcknowledgement.notice_id == notice.id)
            .order_by(NoticeAcknowledgement.acknowledged_at)
        )
    )


def unacknowledged(session: Session, *, operation_id: int) -> list[tuple[Notice, list[str]]]:
    """Current notices and the parties that have not acknowledged them yet."""
    out = []
    for notice in current_notices(session, operation_id=operation_id):
        done = {a.party for a in acknowledgements(session, notice)}
        missing = [p for p in notice.parties if p not in done]
        if missing:
            out.append((notice, missing))
    return out
