"""The demo operation: created or refreshed by ``corridor demo``.

Idempotent: running it again updates the demo's records in place and resets
the demo user's password, so the printed sign-in always works. Later
capabilities add their own sample data through :data:`DEMO_STEPS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.accounts import service as accounts
from corridor.accounts.models import Organisation, OrganisationType, Role, User
from corridor.aid import demo as aid_demo
from corridor.amnesty import demo as amnesty_demo
from corridor.crossings import demo as crossings_demo
from corridor.db.session import Actor, unit_of_work
from corridor.errors import NotFound
from corridor.operations import gazetteer, notice_demo
from corridor.operations import service as operations
from corridor.operations.models import Operation, OperationStatus
from corridor.routing import demo as routing_demo
from corridor.runtime import Runtime

SLUG = "demo"
LEAD = ("Corridor Coordination Cell (demo)", "CCC", OrganisationType.UN_AGENCY)
PARTNER = ("Mountain Relief (demo)", "MR", OrganisationType.NGO)
AUTHORITY = ("Valley Civil Protection (demo)", "VCP", OrganisationType.AUTHORITY)
AREA = {
    "type": "Polygon",
    "coordinates": [
        [[1.405, 42.428], [1.787, 42.428], [1.787, 42.656], [1.405, 42.656], [1.405, 42.428]]
    ],
}


@dataclass(frozen=True)
class DemoSummary:
    operation_slug: str
    login: str


DEMO_STEPS: list[Callable[[Session, Operation], None]] = []


def _organisation(
    session: Session, name: str, acronym: str, org_type: OrganisationType
) -> Organisation:
    existing = session.scalar(select(Organisation).where(Organisation.name == name))
    if existing is not None:
        return existing
    return accounts.create_organisation(
        session, name=name, acronym=acronym, type=org_type, country="AD"
    )


def _demo_user(session: Session, lead: Organisation, password: str) -> User:
    try:
        user = accounts.get_user_by_login(session, login="demo")
    except NotFound:
        return accounts.create_user(
            session,
            login="demo",
            display_name="Demo Coordinator",
            password=password,
            organisation=lead,
            role=Role.COORDINATOR,
            site_admin=True,
        )
    accounts.reset_password(session, user=user, new=password)
    user.active = True
    user.site_admin = True
    accounts.set_membership(session, user=user, organisation=lead, role=Role.COORDINATOR)
    return user


def load_demo(runtime: Runtime, *, password: str) -> DemoSummary:
    """Create or refresh the demo organisations, user, operation and gazetteer."""
    with unit_of_work(runtime.factory, Actor(label="demo")) as session:
        lead = _organisation(session, *LEAD)
        partner = _organisation(session, *PARTNER)
        _organisation(session, *AUTHORITY)
        user = _demo_user(session, lead, password)
        existing = session.scalar(select(Operation).where(Operation.slug == SLUG))
        details = {
            "name": "Demo corridor operation",
            "description": "A fictional evacuation corridor operation for trying Corridor out.",
            "area": AREA,
            "timezone": "Europe/Andorra",
            "status": OperationStatus.ACTIVE,
            "start_date": date(2026, 11, 1),
            "end_date": date(2027, 2, 28),
        }
        if existing is None:
            operation = operations.create_operation(
                session, slug=SLUG, lead_organisation=lead, **details
            )
        else:
            operation = existing
            operations.update_operation(session, operation=operation, changes=details)
        operation = operations.get_operation(session, operation_id=operation.id)
        if partner.id not in {p.organisation_id for p in operation.partners}:
            secret, _ = operations.invite_partner(
                session, operation=operation, organisation=partner, created_by_id=user.id
            )
            partner_admin = _partner_admin(session, partner)
            principal = accounts.principal_for(session, user_id=partner_admin.id)
            assert principal is not None
            operations.accept_invitation(session, secret=secret, principal=principal)
        text = resources.files("corridor.demo_data").joinpath("gazetteer.csv").read_text("utf-8")
        gazetteer.import_areas(session, operation_id=operation.id, rows=gazetteer.parse_csv(text))
        routing_demo.load(session, operation.id)
        crossings_demo.load(session, operation.id)
        aid_demo.load(session, operation.id)
        amnesty_demo.load(session, operation.id, password=password)
        notice_demo.load(session, operation.id)
        for step in DEMO_STEPS:
            step(session, operation)
    # Re-plan the corridors the demo hazards cut, so proposals are there to look at.
    from corridor.jobs.runner import run_pending

    run_pending(runtime.factory)
    return DemoSummary(operation_slug=SLUG, login="demo")


def _partner_admin(session: Session, partner: Organisation) -> User:
    """The partner's admin who accepts the invitation (no usable password)."""
    import secrets

    try:
        return accounts.get_user_by_login(session, login="demo-partner")
    except NotFound:
        return accounts.create_user(
            session,
            login="demo-partner",
            display_name="Demo Partner Admin",
            password=secrets.token_urlsafe(24),
            organisation=partner,
            role=Role.ADMIN,
        )
