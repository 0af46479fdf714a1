"""Desks (where people hand in arms) and depots (where the items are kept).

A desk is run by one organisation; its officers are that organisation's DDR
officers. A depot belongs to the organisation that keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.accounts.models import Membership, Role
from corridor.amnesty.models import Depot, Desk, DeskOfficer
from corridor.errors import Conflict, InvalidInput, NotFound


def _name(value: str, field: str = "name") -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(field, "must not be empty")
    if len(value) > 120:
        raise InvalidInput(field, "at most 120 characters")
    return value


def _coordinates(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise InvalidInput("latitude", "give both latitude and longitude, or neither")
    if latitude is not None and not -90 <= latitude <= 90:
        raise InvalidInput("latitude", "between -90 and 90")
    if longitude is not None and not -180 <= longitude <= 180:
        raise InvalidInput("longitude", "between -180 and 180")


def ddr_officers(session: Session, organisation_id: int, user_ids: Iterable[int]) -> list[int]:
    """``user_ids`` if each is a DDR officer of the organisation; else 422 naming one."""
    wanted = list(dict.fromkeys(user_ids))
    found = set(
        session.scalars(
            select(Membership.user_id).where(
                Membership.organisation_id == organisation_id,
                Membership.role == Role.DDR_OFFICER,
                Membership.user_id.in_(wanted),
            )
        )
    )
    for user_id in wanted:
        if user_id not in found:
            raise InvalidInput(
                "officer_ids", f"user {user_id} is not a DDR officer of the desk's organisation"
            )
    return wanted


def create_desk(
    session: Session,
    *,
    operation_id: int,
    organisation_id: int,
    name: str,
    place_name: str = "",
    pcode: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    officer_ids: Iterable[int] = (),
) -> Desk:
    name = _name(name)
    _coordinates(latitude, longitude)
    if session.scalar(select(Desk.id).where(Desk.operation_id == operation_id, Desk.name == name)):
        raise Conflict(f"a desk named {name!r} exists in this operation")
    desk = Desk(
        operation_id=operation_id,
        organisation_id=organisation_id,
        name=name,
        place_name=place_name.strip()[:200],
        pcode=pcode.strip()[:30],
        latitude=latitude,
        longitude=longitude,
    )
    desk.officers = [
        DeskOfficer(user_id=user_id, operation_id=operation_id)
        for user_id in ddr_officers(session, organisation_id, officer_ids)
    ]
    session.add(desk)
    session.flush()
    return desk


def create_depot(
    session: Session,
    *,
    operation_id: int,
    organisation_id: int,
    name: str,
    place_name: str = "",
    pcode: str = "",
) -> Depot:
    name = _name(name)
    if session.scalar(
        select(Depot.id).where(Depot.operation_id == operation_id, Depot.name == name)
    ):
        raise Conflict(f"a depot named {name!r} exists in this operation")
    depot = Depot(
        operation_id=operation_id,
        organisation_id=organisation_id,
        name=name,
        place_name=place_name.strip()[:200],
        pcode=pcode.strip()[:30],
    )
    session.add(depot)
    session.flush()
    return depot


def list_desks(session: Session, *, operation_id: int) -> list[Desk]:
    return list(
        session.scalars(select(Desk).where(Desk.operation_id == operation_id).order_by(Desk.name))
    )


def list_depots(session: Session, *, operation_id: int) -> list[Depot]:
    return list(
        session.scalars(
            select(Depot).where(Depot.operation_id == operation_id).order_by(Depot.name)
        )
    )


def get_desk(session: Session, *, operation_id: int, desk_id: int) -> Desk:
    desk = session.get(Desk, desk_id)
    if desk is None or desk.operation_id != operation_id:
        raise NotFound("no such desk in this operation")
    return desk


def get_depot(
    session: Session, *, operation_id: int, depot_id: int, field: str = "depot_id"
) -> Depot:
    depot = session.get(Depot, depot_id)
    if depot is None or depot.operation_id != operation_id:
        raise InvalidInput(field, "no such depot in this operation")
    return depot
