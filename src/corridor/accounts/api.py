"""JSON API of the accounts capability: me, tokens, organisations and their users."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from corridor.accounts import service
from corridor.accounts.models import User
from corridor.accounts.schemas import (
    MembershipOut,
    MeOut,
    OrganisationIn,
    OrganisationOut,
    PasswordChange,
    PasswordSignIn,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserUpdate,
)
from corridor.errors import Forbidden, NotFound, Unauthenticated
from corridor.web.deps import (
    CurrentPrincipal,
    DbSession,
    client_address,
    public,
    signed_in,
)
from corridor.web.schemas import RowId

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def _user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        login=user.login,
        display_name=user.display_name,
        active=user.active,
        language=user.language,
        memberships=[
            MembershipOut(organisation_id=m.organisation_id, role=m.role) for m in user.memberships
        ],
    )


@router.post(
    "/tokens", response_model=TokenCreated, status_code=201, dependencies=[Depends(public)]
)
def sign_in_for_token(body: PasswordSignIn, request: Request, session: DbSession) -> TokenCreated:
    """Exchange a login and password for an API token (throttled like every sign-in)."""
    settings = request.app.state.settings
    try:
        user = service.authenticate_password(
            session,
            settings,
            login=body.login,
            password=body.password,
            address=client_address(request),
        )
    except Unauthenticated:
        session.commit()  # keep the failure count
        raise
    secret, token = service.create_token(
        session, user=user, name=body.token_name, expires_in_days=body.expires_in_days
    )
    return TokenCreated(token=secret, **TokenOut.model_validate(token).model_dump())


@router.get("/me", response_model=MeOut)
def me(principal: CurrentPrincipal) -> MeOut:
    """Who the caller is and their roles."""
    return MeOut(
        id=principal.user_id,
        login=principal.login,
        display_name=principal.display_name,
        language=principal.language,
        site_admin=principal.site_admin,
        memberships=[
            MembershipOut(organisation_id=m.organisation_id, role=m.role)
            for m in principal.memberships
        ],
    )


@router.post("/me/password", status_code=204)
def change_password(
    body: PasswordChange, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """Change the caller's password; their other sessions end."""
    user = service.get_user(session, user_id=principal.user_id)
    service.change_password(
        session, user=user, current=body.current_password, new=body.new_password
    )
    return Response(status_code=204)


@router.get("/me/tokens", response_model=list[TokenOut])
def list_tokens(principal: CurrentPrincipal, session: DbSession) -> list[TokenOut]:
    """The caller's API tokens (never their secrets)."""
    return [
        TokenOut.model_validate(t) for t in service.list_tokens(session, user_id=principal.user_id)
    ]


@router.post("/me/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenIn, principal: CurrentPrincipal, session: DbSession) -> TokenCreated:
    """A new API token; its secret is in this response only."""
    user = service.get_user(session, user_id=principal.user_id)
    secret, token = service.create_token(
        session, user=user, name=body.name, expires_in_days=body.expires_in_days
    )
    return TokenCreated(token=secret, **TokenOut.model_validate(token).model_dump())


@router.delete("/me/tokens/{token_id}", status_code=204)
def revoke_token(token_id: RowId, principal: CurrentPrincipal, session: DbSession) -> Response:
    """Revoke one of the caller's tokens."""
    service.revoke_token(session, user_id=principal.user_id, token_id=token_id)
    return Response(status_code=204)


@router.get(
    "/organisations", response_model=list[OrganisationOut], dependencies=[Depends(signed_in)]
)
def list_organisations(session: DbSession) -> list[OrganisationOut]:
    """The directory of organisations (names and types; no personal data)."""
    return [OrganisationOut.model_validate(o) for o in service.list_organisations(session)]


@router.post("/organisations", response_model=OrganisationOut, status_code=201)
def create_organisation(
    body: OrganisationIn, principal: CurrentPrincipal, session: DbSession
) -> OrganisationOut:
    """Register an organisation (site administrators)."""
    if not principal.site_admin:
        raise Forbidden("only site administrators register organisations")
    org = service.create_organisation(session, **body.model_dump())
    return OrganisationOut.model_validate(org)


@router.get(
    "/organisations/{organisation_id}",
    response_model=OrganisationOut,
    dependencies=[Depends(signed_in)],
)
def get_organisation(organisation_id: RowId, session: DbSession) -> OrganisationOut:
    return OrganisationOut.model_validate(
        service.get_organisation(session, organisation_id=organisation_id)
    )


@router.get("/organisations/{organisation_id}/users", response_model=list[UserOut])
def list_users(
    organisation_id: RowId, principal: CurrentPrincipal, session: DbSession
) -> list[UserOut]:
    """The organisation's users (its admins and site administrators)."""
    service.get_organisation(session, organisation_id=organisation_id)
    service.require_manage(principal, organisation_id)
    return [_user_out(u) for u in service.list_users(session, organisation_id=organisation_id)]


@router.post("/organisations/{organisation_id}/users", response_model=UserOut, status_code=201)
def create_user(
    organisation_id: RowId, body: UserIn, principal: CurrentPrincipal, session: DbSession
) -> UserOut:
    """Add a user with a role in this organisation."""
    org = service.get_organisation(session, organisation_id=organisation_id)
    service.require_manage(principal, organisation_id)
    user = service.create_user(
        session,
        login=body.login,
        display_name=body.display_name,
        password=body.password,
        organisation=org,
        role=body.role,
        language=body.language,
    )
    return _user_out(user)


@router.patch("/organisations/{organisation_id}/users/{user_id}", response_model=UserOut)
def update_user(
    organisation_id: RowId,
    user_id: RowId,
    body: UserUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
) -> UserOut:
    """Change a member's role or disable their account."""
    org = service.get_organisation(session, organisation_id=organisation_id)
    service.require_manage(principal, organisation_id)
    user = service.get_user(session, user_id=user_id)
    if org.id not in {m.organisation_id for m in user.memberships}:
        raise NotFound("no such user in this organisation")
    if body.role is not None:
        service.set_membership(session, user=user, organisation=org, role=body.role)
    if body.active is not None:
        if user.id == principal.user_id and not body.active:
            raise Forbidden("you cannot disable your own account")
        service.set_active(session, user=user, active=body.active)
    return _user_out(user)
