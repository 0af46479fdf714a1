"""JSON API for field forms (XLSForm uploads, states) and device credentials."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Request, UploadFile

from corridor.accounts import service as accounts
from corridor.accounts.permissions import Action
from corridor.crossings import devices, forms
from corridor.crossings.models import DeviceCredential, Form, FormVersion
from corridor.crossings.schemas import (
    DeviceIn,
    DeviceIssuedOut,
    DeviceOut,
    FormOut,
    FormStateIn,
    FormVersionOut,
)
from corridor.crossings.xlsform import MAX_XLSFORM_BYTES
from corridor.errors import Forbidden, InvalidInput, PayloadTooLarge
from corridor.web.deps import OperationContext, require
from corridor.web.schemas import RowId

router = APIRouter(prefix="/api/v1/operations/{slug}", tags=["forms"])


def form_out(form: Form, version: FormVersion) -> FormOut:
    return FormOut(
        xml_form_id=form.xml_form_id,
        title=form.title,
        kind=form.kind.value,
        state=form.state.value,
        version=version.version,
        md5=version.md5,
        validated_by=version.validated_by,
        media_files=list(version.media_files),
    )


@router.get("/forms", response_model=list[FormOut])
def list_forms(ctx: OperationContext = Depends(require(Action.CROSSING_READ))) -> list[FormOut]:
    """The operation's field forms with their current versions."""
    return [form_out(f, v) for f, v in forms.list_forms(ctx.session, operation_id=ctx.operation.id)]


@router.post("/forms", response_model=FormOut, status_code=201)
def upload_form(
    xlsform: UploadFile = File(description="An XLSForm (.xlsx or .xls)"),
    ctx: OperationContext = Depends(require(Action.FORM_MANAGE)),
) -> FormOut:
    """Publish an XLSForm: a new form, or a new version of one (raise its ``version``).

    pyxform converts it and ODK Validate checks it; a refused form changes
    nothing, and devices keep the version they have.
    """
    content = xlsform.file.read(MAX_XLSFORM_BYTES + 1)
    if len(content) > MAX_XLSFORM_BYTES:
        raise PayloadTooLarge("the XLSForm is larger than 10 MB")
    if not content:
        raise InvalidInput("xlsform", "is empty")
    version = forms.publish(
        ctx.session,
        operation_id=ctx.operation.id,
        content=content,
        filename=xlsform.filename or "form.xlsx",
        created_by_id=ctx.principal.user_id,
    )
    form = ctx.session.get(Form, version.form_id)
    assert form is not None
    return form_out(form, version)


@router.get("/forms/{xml_form_id}/versions", response_model=list[FormVersionOut])
def list_versions(
    xml_form_id: str, ctx: OperationContext = Depends(require(Action.CROSSING_READ))
) -> list[FormVersionOut]:
    form = forms.get_form(ctx.session, operation_id=ctx.operation.id, xml_form_id=xml_form_id)
    return [
        FormVersionOut(
            version=v.version,
            md5=v.md5,
            xlsform_filename=v.xlsform_filename,
            validated_by=v.validated_by,
            created_at=v.created_at,
        )
        for v in forms.list_versions(ctx.session, form=form)
    ]


@router.patch("/forms/{xml_form_id}", response_model=FormOut)
def set_form_state(
    xml_form_id: str,
    body: FormStateIn,
    ctx: OperationContext = Depends(require(Action.FORM_MANAGE)),
) -> FormOut:
    """Open, closing (off the form list, still accepting) or closed (refusing)."""
    form = forms.get_form(ctx.session, operation_id=ctx.operation.id, xml_form_id=xml_form_id)
    forms.set_state(ctx.session, form=form, state=body.state)
    return form_out(form, forms.current_version(ctx.session, form=form))


def device_out(credential: DeviceCredential) -> DeviceOut:
    return DeviceOut(
        id=credential.id,
        name=credential.name,
        username=credential.username,
        user_id=credential.user_id,
        created_at=credential.created_at,
        revoked_at=credential.revoked_at,
        last_used_at=credential.last_used_at,
    )


def _visible(ctx: OperationContext, credential: DeviceCredential) -> bool:
    user = accounts.get_user(ctx.session, user_id=credential.user_id)
    return any(m.organisation_id in ctx.decision.organisation_ids for m in user.memberships)


@router.get("/devices", response_model=list[DeviceOut])
def list_devices(
    ctx: OperationContext = Depends(require(Action.DEVICE_MANAGE)),
) -> list[DeviceOut]:
    """App credentials issued to officers of your organisation in this operation."""
    return [
        device_out(c)
        for c in devices.list_credentials(ctx.session, operation_id=ctx.operation.id)
        if _visible(ctx, c)
    ]


@router.post("/devices", response_model=DeviceIssuedOut, status_code=201)
def issue_device(
    request: Request,
    body: DeviceIn,
    ctx: OperationContext = Depends(require(Action.DEVICE_MANAGE)),
) -> DeviceIssuedOut:
    """Issue app credentials for one officer's phone; the secret and QR code are shown once."""
    user_id = body.user_id or ctx.principal.user_id
    user = accounts.get_user(ctx.session, user_id=user_id)
    if not any(m.organisation_id in ctx.decision.organisation_ids for m in user.memberships):
        raise Forbidden("credentials can only be issued to officers of your organisation")
    secret, credential = devices.issue(
        ctx.session,
        operation_id=ctx.operation.id,
        user_id=user.id,
        name=body.name,
        created_by_id=ctx.principal.user_id,
    )
    server_url = str(request.base_url).rstrip("/") + f"/openrosa/{ctx.operation.slug}"
    settings, svg = devices.collect_setup(
        server_url=server_url,
        username=credential.username,
        secret=secret,
        project=ctx.operation.name,
    )
    return DeviceIssuedOut(
        **device_out(credential).model_dump(),
        secret=secret,
        server_url=server_url,
        collect_settings=settings,
        qr_svg=svg,
    )


@router.post("/devices/{device_id}/revoke", response_model=DeviceOut)
def revoke_device(
    device_id: RowId, ctx: OperationContext = Depends(require(Action.DEVICE_MANAGE))
) -> DeviceOut:
    """Revoke a device's credentials at once (a lost or handed-over phone)."""
    credential = devices.revoke(ctx.session, operation_id=ctx.operation.id, credential_id=device_id)
    if not _visible(ctx, credential):
        raise Forbidden("this device belongs to another organisation")
    return device_out(credential)
