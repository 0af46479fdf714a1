"""Request dependencies: the unit of work, who is asking, and the permission check.

Every route declares how it may be reached through exactly one of these
dependencies, each tagged with ``corridor_access`` so a test can enumerate the
app's routes and check them all:

- :func:`public` – the short allowlist (health, sign-in, invitation accept,
  static files);
- :func:`signed_in` – any signed-in user, for things outside an operation;
- :func:`require` (action) – an operation's resources: the operation comes
  from the ``slug`` path parameter and the permission matrix decides.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from corridor.accounts import service as accounts
from corridor.accounts.permissions import (
    PERSONAL_DATA_ACTIONS,
    Action,
    Decision,
    Principal,
    decide,
)
from corridor.audit.access import record_access
from corridor.db.session import Actor, get_actor, read_only, set_actor
from corridor.errors import Forbidden, NotFound, Unauthenticated
from corridor.operations import service as operations
from corridor.runtime import Runtime

if TYPE_CHECKING:
    from corridor.crossings.devices import DeviceLogin

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent."""
    runtime: Runtime = request.app.state.runtime
    session = runtime.factory()
    session.info["request_id"] = getattr(request.state, "request_id", None)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_session, scope="function")]


class SignInRequired(Unauthenticated):
    """Raised for pages: the handler redirects to the sign-in page."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise Forbidden("the form has expired; reload the page and try again")


def _principal(request: Request, session: Session) -> Principal | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _sep, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise Unauthenticated("use an API token: Authorization: Bearer <token>")
        user_id = accounts.token_user_id(session, secret=credential.strip())
        if user_id is None:
            raise Unauthenticated("the API token is invalid, expired or revoked")
        principal = accounts.principal_for(session, user_id=user_id)
    else:
        user_id = request.session.get("uid")
        if not isinstance(user_id, int):
            return None
        principal = accounts.principal_for(session, user_id=user_id)
        user = accounts.get_user(session, user_id=user_id) if principal else None
        if principal is None or user is None or user.session_epoch != request.session.get("epoch"):
            request.session.clear()
            return None
        # Cookie-authenticated API writes need the CSRF header (pages check their forms).
        if request.url.path.startswith("/api/") and request.method not in SAFE_METHODS:
            check_csrf(request, request.headers.get("x-csrf-token"))
    if principal is None:
        raise Unauthenticated("this account is disabled")
    set_actor(session, Actor(label=principal.login, user_id=principal.user_id))
    return principal


def _need_principal(request: Request, session: Session) -> Principal:
    principal = _principal(request, session)
    if principal is None:
        if request.url.path.startswith("/api/"):
            raise Unauthenticated("sign in or send an API token")
        raise SignInRequired("sign in to continue")
    request.state.language = principal.language
    request.state.principal = principal
    return principal


def _tag(fn: Callable[..., Any], access: str, action: Action | None = None) -> Callable[..., Any]:
    fn.corridor_access = access  # type: ignore[attr-defined]
    fn.corridor_action = action  # type: ignore[attr-defined]
    return fn


def public(request: Request, session: DbSession) -> Principal | None:
    """No sign-in needed (the allowlist); the principal if there is one."""
    try:
        principal = _principal(request, session)
    except Unauthenticated:
        principal = None
    if principal is not None:
        request.state.language = principal.language
        request.state.principal = principal
    return principal


_tag(public, "public")


def signed_in(request: Request, session: DbSession) -> Principal:
    """Any signed-in user (for things that belong to no operation)."""
    return _need_principal(request, session)


_tag(signed_in, "signed_in")


@dataclass(frozen=True)
class OperationContext:
    """The caller, the operation from the path, and what the matrix decided."""

    principal: Principal
    operation: operations.OperationRef
    decision: Decision
    session: Session


def require(action: Action) -> Callable[..., OperationContext]:
    """Dependency for a route on ``/operations/{slug}/...`` that needs ``action``."""

    def dependency(request: Request, slug: str, session: DbSession) -> OperationContext:
        principal = _need_principal(request, session)
        try:
            ref = operations.lookup(session, slug=slug)
        except NotFound:
            raise NotFound("no such operation") from None
        decision = decide(principal, ref.participation, action)
        if not decision.participating:
            # 404, not 403: an outsider must not learn that the operation exists.
            raise NotFound("no such operation")
        if not decision.allowed:
            raise Forbidden("your role does not allow this in this operation")
        if action in PERSONAL_DATA_ACTIONS:
            # What was read: the endpoint, and the ids in its path (never the slug).
            endpoint = request.scope.get("endpoint")
            ids = [str(value) for name, value in request.path_params.items() if name != "slug"]
            record_access(
                session,
                user_id=principal.user_id,
                operation_id=ref.id,
                action=str(action),
                entity_type=getattr(endpoint, "__name__", request.url.path)[:64],
                entity_id="/".join(ids)[:64] or None,
            )
        request.state.principal = principal
        request.state.operation = ref
        return OperationContext(principal, ref, decision, session)

    dependency.__name__ = f"require_{action.value.replace('.', '_')}"
    return _tag(dependency, "operation", action)  # type: ignore[return-value]


class DeviceUnauthenticated(Unauthenticated):
    """401 for an OpenRosa client: it retries with HTTP Basic credentials."""


def require_device(action: Action) -> Callable[..., OperationContext]:
    """Dependency for an OpenRosa route (``/openrosa/{slug}/...``) that needs ``action``.

    Field apps authenticate with HTTP Basic on every request: an app credential
    issued for this operation, or the officer's own login and password.
    """

    def dependency(request: Request, slug: str, session: DbSession) -> OperationContext:
        return _sign_in_device(request, slug, session, action, reads_only=False)

    dependency.__name__ = f"require_device_{action.value.replace('.', '_')}"
    return _tag(dependency, "operation", action)  # type: ignore[return-value]


@dataclass(frozen=True)
class DeviceContext:
    """A field device signed in, for a route that writes nothing through a session."""

    principal: Principal
    operation: operations.OperationRef
    decision: Decision
    login: DeviceLogin
    actor: Actor


def require_device_login(action: Action) -> Callable[..., Awaitable[DeviceContext]]:
    """:func:`require_device` for the submission routes, which the busiest clients call.

    The sign-in runs in one short read-only transaction of its own, in one
    trip to the thread pool, and is over before the body is read: a
    submission is stored by the worker's writer (``corridor.crossings.intake``),
    not through a request session. The route itself can then be asynchronous,
    and on SQLite a device's sign-in never queues behind the writer.
    """

    def sign_in(request: Request, slug: str) -> DeviceContext:
        session = request.app.state.runtime.factory()
        try:
            ctx = _sign_in_device(request, slug, session, action, reads_only=True)
            actor = get_actor(session)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        return DeviceContext(
            ctx.principal, ctx.operation, ctx.decision, request.state.device_login, actor
        )

    async def dependency(request: Request, slug: str) -> DeviceContext:
        return await run_in_threadpool(sign_in, request, slug)

    dependency.__name__ = f"require_device_login_{action.value.replace('.', '_')}"
    return _tag(dependency, "operation", action)  # type: ignore[return-value]


def _sign_in_device(
    request: Request, slug: str, session: Session, action: Action, *, reads_only: bool
) -> OperationContext:
    """``reads_only``: nothing is written through ``session``, so a device's sign-in
    runs in a read-only transaction (a password sign-in may write: the throttle)."""
    from corridor.crossings import devices  # the capability owns its credentials

    credentials = devices.parse_basic(request.headers.get("authorization"))
    if credentials is None:
        raise DeviceUnauthenticated("sign in with the credentials of your device")
    if reads_only and devices.is_device_login(credentials[0]):
        read_only(session)
    try:
        login = devices.authenticate_basic(
            session,
            request.app.state.settings,
            username=credentials[0],
            password=credentials[1],
            address=client_address(request),
        )
    except Unauthenticated as error:
        session.commit()  # keep the throttle's count of the failure
        raise DeviceUnauthenticated(error.detail) from None
    principal = accounts.principal_for(session, user_id=login.user_id)
    if principal is None:
        raise DeviceUnauthenticated("this account is disabled")
    try:
        ref = operations.lookup(session, slug=slug)
    except NotFound:
        raise NotFound("no such operation") from None
    decision = decide(principal, ref.participation, action)
    if not decision.participating or login.operation_id not in (None, ref.id):
        raise NotFound("no such operation")
    if not decision.allowed:
        raise Forbidden("your role does not allow this in this operation")
    set_actor(session, Actor(label=login.label, user_id=principal.user_id))
    request.state.principal = principal
    request.state.operation = ref
    request.state.device_login = login
    return OperationContext(principal, ref, decision, session)


CurrentPrincipal = Annotated[Principal, Depends(signed_in)]
OptionalPrincipal = Annotated[Principal | None, Depends(public)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
