"""The situation reports' JSON API (thin: parse, authorise, call the services).

Drafts (``/sitrep``) are built from the data as it is now; published reports
(``/sitreps``) are frozen versions. Every participant reads them (counts only,
small ones withheld); the lead organisation publishes.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query, Response

from corridor.accounts.permissions import Action
from corridor.errors import InvalidInput, NotFound
from corridor.operations.models import Operation
from corridor.reports import hxl, pdf, service
from corridor.reports.models import PublishedSitrep
from corridor.reports.schemas import PublishedOut, PublishIn
from corridor.reports.service import file_stem
from corridor.web.deps import OperationContext, require
from corridor.web.schemas import RowId

router = APIRouter(prefix="/api/v1/operations/{slug}", tags=["reports"])

FORMATS = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "geojson": "application/geo+json",
}


def render_file(content: dict, fmt: str, *, version: int | None = None) -> bytes:
    if fmt == "pdf":
        return pdf.sitrep_pdf(content, version=version)
    if fmt == "csv":
        return hxl.to_csv(content).encode("utf-8")
    if fmt == "json":
        return hxl.to_json(content)
    return hxl.to_geojson(content)


def file_response(data: bytes, fmt: str, name: str) -> Response:
    return Response(
        data,
        media_type=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


def _period(ctx: OperationContext, day: date | None, first: date | None, last: date | None):
    if day is None and first is None:
        raise InvalidInput("date", "give the day to report, or from and to")
    if day is not None and (first is not None or last is not None):
        raise InvalidInput("date", "give either date or from and to, not both")
    return service.period(ctx.session, day or first, day or last)  # type: ignore[arg-type]


def _operation(ctx: OperationContext) -> Operation:
    return ctx.session.get_one(Operation, ctx.operation.id)


@router.get("/sitrep")
def draft_sitrep(
    day: date | None = Query(None, alias="date"),
    first: date | None = Query(None, alias="from"),
    last: date | None = Query(None, alias="to"),
    ctx: OperationContext = Depends(require(Action.REPORT_READ)),
) -> dict:
    """The report of a day (or a period) from the data as it is now, not published."""
    period = _period(ctx, day, first, last)
    return service.draft(ctx.session, operation=_operation(ctx), period=period)


@router.get("/sitrep.{fmt}")
def draft_sitrep_file(
    fmt: str,
    day: date | None = Query(None, alias="date"),
    first: date | None = Query(None, alias="from"),
    last: date | None = Query(None, alias="to"),
    ctx: OperationContext = Depends(require(Action.REPORT_READ)),
) -> Response:
    """The draft as a file: pdf, csv (HXL), json (HXL JSON) or geojson."""
    if fmt not in FORMATS:
        raise NotFound("no such format: pdf, csv, json or geojson")
    period = _period(ctx, day, first, last)
    content = service.draft(ctx.session, operation=_operation(ctx), period=period)
    name = file_stem(ctx.operation.slug, period.first, period.last)
    return file_response(render_file(content, fmt), fmt, name)


def published_out(ctx: OperationContext, row: PublishedSitrep) -> PublishedOut:
    base = f"/api/v1/operations/{ctx.operation.slug}/sitreps/{row.id}"
    return PublishedOut(
        id=row.id,
        first_day=row.first_day,
        last_day=row.last_day,
        version=row.version,
        revised=row.version > 1,
        current=service.is_current(ctx.session, row),
        revises_id=row.revises_id,
        threshold=row.threshold,
        data_as_of=row.data_as_of,
        published_at=row.published_at,
        files={fmt: f"{base}/sitrep.{fmt}" for fmt in FORMATS},
    )


@router.get("/sitreps", response_model=list[PublishedOut])
def list_sitreps(
    ctx: OperationContext = Depends(require(Action.REPORT_READ)),
) -> list[PublishedOut]:
    rows = service.list_published(ctx.session, operation_id=ctx.operation.id)
    return [published_out(ctx, row) for row in rows]


@router.post("/sitreps", response_model=PublishedOut, status_code=201)
def publish_sitrep(
    body: PublishIn,
    response: Response,
    ctx: OperationContext = Depends(require(Action.REPORT_PUBLISH)),
) -> PublishedOut:
    """Freeze the report of a day or period; the same figures again give the same version (200)."""
    period = service.period(ctx.session, body.from_, body.to)
    row, new = service.publish(
        ctx.session,
        operation=_operation(ctx),
        period=period,
        published_by_id=ctx.principal.user_id,
    )
    if not new:
        response.status_code = 200
    return published_out(ctx, row)


@router.get("/sitreps/{sitrep_id}")
def get_sitrep(
    sitrep_id: RowId, ctx: OperationContext = Depends(require(Action.REPORT_READ))
) -> dict:
    """The published content, as frozen."""
    row = service.get_published(ctx.session, operation_id=ctx.operation.id, sitrep_id=sitrep_id)
    return row.content


@router.get("/sitreps/{sitrep_id}/sitrep.{fmt}")
def get_sitrep_file(
    sitrep_id: RowId, fmt: str, ctx: OperationContext = Depends(require(Action.REPORT_READ))
) -> Response:
    if fmt not in FORMATS:
        raise NotFound("no such format: pdf, csv, json or geojson")
    row = service.get_published(ctx.session, operation_id=ctx.operation.id, sitrep_id=sitrep_id)
    data = row.pdf if fmt == "pdf" else render_file(row.content, fmt)
    name = file_stem(ctx.operation.slug, row.first_day, row.last_day) + f"-v{row.version}"
    return file_response(data, fmt, name)
