"""Organisations, users, memberships, API tokens and authentication."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel import Locale
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, sessionmaker

from corridor.accounts import passwords, throttle, tokens
from corridor.accounts.models import (
    ApiToken,
    Membership,
    Organisation,
    OrganisationType,
    Role,
    User,
)
from corridor.accounts.permissions import (
    MembershipView,
    Principal,
    role_reads_personal_data,
)
from corridor.config import Settings
from corridor.db.types import utcnow
from corridor.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from corridor.jobs.cache import changed, worker_cache

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
LANGUAGES = ("en", "ar")


def _countries() -> frozenset[str]:
    # Babel also lists pseudo-regions (ZZ unknown, EU, UN, ...): not countries.
    pseudo = {"ZZ", "QO", "EU", "EZ", "UN"}
    return frozenset(
        code for code in Locale("en").territories
        if len(code) == 2 and code.isalpha() and code not in pseudo
    )


def _clean(value: str | None, field: str, *, required: bool = True, max_length: int = 200) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(field, "is required")
    if len(text) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters")
    return text


# Organisations -----------------------------------------------------------------


def create_organisation(
    session: Session,
    *,
    name: str,
    type: OrganisationType | str,
    acronym: str | None = None,
    country: str | None = None,
    party_to_conflict: bool = False,
) -> Organisation:
    """Create an organisation; names are unique."""
    name = _clean(name, "name")
    try:
        org_type = OrganisationType(type)
    except ValueError:
        choices = ", ".join(t.value for t in OrganisationType)
        raise InvalidInput("type", f"must be one of {choices}") from None
    country_code = (country or "").strip().upper() or None
    if country_code and country_code not in _countries():
        raise InvalidInput("country", "must be an ISO 3166-1 alpha-2 country code")
    if session.scalar(select(Organisation.id).where(Organisation.name == name)):
        raise Conflict("an organisation with this name already exists")
    org = Organisation(
        name=name,
        acronym=_clean(acronym, "acronym", required=False, max_length=32) or None,
        type=org_type,
        country=country_code,
        party_to_conflict=party_to_conflict,
    )
    session.add(org)
    session.flush()
    return org


def get_organisation(session: Session, *, organisation_id: int) -> Organisation:
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound("no such organisation")
    return org


def find_organisation(session: Session, *, name_or_acronym: str) -> Organisation:
    org = session.scalar(
        select(Organisation).where(
            (Organisation.name == name_or_acronym) | (Organisation.acronym == name_or_acronym)
        )
    )
    if org is None:
        raise NotFound("no such organisation")
    return org


def list_organisations(session: Session) -> list[Organisation]:
    """The directory of organisations (names and types only; no personal data)."""
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


def set_party_to_conflict(session: Session, *, organisation: Organisation, value: bool) -> None:
    """Flag an organisation; refused while it holds roles that read personal data."""
    if value:
        for membership in organisation.memberships:
            if role_reads_personal_data(membership.role):
                raise Conflict(
                    "members of this organisation hold roles that read personal "
                    "data; change those roles first"
                )
    organisation.party_to_conflict = value
    session.flush()


# Users and memberships -------------------------------------------------------------


def _check_role_allowed(organisation: Organisation, role: Role) -> None:
    if role_reads_personal_data(role) and not organisation.may_read_personal_data:
        raise InvalidInput(
            "role",
            "an authority or a party to the conflict cannot hold a role that reads personal data",
        )


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput("role", f"must be one of {', '.join(r.value for r in Role)}") from None


def create_user(
    session: Session,
    *,
    login: str,
    display_name: str,
    password: str,
    organisation: Organisation,
    role: Role | str,
    site_admin: bool = False,
    language: str = "en",
) -> User:
    """Create a user with a role in one organisation."""
    login = (login or "").strip().lower()
    if not LOGIN_PATTERN.match(login):
        raise InvalidInput("login", "must be 3–64 characters: lower-case letters, digits, . _ -")
    display_name = _clean(display_name, "display_name")
    role = _role(role)
    if language not in LANGUAGES:
        raise InvalidInput("language", f"must be one of {', '.join(LANGUAGES)}")
    _check_role_allowed(organisation, role)
    passwords.check_policy(password, login=login)
    if session.scalar(select(User.id).where(User.login == login)):
        raise Conflict("this login is already taken")
    user = User(
        login=login,
        display_name=display_name,
        password_hash=passwords.hash_password(password),
        site_admin=site_admin,
        language=language,
        active=True,
    )
    user.memberships.append(Membership(organisation=organisation, role=role))
    session.add(user)
    session.flush()
    return user


def set_membership(
    session: Session, *, user: User, organisation: Organisation, role: Role | str
) -> Membership:
    """Give ``user`` a role in ``organisation`` (replacing any role they had there)."""
    role = _role(role)
    _check_role_allowed(organisation, role)
    for membership in user.memberships:
        if membership.organisation_id == organisation.id:
            membership.role = role
            session.flush()
            return membership
    membership = Membership(user=user, organisation=organisation, role=role)
    session.add(membership)
    session.flush()
    return membership


def remove_membership(session: Session, *, user: User, organisation: Organisation) -> None:
    for membership in list(user.memberships):
        if membership.organisation_id == organisation.id:
            session.delete(membership)
            user.memberships.remove(membership)
    session.flush()


def get_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


def get_user_by_login(session: Session, *, login: str) -> User:
    user = session.scalar(select(User).where(User.login == login.strip().lower()))
    if user is None:
        raise NotFound("no such user")
    return user


def list_users(session: Session, *, organisation_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Membership)
            .where(Membership.organisation_id == organisation_id)
            .order_by(User.login)
        )
    )


def set_active(session: Session, *, user: User, active: bool) -> None:
    user.active = active
    if not active:
        user.session_epoch += 1
    session.flush()


def set_language(session: Session, *, user: User, language: str) -> None:
    if language not in LANGUAGES:
        raise InvalidInput("language", f"must be one of {', '.join(LANGUAGES)}")
    user.language = language
    session.flush()


def may_manage(principal: Principal, organisation_id: int) -> bool:
    """Site admins manage every organisation; admins manage their own."""
    return principal.site_admin or principal.role_in(organisation_id) == Role.ADMIN


def require_manage(principal: Principal, organisation_id: int) -> None:
    if not may_manage(principal, organisation_id):
        raise Forbidden("only this organisation's admins may do this")


PRINCIPALS_CACHE = "accounts.principals"

# Every active user with their memberships: what the permission check needs.
_PRINCIPALS = (
    select(
        User.id,
        User.login,
        User.display_name,
        User.site_admin,
        User.language,
        Membership.organisation_id,
        Membership.role,
        Organisation.type,
        Organisation.party_to_conflict,
    )
    .outerjoin(Membership, Membership.user_id == User.id)
    .outerjoin(Organisation, Organisation.id == Membership.organisation_id)
    .where(User.active.is_(True))
    .order_by(User.id, Membership.organisation_id)
)


def _load_principals(session: Session) -> dict[int, Principal]:
    rows: dict[int, list[Any]] = {}
    for row in session.execute(_PRINCIPALS):
        rows.setdefault(row.id, []).append(row)
    return {
        user_id: Principal(
            user_id=user_id,
            login=found[0].login,
            display_name=found[0].display_name,
            site_admin=found[0].site_admin,
            language=found[0].language,
            memberships=tuple(
                MembershipView(
                    row.organisation_id,
                    row.role,
                    row.type != OrganisationType.AUTHORITY and not row.party_to_conflict,
                )
                for row in found
                if row.organisation_id is not None
            ),
        )
        for user_id, found in rows.items()
    }


def principal_for(session: Session, *, user_id: int) -> Principal | None:
    """The permission check's view of an active user, or None.

    It runs on every request, so each worker keeps every active user's view,
    read in one query with the version it belongs to, and reads them again when
    any user, membership or organisation changes: at once in the worker that
    changed it, within the cache's check interval (a quarter of a second) in the
    others, as for device credentials. ``watch_principals`` notices the changes.
    """
    return worker_cache(session, PRINCIPALS_CACHE, _load_principals).get(session).get(user_id)


def _principals_changed(session: Session, _context: Any) -> None:
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, User | Membership | Organisation):
            changed(session, PRINCIPALS_CACHE)
            return


def watch_principals(factory: sessionmaker[Session]) -> None:
    """Move the principals' version on in every flush that changes who may do what."""
    event.listen(factory, "after_flush", _principals_changed)


