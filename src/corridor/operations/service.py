"""Operations, partner participation and invitations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shapely.geometry import shape
from shapely.validation import explain_validity
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from corridor import events
from corridor.accounts import tokens
from corridor.accounts.models import Organisation, Role
from corridor.accounts.permissions import Participation, Principal
from corridor.db.types import utcnow
from corridor.errors import Conflict, Forbidden, InvalidInput, NotFound
from corridor.jobs.cache import changed, worker_cache
from corridor.operations.models import (
    Invitation,
    Operation,
    OperationPartner,
    OperationStatus,
    PartnerStatus,
)

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
DIRECTORY_CACHE = "operations.directory"


# The directory of operations: the permission check's hot path, cached per worker.


@dataclass(frozen=True)
class OperationRef:
    id: int
    slug: str
    name: str
    status: OperationStatus
    timezone: str
    participation: Participation


def _load_directory(session: Session) -> dict[str, OperationRef]:
    rows = session.execute(
        select(
            Operation.id,
            Operation.slug,
            Operation.name,
            Operation.status,
            Operation.timezone,
            Operation.lead_organisation_id,
        )
    ).all()
    partners = session.execute(
        select(OperationPartner.operation_id, OperationPartner.organisation_id).where(
            OperationPartner.status == PartnerStatus.ACTIVE
        )
    ).all()
    active: dict[int, set[int]] = {}
    for operation_id, organisation_id in partners:
        active.setdefault(operation_id, set()).add(organisation_id)
    return {
        row.slug: OperationRef(
            id=row.id,
            slug=row.slug,
            name=row.name,
            status=OperationStatus(row.status),
            timezone=row.timezone,
            participation=Participation(
                row.id, row.lead_organisation_id, frozenset(active.get(row.id, set()))
            ),
        )
        for row in rows
    }


def directory(session: Session) -> dict[str, OperationRef]:
    return worker_cache(session, DIRECTORY_CACHE, _load_directory).get(session)


def _changed(session: Session) -> None:
    """Tell every worker that operations or participation changed."""
    worker_cache(session, DIRECTORY_CACHE, _load_directory)
    changed(session, DIRECTORY_CACHE)


def lookup(session: Session, *, slug: str) -> OperationRef:
    ref = directory(session).get(slug)
    if ref is None:
        raise NotFound("no such operation")
    return ref


def visible_to(session: Session, *, principal: Principal) -> list[OperationRef]:
    """Operations one of the principal's organisations takes part in (active)."""
    orgs = principal.organisation_ids
    return sorted(
        (
            ref
            for ref in directory(session).values()
            if ref.participation.active_organisation_ids & orgs
        ),
        key=lambda ref: ref.name.lower(),
    )


# Validation ------------------------------------------------------------------------


def validate_area(area: Any) -> dict[str, Any] | None:
    """A GeoJSON Polygon/MultiPolygon in lon/lat, valid and non-empty, or None."""
    if area is None:
        return None
    if not isinstance(area, dict):
        raise InvalidInput("area", "must be a GeoJSON object")
    if area.get("type") == "Feature":
        area = area.get("geometry")
        if not isinstance(area, dict):
            raise InvalidInput("area", "the Feature has no geometry")
    if area.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidInput("area", "must be a GeoJSON Polygon or MultiPolygon")
    try:
        geometry = shape(area)
    except Exception:  # noqa: BLE001 - shapely raises several types for bad coordinates
        raise InvalidInput("area", "has malformed coordinates") from None
    if geometry.is_empty:
        raise InvalidInput("area", "is empty")
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise InvalidInput("area", "coordinates must be longitude, latitude in degrees (WGS 84)")
    if not geometry.is_valid:
        raise InvalidInput("area", f"is not a valid polygon ({explain_validity(geometry)})")
    if geometry.area == 0:
        raise InvalidInput("area", "has no surface")
    return {"type": area["type"], "coordinates": area["coordinates"]}


def _validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("timezone", "is not a known IANA time zone") from None
    return name


