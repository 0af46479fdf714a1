"""JSON API of the linkage: runs, the review queue and its decisions, persons.

Everything here shows or changes who is the same person as whom, so it is
for the lead organisation's coordinators only, and every read is in the access
log (``linkage.review`` is a personal-data action).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from corridor.accounts.permissions import Action
from corridor.crossings.models import Registration, RegistrationMember
from corridor.errors import NotFound
from corridor.linkage import matching, persons, tracing
from corridor.linkage.features import query_features
from corridor.linkage.models import (
    Person,
    PersonRecord,
    ReviewItem,
    ReviewStatus,
    TracingMatch,
    TracingRequest,
)
from corridor.web.deps import OperationContext, require
from corridor.web.schemas import ApiInput, RowId

router = APIRouter(prefix="/api/v1/operations/{slug}/linkage", tags=["linkage"])
Review = Depends(require(Action.LINKAGE_REVIEW))


class RunOut(BaseModel):
    id: int
    engine: str
    started_at: datetime
    finished_at: datetime | None
    records: int
    persons: int
    merged: int
    to_review: int


class RecordOut(BaseModel):
    """One side of a pair: the names and facts a reviewer compares."""

    member_id: uuid.UUID
    person_id: uuid.UUID | None
    given_name: str
    father_name: str
    grandfather_name: str
    family_name: str
    mother_name: str
    sex: str
    dob: str | None
    dob_precision: str
    age_estimate: int | None
    origin: str


class ReviewOut(BaseModel):
    id: int
    status: ReviewStatus
    match_probability: float | None
    weights: dict[str, float]  # match weight of each comparison: why the model hesitated
    a: RecordOut
    b: RecordOut
    decided_at: datetime | None


class DecisionIn(ApiInput):
    same: bool = Field(description="true: one person; false: never merge them")


class PairDecisionIn(DecisionIn):
    member_a: uuid.UUID
    member_b: uuid.UUID


class PersonOut(BaseModel):
    id: uuid.UUID  # the current id (after following merges)
    requested: uuid.UUID
    household_id: uuid.UUID | None
    members: list[uuid.UUID]


@router.post("/runs", status_code=201, response_model=RunOut)
def start_run(ctx: OperationContext = Review) -> RunOut:
    """Deduplicate the operation's registrations now; decisions already taken are kept."""
    run = persons.run(ctx.session, operation_id=ctx.operation.id)
    return RunOut.model_validate(run, from_attributes=True)


@router.get("/reviews", response_model=list[ReviewOut])
def list_reviews(
    status: ReviewStatus = ReviewStatus.OPEN,
    limit: int = Query(50, ge=1, le=500),
    ctx: OperationContext = Review,
) -> list[ReviewOut]:
    """Pairs the model was unsure about, most likely first, with both records."""
    items = ctx.session.scalars(
        select(ReviewItem)
        .where(ReviewItem.operation_id == ctx.operation.id, ReviewItem.status == status)
        .order_by(ReviewItem.match_probability.desc().nulls_last(), ReviewItem.id)
        .limit(limit)
    ).all()
    return [_review_out(ctx, item) for item in items]


@router.post("/reviews/{review_id}/decision", response_model=ReviewOut)
def decide_review(review_id: RowId, body: DecisionIn, ctx: OperationContext = Review) -> ReviewOut:
    """Accept (same person) or reject (different persons); later runs respect it. 409 if taken."""
    item = persons.decide(
        ctx.session,
        operation_id=ctx.operation.id,
        review_id=review_id,
        same=body.same,
        user_id=ctx.principal.user_id,
    )
    return _review_out(ctx, item)


@router.post("/decisions", status_code=201, response_model=ReviewOut)
def decide_any_pair(body: PairDecisionIn, ctx: OperationContext = Review) -> ReviewOut:
    """Merge or split persons by deciding on two records the model did not queue."""
    item = persons.decide_pair(
        ctx.session,
        operation_id=ctx.operation.id,
        member_a=body.member_a,
        member_b=body.member_b,
        same=body.same,
        user_id=ctx.principal.user_id,
    )
    return _review_out(ctx, item)


@router.get("/persons/{person_id}", response_model=PersonOut)
def get_person(person_id: uuid.UUID, ctx: OperationContext = Review) -> PersonOut:
    """A person by any id it ever had (merged ids resolve to the one kept)."""
    current = persons.resolve(ctx.session, person_id)
    person = ctx.session.get(Person, current)
    if person is None or person.operation_id != ctx.operation.id:
        raise NotFound("no such person")
    members = ctx.session.scalars(
        select(PersonRecord.member_id).where(PersonRecord.person_id == current)
    ).all()
    return PersonOut(
        id=current, requested=person_id, household_id=person.household_id, members=list(members)
    )


