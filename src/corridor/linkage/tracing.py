"""Standing tracing requests, matched against every new registration.

A caseworker records who is looking for whom (with the enquirer's consent to
share). The request is checked against every registered person when it is
opened, then against each new registration as it arrives (a job queued when
crossings stores one). A likely match goes to the caseworker as a notification
that names no one; the caseworker looks at it in Corridor, and nothing is
disclosed to the person asking automatically.

Unaccompanied and separated children come first: their records are checked
against caregivers' requests (``for_child``) before anything else, with a
lower threshold, and their matches are marked as priority.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor import events
from corridor.crossings.models import RegistrationMember
from corridor.db.mixins import LawfulBasis
from corridor.db.session import transaction_memo
from corridor.errors import Conflict, InvalidInput, NotFound
from corridor.jobs import runner
from corridor.jobs.notifications import notify
from corridor.linkage.features import query_features, row_features
from corridor.linkage.matching import Scorer, operation_model
from corridor.linkage.models import (
    LINKAGE_PURPOSE,
    TracingMatch,
    TracingRequest,
    TracingStatus,
)
from corridor.linkage.persons import member_features
from corridor.linkage.table import to_arrow

MATCH_PROBABILITY = 0.5
CHILD_MATCH_PROBABILITY = 0.3  # a separated child: rather one look too many
SEPARATED = frozenset({"unaccompanied", "separated"})
SOUGHT_FIELDS = (
    "given_name",
    "father_name",
    "grandfather_name",
    "family_name",
    "mother_name",
    "sex",
    "birth_date",
    "age_estimate",
    "origin",
)
JOB_KIND = "linkage.trace_registration"


def open_request(
    session: Session,
    *,
    operation_id: int,
    organisation_id: int,
    caseworker_id: int,
    sought: dict[str, str],
    enquirer_name: str = "",
    relationship: str = "",
    consent_to_share: bool,
    for_child: bool = False,
) -> TracingRequest:
    """Record a request and check it against everyone registered so far."""
    kept = {key: str(sought.get(key) or "").strip() for key in SOUGHT_FIELDS}
    query_features(kept, prefix="sought.")
    request = TracingRequest(
        operation_id=operation_id,
        organisation_id=organisation_id,
        caseworker_id=caseworker_id,
        sought=kept,
        enquirer_name=enquirer_name,
        relationship_to_sought=relationship,
        consent_to_share=consent_to_share,
        for_child=for_child,
        purpose=LINKAGE_PURPOSE,
        lawful_basis=LawfulBasis.VITAL_INTEREST if for_child else LawfulBasis.CONSENT,
    )
    session.add(request)
    session.flush()
    check(session, operation_id=operation_id, requests=[request])
    return request


MATCH_DECISIONS = ("confirmed", "rejected")


def get_request(session: Session, *, operation_id: int, request_id: uuid.UUID) -> TracingRequest:
    request = session.get(TracingRequest, request_id)
    if request is None or request.operation_id != operation_id or request.deleted_at is not None:
        raise NotFound("no such tracing request")
    return request


def decide_match(
    session: Session,
    *,
    operation_id: int,
    request_id: uuid.UUID,
    match_id: int,
    decision: str,
) -> TracingMatch:
    """The caseworker's finding on one possible match: confirmed, or rejected.

    A confirmed match is what the caseworker follows up in person (asking the
    person found before anything is shared); the request stays open until the
    caseworker closes it.
    """
    if decision not in MATCH_DECISIONS:
        raise InvalidInput("decision", f"must be one of {', '.join(MATCH_DECISIONS)}")
    request = get_request(session, operation_id=operation_id, request_id=request_id)
    match = session.get(TracingMatch, match_id)
    if match is None or match.request_id != request.id:
        raise NotFound("no such match for this tracing request")
    match.status = decision
    session.flush()
    return match


def close_request(session: Session, *, operation_id: int, request_id: uuid.UUID) -> TracingRequest:
    """No more matching: the person was found, or the family stopped looking."""
    request = get_request(session, operation_id=operation_id, request_id=request_id)
    if request.status == TracingStatus.CLOSED:
        raise Conflict("this tracing request is already closed")
    request.status = TracingStatus.CLOSED
    session.flush()
    return request


def check(
    session: Session,
    *,
    operation_id: int,
    requests: list[TracingRequest] | None = None,
    member_ids: set[str] | None = None,
) -> list[TracingMatch]:
    """Match open requests against registered members (all, or ``member_ids``)."""
    if requests is None:
        requests = list(
            session.scalars(
                select(TracingRequest).where(
                    TracingRequest.operation_id == operation_id,
                    TracingRequest.status == TracingStatus.OPEN,
                    TracingRequest.deleted_at.is_(None),
                )
            )
        )
    if not requests:
        return []
    features, _members = member_features(session, operation_id)
    if member_ids is not None:
        features = [row for row in features if row["unique_id"] in member_ids]
    if not features:
        return []
    separated = _separated(session, [row["unique_id"] for row in features])
    queries = []
    by_query: dict[str, TracingRequest] = {}
    for request in requests:
        query, _problems = row_features({"record_id": f"request:{request.id}", **request.sought})
        queries.append(query)
        by_query[query["unique_id"]] = request
    trained = operation_model(session, operation_id, len(features))
    scored = Scorer(to_arrow(features), trained).score(to_arrow(queries)).to_pylist()
    # Separated children against caregivers' requests first.
    scored.sort(
        key=lambda pair: (not _child_pair(pair, by_query, separated), -pair["match_probability"])
    )
    known = {
        (match.request_id, str(match.member_id))
        for match in session.scalars(
            select(TracingMatch).where(TracingMatch.operation_id == operation_id)
        )
    }
    created = []
    for pair in scored:
        query_id, member_id = _sides(pair, by_query)
        request = by_query[query_id]
        child = request.for_child and member_id in separated
        threshold = CHILD_MATCH_PROBABILITY if child else MATCH_PROBABILITY
        if pair["match_probability"] < threshold or (request.id, member_id) in known:
            continue
        match = TracingMatch(
            operation_id=operation_id,
            request_id=request.id,
            member_id=uuid.UUID(member_id),
            match_probability=pair["match_probability"],
            weights={
                key.removeprefix("mw_"): round(value or 0.0, 2)
                for key, value in pair.items()
                if key.startswith("mw_")
            },
            priority=child,
        )
        session.add(match)
        known.add((request.id, member_id))
        created.append(match)
        if request.caseworker_id is not None:
            notify(
                session,
                kind="tracing_match",
                title="A tracing request has a possible match"
                + (" (a separated child)" if child else ""),
                body="Open the tracing request in Corridor to review it.",
                severity="warning" if child else "info",
                operation_id=operation_id,
                user_id=request.caseworker_id,
            )
    session.flush()
    return created


def _sides(pair: dict[str, Any], by_query: dict[str, TracingRequest]) -> tuple[str, str]:
    left, right = str(pair["unique_id_l"]), str(pair["unique_id_r"])
    return (left, right) if left in by_query else (right, left)


def _child_pair(
    pair: dict[str, Any], by_query: dict[str, TracingRequest], separated: set[str]
) -> bool:
    query_id, member_id = _sides(pair, by_query)
    return by_query[query_id].for_child and member_id in separated


def _separated(session: Session, member_ids: list[str]) -> set[str]:
    ids = [uuid.UUID(member_id) for member_id in member_ids]
    return {
        str(member_id)
        for member_id in session.scalars(
            select(RegistrationMember.id).where(
                RegistrationMember.id.in_(ids),
                RegistrationMember.child_status.in_(SEPARATED),
            )
        )
    }


_OPEN_REQUESTS = "linkage_open_tracing_requests"


@events.subscribe(events.REGISTRATION_STORED)
def _queue_check(session: Session, payload: dict[str, Any]) -> None:
    """A new registration: check it against the open requests, in the background.

    Whether the operation has open requests is asked once per transaction: a
    batch of field submissions stored together publishes one event each.
    """
    asked: dict[int, bool] = transaction_memo(session, _OPEN_REQUESTS)
    operation_id = payload["operation_id"]
    if operation_id not in asked:
        asked[operation_id] = (
            session.scalar(
                select(TracingRequest.id)
                .where(
                    TracingRequest.operation_id == operation_id,
                    TracingRequest.status == TracingStatus.OPEN,
                )
                .limit(1)
            )
            is not None
        )
    if asked[operation_id]:
        runner.enqueue(
            session,
            kind=JOB_KIND,
            payload={"registration_id": str(payload["registration_id"])},
            operation_id=payload["operation_id"],
        )


@runner.handler(JOB_KIND)
def _run_check(context: runner.JobContext) -> None:
    registration_id = uuid.UUID(context.payload["registration_id"])
    members = {
        str(member_id)
        for member_id in context.session.scalars(
            select(RegistrationMember.id).where(
                RegistrationMember.registration_id == registration_id
            )
        )
    }
    assert context.operation_id is not None
    check(context.session, operation_id=context.operation_id, member_ids=members)
