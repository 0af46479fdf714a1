"""The OpenRosa server that ODK Collect, KoboCollect and Enketo talk to.

A device is configured with ``<server>/openrosa/<operation-slug>``; from there
it reads ``formList``, downloads forms and their media, and posts to
``submission``. Every answer carries ``X-OpenRosa-Version: 1.0`` and ``Date``;
errors are ``OpenRosaResponse`` messages the officer can read, and never
contain personal data.
"""

from __future__ import annotations

import asyncio
import logging
from email.utils import formatdate
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from corridor.accounts.permissions import Action, decide
from corridor.audit.access import record_access
from corridor.crossings import extensions, forms, intake, openrosa, submissions
from corridor.crossings.models import FormKind, FormState
from corridor.errors import Forbidden, PayloadTooLarge
from corridor.web.deps import (
    DeviceContext,
    OperationContext,
    require_device,
    require_device_login,
)

log = logging.getLogger(__name__)
router = APIRouter(prefix="/openrosa/{slug}", tags=["openrosa"], include_in_schema=False)
XML = "text/xml; charset=utf-8"
INSTANCE_PART = "xml_submission_file"
MAX_PARTS = 100


def _headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**openrosa.HEADERS, "Date": formatdate(usegmt=True), **(extra or {})}


def openrosa_error(status: int, detail: str) -> Response:
    """An error as an OpenRosa client expects it (401 carries the Basic challenge)."""
    extra = {"WWW-Authenticate": 'Basic realm="Corridor", charset="UTF-8"'} if status == 401 else {}
    return Response(
        openrosa.response(detail, nature="error"),
        status_code=status,
        media_type=XML,
        headers=_headers(extra),
    )


def _base(request: Request, slug: str) -> str:
    return str(request.base_url).rstrip("/") + f"/openrosa/{slug}"


def _may(ctx: OperationContext | DeviceContext, action: Action | None) -> bool:
    return action is None or decide(ctx.principal, ctx.operation.participation, action).allowed


def _offered(ctx: OperationContext, kind: FormKind) -> bool:
    """A form another capability owns is offered to those its action allows (aid's
    distribution list to officers who distribute)."""
    extension = extensions.extension_for(kind)
    return extension is None or _may(ctx, extension.action)


@router.get("/formList")
def form_list(
    request: Request,
    form_id: Annotated[str | None, Query(alias="formID", max_length=100)] = None,
    ctx: OperationContext = Depends(require_device(Action.CROSSING_WRITE)),
) -> Response:
    """The open forms (OpenRosa 1.0 ``xforms`` list, with hash and manifest URL)."""
    base = _base(request, ctx.operation.slug)
    entries = []
    for form, version in forms.list_forms(ctx.session, operation_id=ctx.operation.id):
        if form.state != FormState.OPEN or (form_id and form.xml_form_id != form_id):
            continue
        if not _offered(ctx, form.kind):
            continue
        path = (
            f"{base}/forms/{quote(form.xml_form_id, safe='')}"
            f"/versions/{quote(version.version, safe='')}"
        )
        entries.append(
            openrosa.FormListEntry(
                form_id=form.xml_form_id,
                name=form.title,
                version=version.version,
                md5=version.md5,
                download_url=f"{path}/form.xml",
                manifest_url=f"{path}/manifest" if version.media_files else None,
            )
        )
    return Response(openrosa.form_list(entries), media_type=XML, headers=_headers())


@router.get("/forms/{xml_form_id}/versions/{version}/form.xml")
def form_xml(
    xml_form_id: str,
    version: str,
    ctx: OperationContext = Depends(require_device(Action.CROSSING_WRITE)),
) -> Response:
    """The XForm of one version, byte for byte as hashed in the form list."""
    form = forms.get_form(ctx.session, operation_id=ctx.operation.id, xml_form_id=xml_form_id)
    found = forms.get_version(ctx.session, form=form, version=version)
    return Response(found.xform.encode(), media_type=XML, headers=_headers())


@router.get("/forms/{xml_form_id}/versions/{version}/manifest")
def form_manifest(
    request: Request,
    xml_form_id: str,
    version: str,
    ctx: OperationContext = Depends(require_device(Action.CROSSING_WRITE)),
) -> Response:
    """The media files a form version reads (choice lists built from the operation)."""
    form = forms.get_form(ctx.session, operation_id=ctx.operation.id, xml_form_id=xml_form_id)
    found = forms.get_version(ctx.session, form=form, version=version)
    registry = forms.media_registry()
    files = forms.media_files(
        ctx.session,
        operation_id=ctx.operation.id,
        names=[
            name
            for name in found.media_files
            if name in registry and _may(ctx, registry[name].action)
        ],
    )
    base = _base(request, ctx.operation.slug)
    listed = [
        (
            name,
            forms.md5_of(files[name].decode()),
            f"{base}/forms/{quote(xml_form_id, safe='')}/media/{quote(name, safe='')}",
        )
        for name in found.media_files
        if name in files
    ]
    return Response(openrosa.manifest(listed), media_type=XML, headers=_headers())


