"""Reading submissions back: lists with filters, counts, one record's detail.

Who sees what: everyone in the operation sees counts (by checkpoint, form and
state); lists and details are personal data, for roles allowed to read it
(a field officer for the recording organisation, a coordinator; a lead
coordinator for every organisation), and each read is written to the access
log by the caller's permission check.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from corridor.accounts.permissions import Action, Decision, Principal, Scope, decide
from corridor.crossings.models import (
    Form,
    FormVersion,
    Registration,
    Submission,
    SubmissionAttachment,
    SubmissionState,
)
from corridor.crossings.openrosa import parse_instance
from corridor.errors import InvalidInput, NotFound
from corridor.keys.keyring import keyring_of
from corridor.operations.models import Checkpoint
from corridor.operations.service import OperationRef

MAX_PAGE = 500


def organisations_reached(decision: Decision) -> frozenset[int] | None:
    """The organisations an allowed decision reaches; None: the whole operation."""
    return None if decision.scope is Scope.OPERATION else decision.organisation_ids


def personal_scope(principal: Principal, operation: OperationRef) -> frozenset[int] | None:
    """The organisations whose records the caller may read in full; None: every one.

    Raises nothing: an empty set means the caller sees counts only.
    """
    decision = decide(principal, operation.participation, Action.PERSONAL_DATA_READ)
    if not decision.allowed:
        return frozenset()
    return organisations_reached(decision)


def replaced_versions(session: Session, submission: Submission) -> list[Submission]:
    """The versions an edited submission replaced (its ``deprecatedID`` chain), newest first."""
    history = []
    previous = submission.deprecated_id
    while previous:
        older = session.scalar(
            select(Submission).where(
                Submission.operation_id == submission.operation_id,
                Submission.instance_id == previous,
            )
        )
        if older is None:
            break
        history.append(older)
        previous = older.deprecated_id
    return history


@dataclass(frozen=True)
class Filters:
    form: str | None = None
    checkpoint_id: int | None = None
    state: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def check(self) -> Filters:
        if self.state is not None and self.state not in {s.value for s in SubmissionState}:
            raise InvalidInput("state", "must be complete or missing_attachments")
        if self.since and self.until and self.until <= self.since:
            raise InvalidInput("until", "must be after since")
        return self


def _filtered(query: Any, operation_id: int, filters: Filters) -> Any:
    query = query.where(
        Submission.operation_id == operation_id,
        Submission.superseded_by_id.is_(None),
        Submission.deleted_at.is_(None),
    )
    if filters.form:
        query = query.where(Form.xml_form_id == filters.form)
    if filters.checkpoint_id is not None:
        query = query.where(Submission.checkpoint_id == filters.checkpoint_id)
    if filters.state:
        query = query.where(Submission.state == SubmissionState(filters.state))
    if filters.since:
        query = query.where(Submission.received_at >= filters.since)
    if filters.until:
        query = query.where(Submission.received_at < filters.until)
    return query


@dataclass(frozen=True)
class Count:
    checkpoint: str
    form: str
    state: str
    submissions: int
    people: int


def counts(session: Session, *, operation_id: int, filters: Filters) -> list[Count]:
    """Submissions (current versions) and people registered, by checkpoint, form and state."""
    query = (
        select(
            func.coalesce(Checkpoint.name, ""),
            Form.xml_form_id,
            Submission.state,
            func.count(Submission.id),
            func.coalesce(func.sum(Registration.household_size), 0),
        )
        .join(Form, Form.id == Submission.form_id)
        .outerjoin(Checkpoint, Checkpoint.id == Submission.checkpoint_id)
        .outerjoin(Registration, Registration.submission_id == Submission.id)
        .group_by(Checkpoint.name, Form.xml_form_id, Submission.state)
        .order_by(Checkpoint.name, Form.xml_form_id)
    )
    return [
        Count(name, form, state.value, n, int(people))
        for name, form, state, n, people in session.execute(
            _filtered(query, operation_id, filters.check())
        )
    ]


@dataclass(frozen=True)
class Listed:
    id: uuid.UUID
    instance_id: str
    form: str
    form_version: str
    checkpoint: str
    state: str
    household_size: int | None
    device_id: str
    officer_id: int | None
    organisation_id: int
    recorded_at: datetime | None
    received_at: datetime


def list_submissions(
    session: Session,
    *,
    operation_id: int,
    organisation_ids: frozenset[int] | None,
    filters: Filters,
    limit: int = 100,
    offset: int = 0,
) -> list[Listed]:
    """Current submissions, newest first, of the organisations the caller may read."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("limit", f"must be between 1 and {MAX_PAGE}")
    if offset < 0:
        raise InvalidInput("offset", "must not be negative")
    query = (
        select(
            Submission,
            Form.xml_form_id,
            FormVersion.version,
            Checkpoint.name,
            Registration.household_size,
        )
        .join(Form, Form.id == Submission.form_id)
        .join(FormVersion, FormVersion.id == Submission.form_version_id)
        .outerjoin(Checkpoint, Checkpoint.id == Submission.checkpoint_id)
        .outerjoin(Registration, Registration.submission_id == Submission.id)
        .order_by(Submission.received_at.desc(), Submission.instance_id)
        .limit(limit)
        .offset(offset)
    )
    if organisation_ids is not None:
        query = query.where(Submission.organisation_id.in_(organisation_ids))
    return [
        Listed(
            id=s.id,
            instance_id=s.instance_id,
            form=form,
            form_version=version,
            checkpoint=checkpoint or "",
            state=s.state.value,
            household_size=size,
            device_id=s.device_id,
            officer_id=s.officer_id,
            organisation_id=s.organisation_id,
            recorded_at=s.recorded_at,
            received_at=s.received_at,
        )
        for s, form, version, checkpoint, size in session.execute(
            _filtered(query, operation_id, filters.check())
        )
    ]


