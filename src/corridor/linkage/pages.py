"""HTML pages of the linkage: the review queue, a run, and tracing search.

For the lead organisation's coordinators (``linkage.review``): each page shows
names of registered people, so each visit is in the access log (the
dependency records it).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from corridor.accounts.permissions import Action
from corridor.errors import CorridorError, InvalidInput
from corridor.linkage import api as linkage_api
from corridor.linkage import matching, persons
from corridor.linkage.features import query_features
from corridor.linkage.models import LinkageRun, ReviewItem, ReviewStatus
from corridor.web.deps import OperationContext, check_csrf, require
from corridor.web.schemas import RowId
from corridor.web.templating import N_, flash, render

router = APIRouter(include_in_schema=False)
Review = Depends(require(Action.LINKAGE_REVIEW))
FormStr = Annotated[str, Form()]
COMPARISONS = {
    "given": N_("Given name"),
    "parents": N_("Father, grandfather, mother"),
    "family": N_("Family name"),
    "birth": N_("Date of birth"),
    "sex": N_("Sex"),
    "phone": N_("Phone"),
    "document": N_("Document number"),
    "origin": N_("Place of origin"),
}


@router.get("/operations/{slug}/linkage")
def reviews_page(request: Request, ctx: OperationContext = Review) -> Response:
    """The last run and the pairs waiting for a decision, most likely first."""
    last = ctx.session.scalar(
        select(LinkageRun)
        .where(LinkageRun.operation_id == ctx.operation.id)
        .order_by(LinkageRun.id.desc())
        .limit(1)
    )
    items = ctx.session.scalars(
        select(ReviewItem)
        .where(ReviewItem.operation_id == ctx.operation.id, ReviewItem.status == ReviewStatus.OPEN)
        .order_by(ReviewItem.match_probability.desc().nulls_last(), ReviewItem.id)
        .limit(50)
    ).all()
    open_count = ctx.session.scalar(
        select(func.count())
        .select_from(ReviewItem)
        .where(ReviewItem.operation_id == ctx.operation.id, ReviewItem.status == ReviewStatus.OPEN)
    )
    return render(
        request,
        "linkage/reviews.html",
        operation=ctx.operation,
        last_run=last,
        reviews=[linkage_api._review_out(ctx, item) for item in items],
        open_count=open_count,
        comparisons=COMPARISONS,
    )


@router.post("/operations/{slug}/linkage/runs")
def run_now(request: Request, csrf_token: FormStr = "", ctx: OperationContext = Review) -> Response:
    check_csrf(request, csrf_token)
    persons.run(ctx.session, operation_id=ctx.operation.id)
    flash(request, N_("Linkage run finished."))
    return RedirectResponse(f"/operations/{ctx.operation.slug}/linkage", status_code=303)


@router.post("/operations/{slug}/linkage/reviews/{review_id}")
def decide_review(
    request: Request,
    review_id: RowId,
    decision: FormStr = "",
    csrf_token: FormStr = "",
    ctx: OperationContext = Review,
) -> Response:
    check_csrf(request, csrf_token)
    if decision not in ("same", "different"):
        flash(request, N_("Choose: the same person, or different people."), "error")
    else:
        try:
            persons.decide(
                ctx.session,
                operation_id=ctx.operation.id,
                review_id=review_id,
                same=decision == "same",
                user_id=ctx.principal.user_id,
            )
            flash(request, N_("Decision saved; the next run applies it."))
        except CorridorError as error:
            flash(request, error.detail, "error")
    return RedirectResponse(f"/operations/{ctx.operation.slug}/linkage", status_code=303)


@router.get("/operations/{slug}/linkage/search")
def search_page(
    request: Request,
    given_name: str = "",
    father_name: str = "",
    grandfather_name: str = "",
    family_name: str = "",
    mother_name: str = "",
    age: str = "",
    origin: str = "",
    ctx: OperationContext = Review,
) -> Response:
    """Tracing: who, among the registered, may be the person a family is looking for."""
    asked = {
        "given_name": given_name,
        "father_name": father_name,
        "grandfather_name": grandfather_name,
        "family_name": family_name,
        "mother_name": mother_name,
        "age": age,
        "origin": origin,
    }
    errors: dict[str, str] = {}
    results: list[linkage_api.CandidateOut] | None = None
    if any(value.strip() for value in asked.values()):
        try:
            query = query_features(
                {
                    "given_name": given_name[:100],
                    "father_name": father_name[:100],
                    "grandfather_name": grandfather_name[:100],
                    "family_name": family_name[:100],
                    "mother_name": mother_name[:200],
                    "age_estimate": age[:10],
                    "origin": origin[:200],
                },
                renamed={"age_estimate": "age"},
            )
        except InvalidInput as error:
            errors[error.field] = error.problems[0].message
        else:
            found = matching.find_matches(
                ctx.session, operation_id=ctx.operation.id, queries=[query], limit=10
            )
            results = [linkage_api._candidate(ctx, c) for c in found["query"]]
    return render(
        request,
        "linkage/search.html",
        operation=ctx.operation,
        asked=asked,
        errors=errors,
        results=results,
        comparisons=COMPARISONS,
    )


@router.get("/operations/{slug}/linkage/registrations/{registration_id}/duplicates")
def duplicates_fragment(
    request: Request, registration_id: uuid.UUID, ctx: OperationContext = Review
) -> Response:
    """Loaded into the submission page: earlier registrations of these people."""
    found = linkage_api.possible_duplicates(registration_id, ctx)
    return render(
        request,
        "linkage/duplicates.html",
        operation=ctx.operation,
        found=found,
        comparisons=COMPARISONS,
    )
