"""Builders of test data through the real services (each in its own transaction)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from corridor.accounts import service as accounts
from corridor.accounts.models import Organisation, OrganisationType, Role, User
from corridor.db.session import Actor, unit_of_work
from corridor.operations import service as operations
from corridor.operations.models import Operation
from corridor.runtime import Runtime

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[1.40, 42.42], [1.80, 42.42], [1.80, 42.66], [1.40, 42.66], [1.40, 42.42]]],
}


@dataclass
class Factory:
    runtime: Runtime
    password: str

    def _uow(self) -> Any:
        return unit_of_work(self.runtime.factory, Actor(label="factory"))

    def organisation(
        self,
        name: str | None = None,
        *,
        type: OrganisationType = OrganisationType.NGO,
        party_to_conflict: bool = False,
    ) -> Organisation:
        with self._uow() as session:
            return accounts.create_organisation(
                session,
                name=name or f"Org {uuid.uuid4().hex[:6]}",
                type=type,
                acronym=None,
                country="AD",
                party_to_conflict=party_to_conflict,
            )

    def user(
        self,
        organisation: Organisation,
        role: Role = Role.COORDINATOR,
        *,
        login: str | None = None,
        site_admin: bool = False,
        language: str = "en",
    ) -> User:
        with self._uow() as session:
            org = session.get(Organisation, organisation.id)
            assert org is not None
            return accounts.create_user(
                session,
                login=login or f"user-{uuid.uuid4().hex[:8]}",
                display_name="Test User",
                password=self.password,
                organisation=org,
                role=role,
                site_admin=site_admin,
                language=language,
            )

    def operation(
        self,
        lead: Organisation,
        *,
        slug: str | None = None,
        partners: list[Organisation] | None = None,
    ) -> Operation:
        with self._uow() as session:
            org = session.get(Organisation, lead.id)
            assert org is not None
            operation = operations.create_operation(
                session,
                slug=slug or f"op-{uuid.uuid4().hex[:8]}",
                name="Test operation",
                lead_organisation=org,
                area=SQUARE,
                timezone="Europe/Andorra",
            )
            for partner in partners or []:
                invited = session.get(Organisation, partner.id)
                assert invited is not None
                _secret, _ = operations.invite_partner(
                    session, operation=operation, organisation=invited, created_by_id=None
                )
            return operation

    def token(self, user: User) -> str:
        with self._uow() as session:
            fresh = session.get(User, user.id)
            assert fresh is not None
            secret, _ = accounts.create_token(session, user=fresh, name="test")
            return secret

    def join(self, operation: Operation, organisation: Organisation) -> None:
        """Invite ``organisation`` and accept as one of its admins."""
        admin = self.user(organisation, Role.ADMIN)
        with self._uow() as session:
            op = operations.get_operation(session, operation_id=operation.id)
            org = session.get(Organisation, organisation.id)
            assert org is not None
            secret, _ = operations.invite_partner(
                session, operation=op, organisation=org, created_by_id=None
            )
            principal = accounts.principal_for(session, user_id=admin.id)
            assert principal is not None
            operations.accept_invitation(session, secret=secret, principal=principal)
