"""JSON API for reading submissions: counts for everyone, records and exports by role."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from corridor.accounts.permissions import Action
from corridor.audit.access import record_access
from corridor.crossings import exports, forms, reading
from corridor.web.deps import OperationContext, require

router = APIRouter(prefix="/api/v1/operations/{slug}", tags=["submissions"])


class CountOut(BaseModel):
    checkpoint: str
    form: str
    state: str
    submissions: int
    people: int


class SubmissionOut(BaseModel):
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


class AttachmentOut(BaseModel):
    name: str
    content_type: str
    size: int


class SubmissionDetailOut(SubmissionOut):
    values: dict[str, str]
    repeats: dict[str, list[dict[str, str]]]
    attachments: list[AttachmentOut]
    replaces: list[str]


def _filters(
    form: str | None = Query(None, max_length=100),
    checkpoint_id: int | None = Query(None, ge=1, le=2**31 - 1),
    state: str | None = Query(None, max_length=30),
    since: datetime | None = None,
    until: datetime | None = None,
) -> reading.Filters:
    return reading.Filters(form, checkpoint_id, state, since, until)


@router.get("/submissions/counts", response_model=list[CountOut])
def submission_counts(
    filters: reading.Filters = Depends(_filters),
    ctx: OperationContext = Depends(require(Action.CROSSING_READ)),
) -> list[CountOut]:
    """Submissions and people registered by checkpoint, form and state (no personal data)."""
    return [
        CountOut(**vars(c))
        for c in reading.counts(ctx.session, operation_id=ctx.operation.id, filters=filters)
    ]


@router.get("/submissions", response_model=list[SubmissionOut])
def list_submissions(
    filters: reading.Filters = Depends(_filters),
    limit: int = Query(100, ge=1, le=reading.MAX_PAGE),
    offset: int = Query(0, ge=0, le=2**31 - 1),
    ctx: OperationContext = Depends(require(Action.PERSONAL_DATA_READ)),
) -> list[SubmissionOut]:
    """Current submissions, newest first, of the organisations your role reaches."""
    return [
        SubmissionOut(**vars(item))
        for item in reading.list_submissions(
            ctx.session,
            operation_id=ctx.operation.id,
            organisation_ids=reading.organisations_reached(ctx.decision),
            filters=filters,
            limit=limit,
            offset=offset,
        )
    ]


@router.get("/submissions/{submission_id}", response_model=SubmissionDetailOut)
def submission_detail(
    submission_id: uuid.UUID, ctx: OperationContext = Depends(require(Action.PERSONAL_DATA_READ))
) -> SubmissionDetailOut:
    """One submission's values (its personal data), and the versions it replaced."""
    detail = reading.get_detail(
        ctx.session,
        operation_id=ctx.operation.id,
        submission_id=submission_id,
        organisation_ids=reading.organisations_reached(ctx.decision),
    )
    s = detail.submission
    return SubmissionDetailOut(
        id=s.id,
        instance_id=s.instance_id,
        form=detail.form.xml_form_id,
        form_version=detail.version.version,
        checkpoint=str(s.checkpoint_id or ""),
        state=s.state.value,
        household_size=detail.registration.household_size if detail.registration else None,
        device_id=s.device_id,
        officer_id=s.officer_id,
        organisation_id=s.organisation_id,
        recorded_at=s.recorded_at,
        received_at=s.received_at,
        values=detail.values,
        repeats=detail.repeats,
        attachments=[
            AttachmentOut(name=a.name, content_type=a.content_type, size=a.size)
            for a in detail.attachments
        ],
        replaces=[h.instance_id for h in detail.history],
    )


@router.get("/submissions/{submission_id}/attachments/{name}")
def submission_attachment(
    submission_id: uuid.UUID,
    name: str,
    ctx: OperationContext = Depends(require(Action.PERSONAL_DATA_READ)),
) -> Response:
    detail = reading.get_detail(
        ctx.session,
        operation_id=ctx.operation.id,
        submission_id=submission_id,
        organisation_ids=reading.organisations_reached(ctx.decision),
    )
    content_type, content = reading.attachment_content(
        ctx.session, operation_id=ctx.operation.id, detail=detail, name=name
    )
    return Response(content, media_type=content_type, headers={"Cache-Control": "no-store"})


def _export(ctx: OperationContext, xml_form_id: str) -> tuple[Any, Any, Any]:
    form = forms.get_form(ctx.session, operation_id=ctx.operation.id, xml_form_id=xml_form_id)
    version = forms.current_version(ctx.session, form=form)
    allowed = reading.personal_scope(ctx.principal, ctx.operation)
    include_personal = allowed is None or bool(allowed)
    if include_personal:
        record_access(
            ctx.session,
            user_id=ctx.principal.user_id,
            operation_id=ctx.operation.id,
            action="personal_data.export",
            entity_type="form",
            entity_id=form.xml_form_id,
        )
    tables, rows = exports.table_rows(
        ctx.session,
        form=form,
        version=version,
        include_personal=include_personal,
        organisation_ids=allowed if include_personal else None,
    )
    return form, tables, rows


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/forms/{xml_form_id}/export.zip")
def export_csv(
    xml_form_id: str, ctx: OperationContext = Depends(require(Action.CROSSING_READ))
) -> Response:
    """A ZIP of CSVs in ODK Central's layout; personal columns only for roles allowed them."""
    form, tables, rows = _export(ctx, xml_form_id)
    return _download(exports.csv_zip(tables, rows), "application/zip", f"{form.xml_form_id}.zip")


@router.get("/forms/{xml_form_id}/export.xlsx")
def export_xlsx(
    xml_form_id: str, ctx: OperationContext = Depends(require(Action.CROSSING_READ))
) -> Response:
    """The same tables as one XLSX workbook (a sheet per table)."""
    form, tables, rows = _export(ctx, xml_form_id)
    return _download(
        exports.xlsx(tables, rows),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{form.xml_form_id}.xlsx",
    )