# Authentication ------------------------------------------------------------------


def authenticate_password(
    session: Session,
    settings: Settings,
    *,
    login: str,
    password: str,
    address: str,
) -> User:
    """The user for this login and password, throttled and counted on failure.

    On failure the failure is recorded in ``session`` before ``Unauthenticated``
    is raised: the caller must commit before answering, or the count is lost.
    """
    login = (login or "").strip().lower()
    throttle.check(session, settings, login=login, address=address)
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        passwords.verify_dummy(password)
        ok = False
    else:
        ok = passwords.verify_password(user.password_hash, password) and user.active
    if not ok or user is None:
        throttle.record_failure(session, settings, login=login, address=address)
        raise Unauthenticated("the login or password is wrong")
    throttle.clear_login(session, login=login)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def change_password(session: Session, *, user: User, current: str, new: str) -> None:
    """Change a password after checking the current one; other sessions end."""
    if not passwords.verify_password(user.password_hash, current):
        raise InvalidInput("current_password", "is wrong")
    passwords.check_policy(new, login=user.login, field="new_password")
    user.password_hash = passwords.hash_password(new)
    user.session_epoch += 1
    session.flush()


def reset_password(session: Session, *, user: User, new: str) -> None:
    """Set a password without the old one (CLI and organisation admins)."""
    passwords.check_policy(new, login=user.login)
    user.password_hash = passwords.hash_password(new)
    user.session_epoch += 1
    session.flush()


