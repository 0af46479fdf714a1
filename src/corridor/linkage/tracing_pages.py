"""HTML pages of family tracing: standing requests, their possible matches, findings.

A caseworker records who is looking for whom; the request is matched against
everyone registered and against every new registration. Possible matches wait
here for the caseworker, who confirms or rejects each, and closes the request
when the search is over. Nothing reaches the person asking from here: the
caseworker follows up in person.

For the same role as the review queue (``linkage.review``): the pages show
names of registered people and of enquirers, so each visit is in the access log.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import case, func, select

from corridor.accounts.permissions import Action
from corridor.errors import CorridorError, InvalidInput
from corridor.linkage import api as linkage_api
from corridor.linkage import tracing
from corridor.linkage.models import TracingMatch, TracingStatus
from corridor.linkage.pages import COMPARISONS
from corridor.web.deps import OperationContext, check_csrf, require
from corridor.web.schemas import RowId
from corridor.web.templating import N_, flash, render

router = APIRouter(include_in_schema=False)
Review = Depends(require(Action.LINKAGE_REVIEW))
FormStr = Annotated[str, Form()]
SOUGHT_LIMITS = {
    "given_name": 100,
    "father_name": 100,
    "grandfather_name": 100,
    "family_name": 100,
    "mother_name": 200,
    "sex": 6,
    "birth_date": 10,
    "age_estimate": 10,
    "origin": 200,
}
RELATIONSHIPS = {  # the enquirer is the sought person's …
    "parent": N_("Parent"),
    "child": N_("Child"),
    "sibling": N_("Brother or sister"),
    "spouse": N_("Spouse"),
    "grandparent": N_("Grandparent"),
    "relative": N_("Other relative"),
    "other": N_("Other"),
}


@router.get("/operations/{slug}/linkage/tracing")
def requests_page(request: Request, ctx: OperationContext = Review) -> Response:
    """The operation's tracing requests and the form to open one."""
    return _requests_page(request, ctx, asked={}, errors={})


def _requests_page(
    request: Request,
    ctx: OperationContext,
    *,
    asked: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    requests = linkage_api.tracing_request_list(ctx)
    # New matches per request, and whether any of them is a priority (a child's).
    rows = ctx.session.execute(
        select(
            TracingMatch.request_id,
            func.count(),
            func.max(case((TracingMatch.priority.is_(True), 1), else_=0)),
        )
        .where(TracingMatch.operation_id == ctx.operation.id, TracingMatch.status == "new")
        .group_by(TracingMatch.request_id)
    ).all()
    counts = {request_id: count for request_id, count, _priority in rows}
    priority = {request_id for request_id, _count, urgent in rows if urgent}
    response = render(
        request,
        "linkage/tracing.html",
        operation=ctx.operation,
        requests=requests,
        new_matches=counts,
        priority=priority,
        asked=asked,
        errors=errors,
        relationships=RELATIONSHIPS,
    )
    response.status_code = status_code
    return response


@router.post("/operations/{slug}/linkage/tracing")
def open_request(
    request: Request,
    given_name: FormStr = "",
    father_name: FormStr = "",
    grandfather_name: FormStr = "",
    family_name: FormStr = "",
    mother_name: FormStr = "",
    sex: FormStr = "",
    birth_date: FormStr = "",
    age_estimate: FormStr = "",
    origin: FormStr = "",
    enquirer_name: FormStr = "",
    relationship: FormStr = "",
    consent_to_share: FormStr = "",
    for_child: FormStr = "",
    csrf_token: FormStr = "",
    ctx: OperationContext = Review,
) -> Response:
    """Record a request; it is matched now and against every new registration.

    A plain (not async) handler: matching runs in the thread pool, not on the
    event loop.
    """
    check_csrf(request, csrf_token)
    given = {
        "given_name": given_name,
        "father_name": father_name,
        "grandfather_name": grandfather_name,
        "family_name": family_name,
        "mother_name": mother_name,
        "sex": sex,
        "birth_date": birth_date,
        "age_estimate": age_estimate,
        "origin": origin,
    }
    asked = {name: given[name][:limit] for name, limit in SOUGHT_LIMITS.items()}
    enquirer = enquirer_name[:200]
    consent = consent_to_share == "yes"
    child = for_child == "yes"
    shown = {**asked, "enquirer_name": enquirer, "relationship": relationship}
    errors: dict[str, str] = {}
    if relationship and relationship not in RELATIONSHIPS:
        errors["relationship"] = "choose one of the list"
    if asked["sex"] not in ("", "m", "f"):
        errors["sex"] = "must be m, f or blank"
    if not errors:
        try:
            created = tracing.open_request(
                ctx.session,
                operation_id=ctx.operation.id,
                organisation_id=min(ctx.decision.organisation_ids),
                caseworker_id=ctx.principal.user_id,
                sought=asked,
                enquirer_name=enquirer,
                relationship=relationship,
                consent_to_share=consent,
                for_child=child,
            )
        except InvalidInput as error:
            errors[error.field.removeprefix("sought.")] = error.problems[0].message
        else:
            flash(request, N_("Tracing request recorded; every new registration is checked."))
            return RedirectResponse(
                f"/operations/{ctx.operation.slug}/linkage/tracing/{created.id}", status_code=303
            )
    return _requests_page(request, ctx, asked=shown, errors=errors, status_code=422)


@router.get("/operations/{slug}/linkage/tracing/{request_id}")
def request_page(
    request: Request, request_id: uuid.UUID, ctx: OperationContext = Review
) -> Response:
    """One request: who is looked for, and the possible matches to look at."""
    tracing_request = tracing.get_request(
        ctx.session, operation_id=ctx.operation.id, request_id=request_id
    )
    matches = linkage_api.matches_of(ctx, tracing_request)
    return render(
        request,
        "linkage/tracing_request.html",
        operation=ctx.operation,
        tracing_request=tracing_request,
        matches=matches,
        comparisons=COMPARISONS,
        relationships=RELATIONSHIPS,
        is_open=tracing_request.status == TracingStatus.OPEN,
    )


@router.post("/operations/{slug}/linkage/tracing/{request_id}/matches/{match_id}")
def decide_match(
    request: Request,
    request_id: uuid.UUID,
    match_id: RowId,
    decision: FormStr = "",
    csrf_token: FormStr = "",
    ctx: OperationContext = Review,
) -> Response:
    check_csrf(request, csrf_token)
    try:
        tracing.decide_match(
            ctx.session,
            operation_id=ctx.operation.id,
            request_id=request_id,
            match_id=match_id,
            decision=decision,
        )
        flash(request, N_("Finding saved."))
    except CorridorError as error:
        flash(request, error.detail, "error")
    return _back(ctx, request_id)


@router.post("/operations/{slug}/linkage/tracing/{request_id}/close")
def close_request(
    request: Request,
    request_id: uuid.UUID,
    csrf_token: FormStr = "",
    ctx: OperationContext = Review,
) -> Response:
    check_csrf(request, csrf_token)
    try:
        tracing.close_request(ctx.session, operation_id=ctx.operation.id, request_id=request_id)
        flash(request, N_("Tracing request closed."))
    except CorridorError as error:
        flash(request, error.detail, "error")
    return _back(ctx, request_id)


def _back(ctx: OperationContext, request_id: uuid.UUID) -> Response:
    return RedirectResponse(
        f"/operations/{ctx.operation.slug}/linkage/tracing/{request_id}", status_code=303
    )
