"""Operations, invitations and partner participation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from corridor.accounts import service as accounts
from corridor.accounts.models import Role
from corridor.db.session import unit_of_work
from corridor.db.types import utcnow
from corridor.errors import Conflict, Forbidden, InvalidInput, NotFound
from corridor.operations import service
from corridor.operations.models import Invitation, Operation, OperationStatus, PartnerStatus
from corridor.runtime import Runtime
from tests.factories import SQUARE, Factory


def _create(runtime: Runtime, lead_id: int, **overrides: Any) -> Operation:
    with unit_of_work(runtime.factory) as session:
        lead = accounts.get_organisation(session, organisation_id=lead_id)
        values: dict[str, Any] = {
            "slug": "alpha",
            "name": "Alpha",
            "area": SQUARE,
            "timezone": "Asia/Damascus",
        }
        values.update(overrides)
        return service.create_operation(session, lead_organisation=lead, **values)


def _count(runtime: Runtime) -> int:
    with unit_of_work(runtime.factory) as session:
        return session.scalar(select(func.count()).select_from(Operation)) or 0


BAD_AREAS = [
    ("a string", "GeoJSON object"),
    ({"type": "Point", "coordinates": [1, 2]}, "Polygon or MultiPolygon"),
    ({"type": "Polygon", "coordinates": "nope"}, "malformed"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, "valid"),
    ({"type": "Polygon", "coordinates": [[[200, 0], [201, 0], [201, 1], [200, 0]]]}, "longitude"),
    ({"type": "Polygon", "coordinates": []}, "empty"),
    ({"type": "Feature", "geometry": None}, "no geometry"),
]


@pytest.mark.parametrize(("area", "message"), BAD_AREAS)
def test_malformed_areas_are_refused_and_nothing_is_written(
    runtime: Runtime, factory: Factory, area: Any, message: str
) -> None:
    lead = factory.organisation()
    with pytest.raises(InvalidInput) as caught:
        _create(runtime, lead.id, area=area)
    assert caught.value.field == "area"
    assert message in caught.value.detail
    assert _count(runtime) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start_date": date(2026, 5, 2), "end_date": date(2026, 5, 1)}, "end_date"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"name": " "}, "name"),
        ({"status": "paused"}, "status"),
    ],
)
def test_bad_operation_fields_are_named(
    runtime: Runtime, factory: Factory, overrides: dict[str, Any], field: str
) -> None:
    lead = factory.organisation()
    with pytest.raises(InvalidInput) as caught:
        _create(runtime, lead.id, **overrides)
    assert caught.value.field == field
    assert _count(runtime) == 0


def test_duplicate_slug_is_a_conflict(runtime: Runtime, factory: Factory) -> None:
    lead = factory.organisation()
    _create(runtime, lead.id)
    with pytest.raises(Conflict):
        _create(runtime, lead.id, name="Another")
    assert _count(runtime) == 1


def test_a_feature_or_multipolygon_area_is_accepted(runtime: Runtime, factory: Factory) -> None:
    lead = factory.organisation()
    _create(
        runtime,
        lead.id,
        slug="feat",
        area={"type": "Feature", "geometry": SQUARE, "properties": {}},
    )
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]}
    operation = _create(runtime, lead.id, slug="multi", area=multi)
    assert operation.area == multi


def test_a_closed_operation_cannot_be_reopened(runtime: Runtime, factory: Factory) -> None:
    lead = factory.organisation()
    created = _create(runtime, lead.id, status=OperationStatus.CLOSED)
    with unit_of_work(runtime.factory) as session:
        operation = service.get_operation(session, operation_id=created.id)
        with pytest.raises(Conflict):
            service.update_operation(session, operation=operation, changes={"status": "active"})


def _invite(runtime: Runtime, operation_id: int, org_id: int, **kwargs: Any) -> str:
    with unit_of_work(runtime.factory) as session:
        operation = service.get_operation(session, operation_id=operation_id)
        org = accounts.get_organisation(session, organisation_id=org_id)
        secret, _ = service.invite_partner(
            session, operation=operation, organisation=org, created_by_id=None, **kwargs
        )
        return secret


def _accept(runtime: Runtime, secret: str, user_id: int) -> None:
    with unit_of_work(runtime.factory) as session:
        principal = accounts.principal_for(session, user_id=user_id)
        assert principal is not None
        service.accept_invitation(session, secret=secret, principal=principal)


def test_invitation_is_single_use_and_grants_access(runtime: Runtime, factory: Factory) -> None:
    lead, partner = factory.organisation(), factory.organisation()
    operation = factory.operation(lead)
    partner_admin = factory.user(partner, Role.ADMIN)
    secret = _invite(runtime, operation.id, partner.id)
    with unit_of_work(runtime.factory) as session:
        principal = accounts.principal_for(session, user_id=partner_admin.id)
        assert principal is not None
        assert service.visible_to(session, principal=principal) == []
    _accept(runtime, secret, partner_admin.id)
    with unit_of_work(runtime.factory) as session:
        principal = accounts.principal_for(session, user_id=partner_admin.id)
        assert principal is not None
        assert [r.slug for r in service.visible_to(session, principal=principal)] == [
            operation.slug
        ]
    with pytest.raises(Conflict, match="already been used"):
        _accept(runtime, secret, partner_admin.id)


def test_expired_unknown_and_wrong_organisation_invitations(
    runtime: Runtime, factory: Factory
) -> None:
    lead, partner, other = factory.organisation(), factory.organisation(), factory.organisation()
    operation = factory.operation(lead)
    partner_admin = factory.user(partner, Role.ADMIN)
    partner_viewer = factory.user(partner, Role.VIEWER)
    other_admin = factory.user(other, Role.ADMIN)
    secret = _invite(runtime, operation.id, partner.id)
    with pytest.raises(Forbidden):
        _accept(runtime, secret, other_admin.id)
    with pytest.raises(Forbidden):
        _accept(runtime, secret, partner_viewer.id)
    with pytest.raises(NotFound):
        _accept(runtime, "inv_not-a-real-token", partner_admin.id)
    with unit_of_work(runtime.factory) as session:
        session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
    with pytest.raises(Conflict, match="expired"):
        _accept(runtime, secret, partner_admin.id)


def test_inviting_a_current_partner_is_a_conflict(runtime: Runtime, factory: Factory) -> None:
    lead, partner = factory.organisation(), factory.organisation()
    operation = factory.operation(lead)
    factory.join(operation, partner)
    with pytest.raises(Conflict):
        _invite(runtime, operation.id, partner.id)
    with pytest.raises(Conflict):
        _invite(runtime, operation.id, lead.id)


def test_suspending_a_partner_removes_access_at_once(runtime: Runtime, factory: Factory) -> None:
    lead, partner = factory.organisation(), factory.organisation()
    operation = factory.operation(lead)
    factory.join(operation, partner)
    viewer = factory.user(partner, Role.VIEWER)

    def visible() -> list[str]:
        with unit_of_work(runtime.factory) as session:
            principal = accounts.principal_for(session, user_id=viewer.id)
            assert principal is not None
            return [r.slug for r in service.visible_to(session, principal=principal)]

    assert visible() == [operation.slug]
    with unit_of_work(runtime.factory) as session:
        op = service.get_operation(session, operation_id=operation.id)
        service.set_partner_status(
            session, operation=op, organisation_id=partner.id, status=PartnerStatus.SUSPENDED
        )
    assert visible() == []
    with unit_of_work(runtime.factory) as session:
        op = service.get_operation(session, operation_id=operation.id)
        with pytest.raises(Conflict):
            service.set_partner_status(
                session, operation=op, organisation_id=lead.id, status=PartnerStatus.SUSPENDED
            )
        service.set_partner_status(
            session, operation=op, organisation_id=partner.id, status=PartnerStatus.ACTIVE
        )
    assert visible() == [operation.slug]