class SearchIn(ApiInput):
    """What is known of the person looked for; names in any script, all optional."""

    given_name: str = Field("", max_length=100)
    father_name: str = Field("", max_length=100)
    grandfather_name: str = Field("", max_length=100)
    family_name: str = Field("", max_length=100)
    mother_name: str = Field("", max_length=200)
    sex: str = Field("", pattern="^(|m|f|male|female)$")
    birth_date: str = Field("", max_length=10, description="YYYY, YYYY-MM or YYYY-MM-DD")
    age: int | None = Field(None, ge=0, le=130, description="approximate age in years")
    origin: str = Field("", max_length=200, description="a place or a P-code")
    limit: int = Field(10, ge=1, le=50)


class CandidateOut(BaseModel):
    person_id: uuid.UUID | None
    probability: float
    agreeing: list[str]  # the comparisons that spoke for this person
    weights: dict[str, float]
    records: list[RecordOut]


@router.post("/search", response_model=list[CandidateOut])
def search(body: SearchIn, ctx: OperationContext = Review) -> list[CandidateOut]:
    """Tracing: registered persons who may be the one looked for, likeliest first."""
    query = query_features(
        {
            **body.model_dump(exclude={"age", "limit"}),
            "age_estimate": str(body.age) if body.age is not None else None,
        },
        renamed={"age_estimate": "age"},
    )
    found = matching.find_matches(
        ctx.session, operation_id=ctx.operation.id, queries=[query], limit=body.limit
    )
    return [_candidate(ctx, candidate) for candidate in found["query"]]


@router.get(
    "/registrations/{registration_id}/possible-duplicates",
    response_model=dict[uuid.UUID, list[CandidateOut]],
)
def possible_duplicates(
    registration_id: uuid.UUID, ctx: OperationContext = Review
) -> dict[uuid.UUID, list[CandidateOut]]:
    """For each member of a registration, persons registered before who may be the same."""
    registration = ctx.session.get(Registration, registration_id)
    if registration is None or registration.operation_id != ctx.operation.id:
        raise NotFound("no such registration")
    found = matching.find_matches(
        ctx.session,
        operation_id=ctx.operation.id,
        members={str(member.id) for member in registration.members},
        limit=5,
    )
    return {
        uuid.UUID(member): [
            _candidate(ctx, c) for c in candidates if c.probability >= persons.REVIEW_FLOOR
        ]
        for member, candidates in found.items()
    }


class SoughtIn(ApiInput):
    given_name: str = Field("", max_length=100)
    father_name: str = Field("", max_length=100)
    grandfather_name: str = Field("", max_length=100)
    family_name: str = Field("", max_length=100)
    mother_name: str = Field("", max_length=200)
    sex: str = Field("", pattern="^(|m|f|male|female)$")
    birth_date: str = Field("", max_length=10)
    age_estimate: str = Field("", max_length=10)
    origin: str = Field("", max_length=200)


class TracingRequestIn(ApiInput):
    sought: SoughtIn
    enquirer_name: str = Field("", max_length=200)
    relationship: str = Field("", max_length=30)
    consent_to_share: bool
    for_child: bool = Field(False, description="a caregiver looking for a child")


class TracingRequestOut(BaseModel):
    id: uuid.UUID
    status: str
    for_child: bool
    matches: int


class TracingMatchOut(BaseModel):
    id: int
    probability: float
    priority: bool
    status: str
    weights: dict[str, float]
    record: RecordOut


@router.post("/tracing-requests", status_code=201, response_model=TracingRequestOut)
def open_tracing_request(
    body: TracingRequestIn, ctx: OperationContext = Review
) -> TracingRequestOut:
    """Record who is looked for; it is checked now and against every new registration."""
    request = tracing.open_request(
        ctx.session,
        operation_id=ctx.operation.id,
        organisation_id=min(ctx.decision.organisation_ids),
        caseworker_id=ctx.principal.user_id,
        sought=body.sought.model_dump(),
        enquirer_name=body.enquirer_name,
        relationship=body.relationship,
        consent_to_share=body.consent_to_share,
        for_child=body.for_child,
    )
    return _tracing_out(ctx, request)


@router.get("/tracing-requests", response_model=list[TracingRequestOut])
def tracing_requests(ctx: OperationContext = Review) -> list[TracingRequestOut]:
    """The operation's tracing requests, open ones first, newest first."""
    return [_tracing_out(ctx, request) for request in tracing_request_list(ctx)]