def _validate_dates(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise InvalidInput("end_date", "must not be before start_date")


# Operations ------------------------------------------------------------------------


def create_operation(
    session: Session,
    *,
    slug: str,
    name: str,
    lead_organisation: Organisation,
    description: str = "",
    area: dict[str, Any] | None = None,
    timezone: str = "UTC",
    status: OperationStatus | str = OperationStatus.PLANNING,
    start_date: date | None = None,
    end_date: date | None = None,
) -> Operation:
    """Create an operation; its lead organisation takes part from the start."""
    slug = (slug or "").strip().lower()
    if not SLUG_PATTERN.match(slug):
        raise InvalidInput("slug", "must be 2–63 characters: lower-case letters, digits and -")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name", "is required")
    if len(name) > 200:
        raise InvalidInput("name", "must be at most 200 characters")
    if lead_organisation.party_to_conflict:
        raise InvalidInput("lead_organisation_id", "a party to the conflict cannot lead")
    try:
        status = OperationStatus(status)
    except ValueError:
        raise InvalidInput("status", "is not a known status") from None
    area = validate_area(area)
    timezone = _validate_timezone(timezone)
    _validate_dates(start_date, end_date)
    if session.scalar(select(Operation.id).where(Operation.slug == slug)):
        raise Conflict("an operation with this slug already exists")
    operation = Operation(
        slug=slug,
        name=name,
        description=description or "",
        area=area,
        timezone=timezone,
        status=status,
        start_date=start_date,
        end_date=end_date,
        lead_organisation=lead_organisation,
    )
    operation.partners.append(
        OperationPartner(organisation=lead_organisation, is_lead=True, status=PartnerStatus.ACTIVE)
    )
    session.add(operation)
    session.flush()
    _changed(session)
    events.publish(session, events.OPERATION_CREATED, operation_id=operation.id)
    return operation


def get_operation(session: Session, *, operation_id: int) -> Operation:
    operation = session.scalar(
        select(Operation)
        .where(Operation.id == operation_id)
        .options(selectinload(Operation.partners).selectinload(OperationPartner.organisation))
    )
    if operation is None:
        raise NotFound("no such operation")
    return operation


_UPDATABLE = {"name", "description", "area", "timezone", "status", "start_date", "end_date"}


def update_operation(session: Session, *, operation: Operation, changes: dict[str, Any]) -> None:
    """Apply ``changes`` (only the fields given); a closed operation stays closed."""
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "cannot be changed")
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise InvalidInput("name", "is required")
        operation.name = name
    if "description" in changes:
        operation.description = changes["description"] or ""
    if "area" in changes:
        operation.area = validate_area(changes["area"])
    if "timezone" in changes:
        operation.timezone = _validate_timezone(changes["timezone"])
    if "status" in changes:
        try:
            status = OperationStatus(changes["status"])
        except ValueError:
            raise InvalidInput("status", "is not a known status") from None
        if operation.status == OperationStatus.CLOSED and status != OperationStatus.CLOSED:
            raise Conflict("a closed operation cannot be reopened")
        operation.status = status
    start = changes.get("start_date", operation.start_date)
    end = changes.get("end_date", operation.end_date)
    _validate_dates(start, end)
    operation.start_date, operation.end_date = start, end
    session.flush()
    _changed(session)


# Partners and invitations ------------------------------------------------------------


def _partner(operation: Operation, organisation_id: int) -> OperationPartner | None:
    for partner in operation.partners:
        if partner.organisation_id == organisation_id:
            return partner
    return None


def invite_partner(
    session: Session,
    *,
    operation: Operation,
    organisation: Organisation,
    created_by_id: int | None,
    valid_days: int = 7,
) -> tuple[str, Invitation]:
    """A single-use invitation; the secret is returned once, only its digest kept."""
    if not 1 <= valid_days <= 60:
        raise InvalidInput("valid_days", "must be between 1 and 60")
    existing = _partner(operation, organisation.id)
    if existing is not None:
        if existing.status == PartnerStatus.ACTIVE:
            raise Conflict("this organisation already takes part in the operation")
        raise Conflict("this organisation is suspended; reinstate it instead")
    if operation.status == OperationStatus.CLOSED:
        raise Conflict("the operation is closed")
    secret, digest = tokens.new_secret("inv")
    invitation = Invitation(
        operation=operation,
        organisation=organisation,
        token_hash=digest,
        created_by_id=created_by_id,
        expires_at=utcnow() + timedelta(days=valid_days),
    )
    session.add(invitation)
    session.flush()
    return secret, invitation


def find_invitation(session: Session, *, secret: str) -> Invitation:
    """The invitation for a secret, whatever its state (NotFound if unknown)."""
    invitation = session.scalar(
        select(Invitation).where(Invitation.token_hash == tokens.digest(secret.strip()))
    )
    if invitation is None:
        raise NotFound("no such invitation")
    return invitation


def accept_invitation(session: Session, *, secret: str, principal: Principal) -> Invitation:
    """Join the operation as the invited organisation (its admin or coordinator)."""
    invitation = find_invitation(session, secret=secret)
    if invitation.accepted_at is not None:
        raise Conflict("this invitation has already been used")
    if invitation.revoked_at is not None:
        raise Conflict("this invitation has been withdrawn")
    if invitation.expires_at <= utcnow():
        raise Conflict("this invitation has expired")
    role = principal.role_in(invitation.organisation_id)
    if role not in (Role.ADMIN, Role.COORDINATOR):
        raise Forbidden("only an admin or coordinator of the invited organisation may accept")
    operation = get_operation(session, operation_id=invitation.operation_id)
    if _partner(operation, invitation.organisation_id) is not None:
        raise Conflict("this organisation already takes part in the operation")
    operation.partners.append(
        OperationPartner(organisation_id=invitation.organisation_id, status=PartnerStatus.ACTIVE)
    )
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = principal.user_id
    session.flush()
    _changed(session)
    return invitation


def revoke_invitation(session: Session, *, operation: Operation, invitation_id: int) -> None:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.operation_id != operation.id:
        raise NotFound("no such invitation")
    if invitation.accepted_at is not None:
        raise Conflict("this invitation has already been used")
    invitation.revoked_at = invitation.revoked_at or utcnow()
    session.flush()


def list_invitations(session: Session, *, operation: Operation) -> list[Invitation]:
    return list(
        session.scalars(
            select(Invitation)
            .where(Invitation.operation_id == operation.id)
            .order_by(Invitation.created_at.desc())
        )
    )


def set_partner_status(
    session: Session, *, operation: Operation, organisation_id: int, status: PartnerStatus | str
) -> OperationPartner:
    """Suspend or reinstate a partner; the lead cannot be suspended."""
    try:
        status = PartnerStatus(status)
    except ValueError:
        raise InvalidInput("status", "must be active or suspended") from None
    partner = _partner(operation, organisation_id)
    if partner is None:
        raise NotFound("this organisation does not take part in the operation")
    if partner.is_lead and status == PartnerStatus.SUSPENDED:
        raise Conflict("the lead organisation cannot be suspended")
    if partner.status != status:
        partner.status = status
        partner.status_changed_at = utcnow()
        session.flush()
        _changed(session)
    return partner