@dataclass(frozen=True)
class Detail:
    submission: Submission
    form: Form
    version: FormVersion
    registration: Registration | None
    values: dict[str, str]
    repeats: dict[str, list[dict[str, str]]]
    attachments: list[SubmissionAttachment]
    history: list[Submission]  # the versions this one replaced, newest first


def get_detail(
    session: Session,
    *,
    operation_id: int,
    submission_id: uuid.UUID,
    organisation_ids: frozenset[int] | None,
) -> Detail:
    """One submission with its values decrypted (the caller's check logged the access)."""
    submission = session.get(Submission, submission_id)
    if (
        submission is None
        or submission.operation_id != operation_id
        or (organisation_ids is not None and submission.organisation_id not in organisation_ids)
    ):
        raise NotFound("no such submission")
    form = session.get(Form, submission.form_id)
    version = session.get(FormVersion, submission.form_version_id)
    assert form is not None and version is not None
    xml = keyring_of(session).decrypt(
        session, operation_id, submission.xml, aad=submission.instance_id.encode()
    )
    values, repeats = parse_instance(xml).values(version.repeats)
    return Detail(
        submission=submission,
        form=form,
        version=version,
        registration=session.scalar(
            select(Registration).where(Registration.submission_id == submission.id)
        ),
        values=values,
        repeats={path.rsplit("/", 1)[-1]: rows for path, rows in repeats.items()},
        attachments=list(
            session.scalars(
                select(SubmissionAttachment)
                .where(SubmissionAttachment.submission_id == submission.id)
                .order_by(SubmissionAttachment.name)
            )
        ),
        history=replaced_versions(session, submission),
    )


def attachment_content(
    session: Session, *, operation_id: int, detail: Detail, name: str
) -> tuple[str, bytes]:
    for attachment in detail.attachments:
        if attachment.name == name:
            content = keyring_of(session).decrypt(
                session, operation_id, attachment.content, aad=attachment.name.encode()
            )
            return attachment.content_type, content
    raise NotFound("no such attachment")