@router.get("/tracing-requests/{request_id}/matches", response_model=list[TracingMatchOut])
def tracing_matches(request_id: uuid.UUID, ctx: OperationContext = Review) -> list[TracingMatchOut]:
    """Possible matches of a request, separated children and the likeliest first."""
    request = tracing.get_request(ctx.session, operation_id=ctx.operation.id, request_id=request_id)
    return matches_of(ctx, request)


def matches_of(ctx: OperationContext, request: TracingRequest) -> list[TracingMatchOut]:
    matches = ctx.session.scalars(
        select(TracingMatch)
        .where(TracingMatch.request_id == request.id)
        .order_by(TracingMatch.priority.desc(), TracingMatch.match_probability.desc())
    ).all()
    return [_match_out(ctx, match) for match in matches]


class MatchDecisionIn(ApiInput):
    decision: str = Field(description="confirmed or rejected")


@router.post(
    "/tracing-requests/{request_id}/matches/{match_id}/decision", response_model=TracingMatchOut
)
def decide_tracing_match(
    request_id: uuid.UUID, match_id: RowId, body: MatchDecisionIn, ctx: OperationContext = Review
) -> TracingMatchOut:
    """The caseworker's finding: this is the person looked for, or it is not."""
    match = tracing.decide_match(
        ctx.session,
        operation_id=ctx.operation.id,
        request_id=request_id,
        match_id=match_id,
        decision=body.decision,
    )
    return _match_out(ctx, match)


@router.post("/tracing-requests/{request_id}/close", response_model=TracingRequestOut)
def close_tracing_request(
    request_id: uuid.UUID, ctx: OperationContext = Review
) -> TracingRequestOut:
    """Stop matching this request against new registrations."""
    request = tracing.close_request(
        ctx.session, operation_id=ctx.operation.id, request_id=request_id
    )
    return _tracing_out(ctx, request)


def tracing_request_list(ctx: OperationContext) -> list[TracingRequest]:
    return list(
        ctx.session.scalars(
            select(TracingRequest)
            .where(
                TracingRequest.operation_id == ctx.operation.id,
                TracingRequest.deleted_at.is_(None),
            )
            .order_by(TracingRequest.status.desc(), TracingRequest.created_at.desc())
        )
    )


def _match_out(ctx: OperationContext, match: TracingMatch) -> TracingMatchOut:
    return TracingMatchOut(
        id=match.id,
        probability=round(match.match_probability, 4),
        priority=match.priority,
        status=match.status,
        weights=match.weights or {},
        record=_record(ctx, match.member_id),
    )


def _tracing_out(ctx: OperationContext, request: TracingRequest) -> TracingRequestOut:
    count = ctx.session.scalar(select(func.count()).where(TracingMatch.request_id == request.id))
    return TracingRequestOut(
        id=request.id, status=str(request.status), for_child=request.for_child, matches=count
    )


def _candidate(ctx: OperationContext, candidate: matching.Candidate) -> CandidateOut:
    return CandidateOut(
        person_id=candidate.person_id,
        probability=round(candidate.probability, 4),
        agreeing=candidate.agreeing,
        weights=candidate.weights,
        records=[_record(ctx, uuid.UUID(member)) for member in candidate.member_ids[:5]],
    )


def _review_out(ctx: OperationContext, item: ReviewItem) -> ReviewOut:
    return ReviewOut(
        id=item.id,
        status=item.status,
        match_probability=item.match_probability,
        weights=item.weights or {},
        a=_record(ctx, item.member_a_id),
        b=_record(ctx, item.member_b_id),
        decided_at=item.decided_at,
    )


def _record(ctx: OperationContext, member_id: uuid.UUID) -> RecordOut:
    member = ctx.session.get(RegistrationMember, member_id)
    if member is None:
        raise NotFound("a record of this pair was purged")
    return RecordOut(
        member_id=member.id,
        person_id=persons.person_of(ctx.session, member.id),
        **{
            f"{part}_name": " / ".join(
                text
                for text in (
                    getattr(member, f"{part}_name_ar"),
                    getattr(member, f"{part}_name_lat"),
                )
                if text
            )
            for part in ("given", "father", "grandfather", "family", "mother")
        },
        sex=member.sex,
        dob=member.dob.isoformat() if member.dob else None,
        dob_precision=str(member.dob_precision),
        age_estimate=member.age_estimate,
        origin=member.origin_pcode or member.origin_text,
    )