@router.get("/forms/{xml_form_id}/media/{filename}")
def media_file(
    xml_form_id: str,
    filename: str,
    ctx: OperationContext = Depends(require_device(Action.CROSSING_WRITE)),
) -> Response:
    """One media file; one holding personal data is logged in the access log when served."""
    forms.get_form(ctx.session, operation_id=ctx.operation.id, xml_form_id=xml_form_id)
    media = forms.media_registry().get(filename)
    if media is not None and not _may(ctx, media.action):
        raise Forbidden("your role does not allow this file in this operation")
    content = forms.media_file(ctx.session, operation_id=ctx.operation.id, name=filename)
    if media is not None and media.access_purpose:
        record_access(
            ctx.session,
            user_id=ctx.principal.user_id,
            operation_id=ctx.operation.id,
            action="openrosa.media_file",
            entity_type="form_media",
            entity_id=filename,
            purpose=media.access_purpose,
        )
    return Response(content, media_type="text/csv; charset=utf-8", headers=_headers())


def _body_limit(request: Request) -> int:
    return request.app.state.settings.openrosa_max_attachment_bytes + openrosa.MAX_INSTANCE_BYTES


@router.head("/submission", status_code=204)
async def submission_head(
    request: Request,
    ctx: DeviceContext = Depends(require_device_login(Action.CROSSING_WRITE)),
) -> Response:
    """What a client asks before posting: where to, and how large a request may be."""
    return Response(
        status_code=204,
        headers=_headers(
            {
                "X-OpenRosa-Accept-Content-Length": str(_body_limit(request)),
                "Location": _base(request, ctx.operation.slug) + "/submission",
            }
        ),
    )


class SubmissionParts:
    """The multipart body of a submission POST, read within the size limits."""

    def __init__(self, xml: bytes, uploads: list[submissions.Upload]) -> None:
        self.xml, self.uploads = xml, uploads


async def read_parts(request: Request) -> SubmissionParts:
    limit = _body_limit(request)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request is larger than {limit:,} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise PayloadTooLarge(f"the request is larger than {limit:,} bytes")
    request._body = bytes(body)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise openrosa.BadSubmission("send multipart/form-data with an xml_submission_file part")
    try:
        form = await request.form(max_files=MAX_PARTS, max_fields=MAX_PARTS)
    except Exception:  # noqa: BLE001 - malformed multipart of any kind
        raise openrosa.BadSubmission("the multipart body is malformed") from None
    xml: bytes | None = None
    uploads: list[submissions.Upload] = []
    max_attachment = request.app.state.settings.openrosa_max_attachment_bytes
    for name, value in form.multi_items():
        if isinstance(value, str):
            continue
        content = await value.read()
        if name == INSTANCE_PART:
            xml = content
            continue
        if len(content) > max_attachment:
            raise PayloadTooLarge(f"an attachment is larger than {max_attachment:,} bytes")
        uploads.append(
            submissions.Upload(
                name=(value.filename or name)[:255],
                content_type=value.content_type or "application/octet-stream",
                content=content,
            )
        )
    await form.close()
    if xml is None:
        raise openrosa.BadSubmission("the request has no xml_submission_file part")
    return SubmissionParts(xml, uploads)


@router.post("/submission", status_code=201)
async def submission_post(
    request: Request,
    ctx: DeviceContext = Depends(require_device_login(Action.CROSSING_WRITE)),
) -> Response:
    """Store a submission (201), acknowledge one already stored (202); safe to resend.

    Stored by this worker's submission writer, together with any others that
    arrived at the same moment, and answered once committed. The route waits
    for that without holding a thread: the body is read and the XML parsed on
    the event loop (unreadable XML is refused here, at once).
    """
    parts = await read_parts(request)
    instance = openrosa.parse_instance(parts.xml)
    writer = intake.writer_for(request.app.state.runtime.factory)
    received = await asyncio.wrap_future(
        writer.submit(
            intake.Intake(
                operation_id=ctx.operation.id,
                organisation_id=min(ctx.decision.organisation_ids),
                login=ctx.login,
                actor=ctx.actor,
                xml=parts.xml,
                instance=instance,
                uploads=parts.uploads,
                may=lambda action: decide(ctx.principal, ctx.operation.participation, action),
            )
        )
    )
    log.info(
        "submission %s stored for operation %s (status %s)",
        received.submission.id,
        ctx.operation.id,
        received.status_code,
    )
    return Response(
        openrosa.response(received.message),
        status_code=received.status_code,
        media_type=XML,
        headers=_headers(),
    )
