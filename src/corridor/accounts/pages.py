"""HTML pages of the accounts capability: sign-in, account, organisations, users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from corridor.accounts import service
from corridor.accounts.models import OrganisationType, Role
from corridor.errors import CorridorError, Forbidden, Unauthenticated
from corridor.web import i18n
from corridor.web.deps import (
    CurrentPrincipal,
    DbSession,
    OptionalPrincipal,
    check_csrf,
    client_address,
)
from corridor.web.templating import N_, flash, form_errors, render

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect to another host after sign-in."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/operations"


@router.get("/signin")
def signin_page(
    request: Request, principal: OptionalPrincipal, next: str = "/operations"
) -> Response:
    if principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "accounts/signin.html", next=_safe_next(next), error=None)


@router.post("/signin")
def signin(
    request: Request,
    session: DbSession,
    _principal: OptionalPrincipal,
    login: FormStr,
    password: FormStr,
    csrf_token: FormStr = "",
    next: FormStr = "/operations",
) -> Response:
    check_csrf(request, csrf_token)
    settings = request.app.state.settings
    try:
        user = service.authenticate_password(
            session, settings, login=login, password=password, address=client_address(request)
        )
    except Unauthenticated:
        session.commit()  # keep the failure count
        return render(
            request,
            "accounts/signin.html",
            status_code=401,
            next=_safe_next(next),
            error=N_("The login or password is wrong."),
            login=login,
        )
    except CorridorError as exc:
        headers = {"Retry-After": str(getattr(exc, "retry_after", 60))}
        response = render(
            request,
            "accounts/signin.html",
            status_code=exc.status,
            next=_safe_next(next),
            error=N_("Too many failed attempts. Try again later."),
            login=login,
        )
        response.headers.update(headers if exc.status == 429 else {})
        return response
    csrf = request.session.get("csrf")
    request.session.clear()
    request.session.update(
        {"uid": user.id, "epoch": user.session_epoch, "csrf": csrf, "lang": user.language}
    )
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/signout")
def signout(request: Request, _principal: OptionalPrincipal, csrf_token: FormStr = "") -> Response:
    check_csrf(request, csrf_token)
    request.session.clear()
    return RedirectResponse("/signin", status_code=303)


@router.post("/language")
def choose_language(
    request: Request,
    session: DbSession,
    principal: OptionalPrincipal,
    language: FormStr,
    csrf_token: FormStr = "",
    next: FormStr = "/",
) -> Response:
    """Switch the interface language (saved on the account when signed in)."""
    check_csrf(request, csrf_token)
    if language not in i18n.available_languages():
        language = i18n.DEFAULT_LANGUAGE
    if principal is not None:
        user = service.get_user(session, user_id=principal.user_id)
        service.set_language(session, user=user, language=language)
    request.session["lang"] = language
    return RedirectResponse(_safe_next(next), status_code=303)


@router.get("/account")
def account_page(request: Request, principal: CurrentPrincipal, session: DbSession) -> Response:
    tokens = service.list_tokens(session, user_id=principal.user_id)
    return render(request, "accounts/account.html", tokens=tokens, new_token=None, errors={})


@router.post("/account/password")
def account_password(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    current_password: FormStr,
    new_password: FormStr,
    csrf_token: FormStr = "",
) -> Response:
    check_csrf(request, csrf_token)
    user = service.get_user(session, user_id=principal.user_id)
    try:
        service.change_password(session, user=user, current=current_password, new=new_password)
    except CorridorError as exc:
        session.rollback()
        errors = {p.field: p.message for p in exc.problems}
        tokens = service.list_tokens(session, user_id=principal.user_id)
        return render(
            request,
            "accounts/account.html",
            status_code=422,
            tokens=tokens,
            new_token=None,
            errors=errors,
        )
    request.session["epoch"] = user.session_epoch
    flash(request, N_("Your password has been changed."))
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens")
def account_new_token(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    name: FormStr,
    csrf_token: FormStr = "",
) -> Response:
    check_csrf(request, csrf_token)
    user = service.get_user(session, user_id=principal.user_id)
    secret, _token = service.create_token(session, user=user, name=name)
    tokens = service.list_tokens(session, user_id=principal.user_id)
    return render(request, "accounts/account.html", tokens=tokens, new_token=secret, errors={})


@router.post("/account/tokens/{token_id}/revoke")
def account_revoke_token(
    request: Request,
    token_id: int,
    principal: CurrentPrincipal,
    session: DbSession,
    csrf_token: FormStr = "",
) -> Response:
    check_csrf(request, csrf_token)
    service.revoke_token(session, user_id=principal.user_id, token_id=token_id)
    flash(request, N_("The token has been revoked."))
    return RedirectResponse("/account", status_code=303)


@router.get("/organisations")
def organisations_page(
    request: Request, principal: CurrentPrincipal, session: DbSession
) -> Response:
    return render(
        request,
        "accounts/organisations.html",
        organisations=service.list_organisations(session),
        types=list(OrganisationType),
        errors={},
        form={},
    )


@router.post("/organisations")
def organisations_create(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    name: FormStr,
    type: FormStr,
    acronym: FormStr = "",
    country: FormStr = "",
    party_to_conflict: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    check_csrf(request, csrf_token)
    form = {"name": name, "type": type, "acronym": acronym, "country": country}
    try:
        if not principal.site_admin:
            raise Forbidden("only site administrators register organisations")
        service.create_organisation(
            session,
            name=name,
            type=type,
            acronym=acronym or None,
            country=country or None,
            party_to_conflict=party_to_conflict == "on",
        )
    except CorridorError as exc:
        session.rollback()
        errors = form_errors(exc, "name")
        return render(
            request,
            "accounts/organisations.html",
            status_code=exc.status,
            organisations=service.list_organisations(session),
            types=list(OrganisationType),
            errors=errors,
            form=form,
        )
    flash(request, N_("The organisation has been registered."))
    return RedirectResponse("/organisations", status_code=303)


@router.get("/organisations/{organisation_id}")
def organisation_page(
    request: Request, organisation_id: int, principal: CurrentPrincipal, session: DbSession
) -> Response:
    org = service.get_organisation(session, organisation_id=organisation_id)
    manage = service.may_manage(principal, organisation_id)
    users = service.list_users(session, organisation_id=organisation_id) if manage else []
    return render(
        request,
        "accounts/organisation.html",
        organisation=org,
        users=users,
        manage=manage,
        roles=list(Role),
        errors={},
        form={},
    )


@router.post("/organisations/{organisation_id}/users")
def organisation_add_user(
    request: Request,
    organisation_id: int,
    principal: CurrentPrincipal,
    session: DbSession,
    login: FormStr,
    display_name: FormStr,
    password: FormStr,
    role: FormStr,
    csrf_token: FormStr = "",
) -> Response:
    check_csrf(request, csrf_token)
    org = service.get_organisation(session, organisation_id=organisation_id)
    service.require_manage(principal, organisation_id)
    try:
        service.create_user(
            session,
            login=login,
            display_name=display_name,
            password=password,
            organisation=org,
            role=role,
        )
    except CorridorError as exc:
        session.rollback()
        errors = form_errors(exc, "login")
        org = service.get_organisation(session, organisation_id=organisation_id)
        return render(
            request,
            "accounts/organisation.html",
            status_code=exc.status,
            organisation=org,
            manage=True,
            roles=list(Role),
            errors=errors,
            users=service.list_users(session, organisation_id=organisation_id),
            form={"login": login, "display_name": display_name, "role": role},
        )
    flash(request, N_("The user has been added."))
    return RedirectResponse(f"/organisations/{organisation_id}", status_code=303)


@router.post("/organisations/{organisation_id}/users/{user_id}")
def organisation_update_user(
    request: Request,
    organisation_id: int,
    user_id: int,
    principal: CurrentPrincipal,
    session: DbSession,
    role: FormStr = "",
    active: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    check_csrf(request, csrf_token)
    org = service.get_organisation(session, organisation_id=organisation_id)
    service.require_manage(principal, organisation_id)
    user = service.get_user(session, user_id=user_id)
    if role:
        service.set_membership(session, user=user, organisation=org, role=role)
    if active in ("yes", "no") and user.id != principal.user_id:
        service.set_active(session, user=user, active=active == "yes")
    flash(request, N_("The user has been updated."))
    return RedirectResponse(f"/organisations/{organisation_id}", status_code=303)
