"""Organisations, users, roles, tokens and sign-in throttling."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from corridor.accounts import service, throttle
from corridor.accounts.models import ApiToken, OrganisationType, Role
from corridor.config import Settings
from corridor.db.session import unit_of_work
from corridor.db.types import utcnow
from corridor.errors import Conflict, InvalidInput, TooManyAttempts, Unauthenticated
from corridor.jobs.cache import changed
from corridor.runtime import Runtime
from tests.conftest import STRONG_PASSWORD
from tests.factories import Factory


def test_duplicate_login_is_a_conflict_and_changes_nothing(
    runtime: Runtime, factory: Factory
) -> None:
    org = factory.organisation()
    factory.user(org, login="amal")
    with pytest.raises(Conflict), unit_of_work(runtime.factory) as session:
        service.create_user(
            session,
            login="AMAL",
            display_name="Other",
            password=STRONG_PASSWORD,
            organisation=service.get_organisation(session, organisation_id=org.id),
            role=Role.VIEWER,
        )
    with unit_of_work(runtime.factory) as session:
        assert [u.login for u in service.list_users(session, organisation_id=org.id)] == ["amal"]


@pytest.mark.parametrize("login", ["ab", "Has Space", "-dash", "x" * 70])
def test_bad_logins_name_the_field(runtime: Runtime, factory: Factory, login: str) -> None:
    org = factory.organisation()
    with pytest.raises(InvalidInput) as caught, unit_of_work(runtime.factory) as session:
        service.create_user(
            session,
            login=login,
            display_name="X",
            password=STRONG_PASSWORD,
            organisation=service.get_organisation(session, organisation_id=org.id),
            role=Role.VIEWER,
        )
    assert caught.value.field == "login"


def test_authority_or_party_to_the_conflict_cannot_hold_a_personal_data_role(
    runtime: Runtime, factory: Factory
) -> None:
    authority = factory.organisation(type=OrganisationType.AUTHORITY)
    party = factory.organisation(party_to_conflict=True)
    for org in (authority, party):
        for role in (Role.COORDINATOR, Role.FIELD_OFFICER, Role.DDR_OFFICER):
            with pytest.raises(InvalidInput) as caught:
                factory.user(org, role)
            assert caught.value.field == "role"
        factory.user(org, Role.VIEWER)
        factory.user(org, Role.ADMIN)


def test_flagging_an_organisation_as_party_is_refused_while_it_holds_such_roles(
    runtime: Runtime, factory: Factory
) -> None:
    org = factory.organisation()
    factory.user(org, Role.FIELD_OFFICER)
    with pytest.raises(Conflict), unit_of_work(runtime.factory) as session:
        service.set_party_to_conflict(
            session,
            organisation=service.get_organisation(session, organisation_id=org.id),
            value=True,
        )


def test_bad_organisation_input(runtime: Runtime) -> None:
    with unit_of_work(runtime.factory) as session:
        with pytest.raises(InvalidInput, match="type"):
            service.create_organisation(session, name="X", type="militia")
        with pytest.raises(InvalidInput, match="country"):
            service.create_organisation(session, name="X", type="ngo", country="ZZ")
        with pytest.raises(InvalidInput, match="name"):
            service.create_organisation(session, name="  ", type="ngo")


def test_tokens_are_stored_hashed_expire_and_can_be_revoked(
    runtime: Runtime, factory: Factory
) -> None:
    user = factory.user(factory.organisation())
    secret = factory.token(user)
    with unit_of_work(runtime.factory) as session:
        assert service.authenticate_token(session, secret=secret).id == user.id  # type: ignore[union-attr]
        token = service.list_tokens(session, user_id=user.id)[0]
        assert secret.encode() not in bytes(token.token_hash)
        assert len(token.token_hash) == 32
        assert service.authenticate_token(session, secret=secret + "x") is None
        session.execute(
            update(ApiToken)
            .where(ApiToken.id == token.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        # Written behind the service's back: like every writer of tokens, tell the
        # workers, whose copies of the live tokens are read again then.
        changed(session, service.TOKENS_CACHE)
    with unit_of_work(runtime.factory) as session:
        assert service.authenticate_token(session, secret=secret) is None
    other = factory.token(user)
    with unit_of_work(runtime.factory) as session:
        token_id = next(
            t.id
            for t in service.list_tokens(session, user_id=user.id)
            if t.expires_at and t.expires_at > utcnow()
        )
        service.revoke_token(session, user_id=user.id, token_id=token_id)
    with unit_of_work(runtime.factory) as session:
        assert service.authenticate_token(session, secret=other) is None


def _attempt(runtime: Runtime, settings: Settings, login: str, password: str, address: str) -> None:
    with unit_of_work(runtime.factory) as session:
        try:
            service.authenticate_password(
                session, settings, login=login, password=password, address=address
            )
        except Unauthenticated:
            session.commit()
            raise


def test_five_failures_for_a_login_throttle_it_even_with_the_right_password(
    runtime: Runtime, factory: Factory
) -> None:
    user = factory.user(factory.organisation())
    settings = runtime.settings
    for attempt in range(5):
        with pytest.raises(Unauthenticated):
            _attempt(runtime, settings, user.login, f"wrong-{attempt}", f"10.0.0.{attempt}")
    with pytest.raises(TooManyAttempts) as caught:
        _attempt(runtime, settings, user.login, STRONG_PASSWORD, "10.0.0.99")
    assert 0 < caught.value.retry_after <= settings.signin_window_seconds


def test_twenty_failures_from_one_address_throttle_it(runtime: Runtime, factory: Factory) -> None:
    settings = runtime.settings
    user = factory.user(factory.organisation())
    for attempt in range(20):
        with pytest.raises(Unauthenticated):
            _attempt(runtime, settings, f"nobody-{attempt}", "whatever", "192.0.2.7")
    with pytest.raises(TooManyAttempts):
        _attempt(runtime, settings, user.login, STRONG_PASSWORD, "192.0.2.7")
    _attempt(runtime, settings, user.login, STRONG_PASSWORD, "192.0.2.8")
    with unit_of_work(runtime.factory) as session:
        assert throttle.failures(session, login=user.login) == 0


def test_password_change_checks_the_current_one_and_ends_other_sessions(
    runtime: Runtime, factory: Factory
) -> None:
    user = factory.user(factory.organisation())
    with unit_of_work(runtime.factory) as session:
        fresh = service.get_user(session, user_id=user.id)
        with pytest.raises(InvalidInput, match="current_password"):
            service.change_password(session, user=fresh, current="nope", new="new-river-stone-77")
        with pytest.raises(InvalidInput, match="new_password"):
            service.change_password(
                session, user=fresh, current=STRONG_PASSWORD, new="qwerty123456"
            )
        epoch = fresh.session_epoch
        service.change_password(
            session, user=fresh, current=STRONG_PASSWORD, new="new-river-stone-77"
        )
        assert fresh.session_epoch == epoch + 1


def test_principals_are_read_once_and_follow_every_change_at_commit(
    runtime: Runtime, factory: Factory
) -> None:
    from corridor.jobs.cache import worker_cache

    org, other = factory.organisation(), factory.organisation()
    user = factory.user(org, Role.FIELD_OFFICER)

    def principal() -> Any:
        with unit_of_work(runtime.factory) as session:
            return service.principal_for(session, user_id=user.id)

    assert principal().role_in(org.id) == Role.FIELD_OFFICER
    with unit_of_work(runtime.factory) as session:
        cache = worker_cache(session, service.PRINCIPALS_CACHE, lambda _s: {})
    loads = cache.loads
    for _ in range(5):
        assert principal().role_in(org.id) == Role.FIELD_OFFICER
    assert cache.loads == loads  # no change, no new read

    with unit_of_work(runtime.factory) as session:  # a role changes
        found = service.get_user(session, user_id=user.id)
        service.set_membership(session, user=found, organisation=org, role=Role.COORDINATOR)
        service.set_membership(session, user=found, organisation=other, role=Role.VIEWER)
    assert principal().role_in(org.id) == Role.COORDINATOR
    assert principal().role_in(other.id) == Role.VIEWER
    with unit_of_work(runtime.factory) as session:  # a membership ends
        found = service.get_user(session, user_id=user.id)
        service.remove_membership(session, user=found, organisation=other)
    assert principal().role_in(other.id) is None
    with unit_of_work(runtime.factory) as session:  # the account is disabled
        service.set_active(session, user=service.get_user(session, user_id=user.id), active=False)
    assert principal() is None
    with pytest.raises(RuntimeError), unit_of_work(runtime.factory) as session:
        service.set_active(session, user=service.get_user(session, user_id=user.id), active=True)
        raise RuntimeError("rolled back")
    assert principal() is None  # a change that was never committed changes nothing
