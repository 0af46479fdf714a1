"""HTML pages of the crossings capability: submissions, one record, forms and devices,
and the registration form for the web.

The registration page builds the same instance ODK Collect would send from the
current registration XForm and stores it through the same path as an OpenRosa
submission, so a household registered on the web and one registered on a phone
are checked and stored alike.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from corridor.accounts import service as accounts
from corridor.accounts.permissions import Action, decide
from corridor.audit.access import record_access
from corridor.crossings import devices, forms, reading, submissions
from corridor.crossings.collect import build_instance
from corridor.crossings.devices import DeviceLogin
from corridor.crossings.models import NAME_FIELDS, WG_DOMAINS
from corridor.crossings.openrosa import BadSubmission
from corridor.crossings.xlsform import MAX_XLSFORM_BYTES
from corridor.db.types import utcnow
from corridor.errors import CorridorError, InvalidInput
from corridor.operations.models import Checkpoint
from corridor.web.deps import OperationContext, check_csrf, require
from corridor.web.schemas import RowId
from corridor.web.templating import N_, flash, form_errors, render

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]
MEMBER_SLOTS = 8
MEMBER_FIELDS = (
    "relationship",
    *NAME_FIELDS,
    "sex",
    "dob_precision",
    "dob",
    "age_estimate",
    "origin_pcode",
    "origin_text",
    "child_status",
    "caregiver_name",
    "reunification_status",
    *(f"wg_{d}" for d in WG_DOMAINS),
    "specific_needs",
)


def _checkpoints(ctx: OperationContext) -> list[Checkpoint]:
    return list(
        ctx.session.scalars(
            select(Checkpoint)
            .where(Checkpoint.operation_id == ctx.operation.id)
            .order_by(Checkpoint.name)
        )
    )


def _time(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(field, "must be a date (YYYY-MM-DD)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


@router.get("/operations/{slug}/submissions")
def submissions_page(
    request: Request,
    form: str = "",
    checkpoint_id: int | None = None,
    state: str = "",
    since: str = "",
    until: str = "",
    ctx: OperationContext = Depends(require(Action.CROSSING_READ)),
) -> Response:
    """Counts for everyone; the list of records for roles that read personal data."""
    errors: dict[str, str] = {}
    try:
        filters = reading.Filters(
            form or None,
            checkpoint_id,
            state or None,
            _time(since, "since"),
            _time(until, "until"),
        ).check()
    except CorridorError as exc:
        errors = form_errors(exc, "form")
        filters = reading.Filters()
    counts = reading.counts(ctx.session, operation_id=ctx.operation.id, filters=filters)
    scope = reading.personal_scope(ctx.principal, ctx.operation)
    rows: list[reading.Listed] = []
    if scope is None or scope:
        record_access(
            ctx.session,
            user_id=ctx.principal.user_id,
            operation_id=ctx.operation.id,
            action="personal_data.read",
            entity_type="submissions",
        )
        rows = reading.list_submissions(
            ctx.session, operation_id=ctx.operation.id, organisation_ids=scope, filters=filters
        )
    return render(
        request,
        "crossings/submissions.html",
        operation=ctx.operation,
        counts=counts,
        rows=rows,
        sees_records=scope is None or bool(scope),
        checkpoints=_checkpoints(ctx),
        forms=[f for f, _v in forms.list_forms(ctx.session, operation_id=ctx.operation.id)],
        filters={
            "form": form,
            "checkpoint_id": checkpoint_id,
            "state": state,
            "since": since,
            "until": until,
        },
        errors=errors,
    )


@router.get("/operations/{slug}/submissions/{submission_id}")
def submission_page(
    request: Request,
    submission_id: uuid.UUID,
    ctx: OperationContext = Depends(require(Action.PERSONAL_DATA_READ)),
) -> Response:
    """One record: its values, household, attachments and the versions it replaced."""
    detail = reading.get_detail(
        ctx.session,
        operation_id=ctx.operation.id,
        submission_id=submission_id,
        organisation_ids=reading.organisations_reached(ctx.decision),
    )
    return render(request, "crossings/submission.html", operation=ctx.operation, detail=detail)


# Forms and devices ----------------------------------------------------------------------


def _forms_page(
    request: Request,
    ctx: OperationContext,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    issued: dict[str, Any] | None = None,
) -> Response:
    may = {
        action: decide(ctx.principal, ctx.operation.participation, action).allowed
        for action in (Action.FORM_MANAGE, Action.DEVICE_MANAGE)
    }
    device_decision = decide(ctx.principal, ctx.operation.participation, Action.DEVICE_MANAGE)
    officers = []
    credentials = []
    if device_decision.allowed:
        for organisation_id in sorted(device_decision.organisation_ids):
            officers.extend(accounts.list_users(ctx.session, organisation_id=organisation_id))
        ids = {u.id for u in officers}
        credentials = [
            c
            for c in devices.list_credentials(ctx.session, operation_id=ctx.operation.id)
            if c.user_id in ids
        ]
    return render(
        request,
        "crossings/forms.html",
        status_code=status_code,
        operation=ctx.operation,
        forms=forms.list_forms(ctx.session, operation_id=ctx.operation.id),
        may_manage_forms=may[Action.FORM_MANAGE],
        may_manage_devices=may[Action.DEVICE_MANAGE],
        officers=officers,
        credentials=credentials,
        errors=errors or {},
        issued=issued,
        server_url=str(request.base_url).rstrip("/") + f"/openrosa/{ctx.operation.slug}",
    )


@router.get("/operations/{slug}/forms")
def forms_page(
    request: Request, ctx: OperationContext = Depends(require(Action.CROSSING_READ))
) -> Response:
    return _forms_page(request, ctx)


@router.post("/operations/{slug}/forms")
def upload_form_page(
    request: Request,
    xlsform: Annotated[UploadFile, File()],
    csrf_token: FormStr = "",
    ctx: OperationContext = Depends(require(Action.FORM_MANAGE)),
) -> Response:
    """Publish an uploaded XLSForm; a refused one changes nothing and says why."""
    check_csrf(request, csrf_token)
    content = xlsform.file.read(MAX_XLSFORM_BYTES + 1)
    try:
        if len(content) > MAX_XLSFORM_BYTES:
            raise InvalidInput("xlsform", "is larger than 10 MB")
        forms.publish(
            ctx.session,
            operation_id=ctx.operation.id,
            content=content,
            filename=xlsform.filename or "form.xlsx",
            created_by_id=ctx.principal.user_id,
        )
    except CorridorError as exc:
        ctx.session.rollback()
        return _forms_page(request, ctx, status_code=exc.status, errors=form_errors(exc, "xlsform"))
    flash(request, N_("The form version has been published."))
    return RedirectResponse(f"/operations/{ctx.operation.slug}/forms", status_code=303)


@router.post("/operations/{slug}/forms/{xml_form_id}/state")
def form_state_page(
    request: Request,
    xml_form_id: str,
    state: FormStr,
    csrf_token: FormStr = "",
    ctx: OperationContext = Depends(require(Action.FORM_MANAGE)),
) -> Response:
    check_csrf(request, csrf_token)
    form = forms.get_form(ctx.session, operation_id=ctx.operation.id, xml_form_id=xml_form_id)
    forms.set_state(ctx.session, form=form, state=state)
    flash(request, N_("The form's state has been changed."))
    return RedirectResponse(f"/operations/{ctx.operation.slug}/forms", status_code=303)


@router.post("/operations/{slug}/devices")
def issue_device_page(
    request: Request,
    name: FormStr,
    user_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    csrf_token: FormStr = "",
    ctx: OperationContext = Depends(require(Action.DEVICE_MANAGE)),
) -> Response:
    """Issue app credentials; the QR code is shown on this answer only."""
    check_csrf(request, csrf_token)
    try:
        user = accounts.get_user(ctx.session, user_id=user_id)
        if not any(m.organisation_id in ctx.decision.organisation_ids for m in user.memberships):
            raise InvalidInput("user_id", "is not an officer of your organisation")
        secret, credential = devices.issue(
            ctx.session,
            operation_id=ctx.operation.id,
            user_id=user.id,
            name=name,
            created_by_id=ctx.principal.user_id,
        )
    except CorridorError as exc:
        ctx.session.rollback()
        return _forms_page(request, ctx, status_code=exc.status, errors=form_errors(exc, "name"))
    server_url = str(request.base_url).rstrip("/") + f"/openrosa/{ctx.operation.slug}"
    _settings, svg = devices.collect_setup(
        server_url=server_url,
        username=credential.username,
        secret=secret,
        project=ctx.operation.name,
    )
    response = _forms_page(
        request,
        ctx,
        issued={
            "name": credential.name,
            "username": credential.username,
            "secret": secret,
            "qr_svg": svg,
        },
    )
    response.headers["Cache-Control"] = "no-store"  # the secret must not stay in a cache
    return response


@router.post("/operations/{slug}/devices/{device_id}/revoke")
def revoke_device_page(
    request: Request,
    device_id: RowId,
    csrf_token: FormStr = "",
    ctx: OperationContext = Depends(require(Action.DEVICE_MANAGE)),
) -> Response:
    check_csrf(request, csrf_token)
    devices.revoke(ctx.session, operation_id=ctx.operation.id, credential_id=device_id)
    flash(request, N_("The device's credentials have been revoked."))
    return RedirectResponse(f"/operations/{ctx.operation.slug}/forms", status_code=303)


# Registration on the web ----------------------------------------------------------------


def _register_page(
    request: Request,
    ctx: OperationContext,
    *,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    error: str | None = None,
) -> Response:
    return render(
        request,
        "crossings/register.html",
        status_code=status_code,
        operation=ctx.operation,
        checkpoints=_checkpoints(ctx),
        values=values or {},
        error=error,
        slots=range(MEMBER_SLOTS),
        wg_domains=WG_DOMAINS,
    )


@router.get("/operations/{slug}/register")
def register_page(
    request: Request, ctx: OperationContext = Depends(require(Action.CROSSING_WRITE))
) -> Response:
    return _register_page(request, ctx)


@router.post("/operations/{slug}/register")
async def register_submit(
    request: Request, ctx: OperationContext = Depends(require(Action.CROSSING_WRITE))
) -> Response:
    """Register a household from the web form (stored as a registration submission)."""
    data = await request.form()
    values = {k: v for k, v in data.items() if isinstance(v, str)}
    check_csrf(request, values.get("csrf_token"))
    explained = " ".join(
        point
        for point in ("purpose", "sharing", "rights", "retention")
        if values.get(f"explained_{point}")
    )
    top = {
        "checkpoint": values.get("checkpoint", ""),
        "start": utcnow().isoformat(),
        "end": utcnow().isoformat(),
        "deviceid": "web",
        "consent/explained": explained,
        "consent/given": values.get("given", ""),
        "consent/lawful_basis": values.get("lawful_basis", ""),
        "destination_pcode": values.get("destination_pcode", ""),
        "destination_text": values.get("destination_text", "").strip(),
    }
    members = []
    for slot in range(MEMBER_SLOTS):
        row = {name: values.get(f"m{slot}_{name}", "").strip() for name in MEMBER_FIELDS}
        row["specific_needs"] = " ".join(data.getlist(f"m{slot}_specific_needs"))  # type: ignore[arg-type]
        if not any(row.get(n) for n in (*NAME_FIELDS, "sex")):
            continue  # an unused slot
        members.append({k: v for k, v in row.items() if v})
    try:
        form = forms.get_form(
            ctx.session, operation_id=ctx.operation.id, xml_form_id="registration"
        )
        xform = forms.current_version(ctx.session, form=form).xform
        xml, _instance_id = build_instance(xform, top, {"member": members})
        submissions.receive(
            ctx.session,
            operation_id=ctx.operation.id,
            organisation_id=min(ctx.decision.organisation_ids),
            login=DeviceLogin(ctx.principal.user_id, ctx.principal.login),
            xml=xml,
            attachments=[],
        )
    except (BadSubmission, CorridorError) as exc:
        ctx.session.rollback()
        return _register_page(request, ctx, status_code=exc.status, values=values, error=exc.detail)
    except KeyError as exc:  # the current form version lacks a field this page fills
        ctx.session.rollback()
        return _register_page(
            request,
            ctx,
            status_code=409,
            values=values,
            error=f"the current registration form has no field {exc.args[0]}",
        )
    flash(request, N_("The household has been registered."))
    return RedirectResponse(f"/operations/{ctx.operation.slug}/register", status_code=303)