def create_token(
    session: Session, *, user: User, name: str, expires_in_days: int | None = 90
) -> tuple[str, ApiToken]:
    """A new API token; the secret is returned once and only its digest is kept."""
    name = _clean(name, "name", max_length=100)
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise InvalidInput("expires_in_days", "must be between 1 and 3650")
    secret, token_digest = tokens.new_secret("crd")
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=token_digest,
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    session.flush()
    changed(session, TOKENS_CACHE)
    return secret, token


def list_tokens(session: Session, *, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc())
        )
    )


def revoke_token(session: Session, *, user_id: int, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound("no such token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        changed(session, TOKENS_CACHE)
    session.flush()
    return token


TOKENS_CACHE = "accounts.tokens"
TOKEN_USE_NOTED_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class LiveToken:
    id: int
    user_id: int
    expires_at: datetime | None


def _load_tokens(session: Session) -> dict[bytes, LiveToken]:
    return {
        token_hash: LiveToken(token_id, user_id, expires_at)
        for token_hash, token_id, user_id, expires_at in session.execute(
            select(ApiToken.token_hash, ApiToken.id, ApiToken.user_id, ApiToken.expires_at).where(
                ApiToken.revoked_at.is_(None)
            )
        )
    }


_token_noted: dict[int, datetime] = {}


def token_user_id(session: Session, *, secret: str) -> int | None:
    """The user a live, unexpired API token belongs to, or None.

    Answered from each worker's copy of the live tokens (only their SHA-256),
    read again when a token is created or revoked: every API request carries
    its token, and reading it took two queries. A revocation reaches every
    worker within the cache's check interval, as for device credentials.
    Whether the user is still active is the caller's check (``principal_for``).
    """
    live = worker_cache(session, TOKENS_CACHE, _load_tokens).get(session).get(tokens.digest(secret))
    now = utcnow()
    if live is None or (live.expires_at is not None and live.expires_at <= now):
        return None
    noted = _token_noted.get(live.id)
    if noted is None or now - noted > TOKEN_USE_NOTED_EVERY:
        _token_noted[live.id] = now  # when it was last used, every five minutes per worker
        session.execute(update(ApiToken).where(ApiToken.id == live.id).values(last_used_at=now))
    return live.user_id


def authenticate_token(session: Session, *, secret: str) -> User | None:
    """The active user a live token belongs to, or None."""
    user_id = token_user_id(session, secret=secret)
    user = session.get(User, user_id) if user_id is not None else None
    return user if user is not None and user.active else None
