"""JSON API of jobs (progress of long work) and in-app notifications."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from corridor.accounts.permissions import Action, Scope
from corridor.errors import NotFound
from corridor.jobs import notifications
from corridor.jobs.models import Job, Notification
from corridor.jobs.schemas import JobOut, NotificationOut
from corridor.web.deps import CurrentPrincipal, DbSession, OperationContext, require
from corridor.web.schemas import RowId

router = APIRouter(prefix="/api/v1", tags=["jobs"])


@router.get("/operations/{slug}/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: RowId, ctx: OperationContext = Depends(require(Action.JOB_READ))) -> JobOut:
    """A job's status and progress."""
    job = ctx.session.get(Job, job_id)
    if job is None or job.operation_id != ctx.operation.id:
        raise NotFound("no such job")
    if ctx.decision.scope is Scope.OWN_ORG and job.requested_by_id != ctx.principal.user_id:
        raise NotFound("no such job")
    return JobOut.model_validate(job)


@router.get("/me/notifications", response_model=list[NotificationOut])
def my_notifications(
    principal: CurrentPrincipal, session: DbSession, unread_only: bool = False
) -> list[NotificationOut]:
    return [
        NotificationOut.model_validate(n)
        for n in notifications.for_user(
            session,
            user_id=principal.user_id,
            organisation_ids=sorted(principal.organisation_ids),
            unread_only=unread_only,
        )
    ]


@router.post("/me/notifications/{notification_id}/read", status_code=204)
def read_notification(
    notification_id: RowId, principal: CurrentPrincipal, session: DbSession
) -> Response:
    note = session.get(Notification, notification_id)
    if note is None or not (
        note.user_id == principal.user_id or note.organisation_id in principal.organisation_ids
    ):
        raise NotFound("no such notification")
    notifications.mark_read(session, notification=note)
    return Response(status_code=204)
