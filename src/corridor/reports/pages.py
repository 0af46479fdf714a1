"""The reports pages: situation reports (draft, published versions) and the
operation dashboard. Thin: parse, authorise, call the services, render."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from corridor.accounts.permissions import Action, decide
from corridor.aid import ledger, places
from corridor.db.types import utcnow
from corridor.errors import CorridorError
from corridor.operations import corridors, notices
from corridor.operations.models import Operation
from corridor.reports import presentation, service
from corridor.reports.api import FORMATS
from corridor.reports.context import next_window
from corridor.reports.figures import Period
from corridor.web import i18n
from corridor.web.deps import OperationContext, check_csrf, require
from corridor.web.schemas import RowId
from corridor.web.templating import N_, flash, render

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


def _today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def _report_context(request: Request, content: dict[str, Any]) -> dict[str, Any]:
    i18n.set_language(getattr(request.state, "language", i18n.DEFAULT_LANGUAGE))
    _ = i18n.gettext
    return {
        "report": content,
        "charts": presentation.chart_svgs(content, _),
        "map_svg": presentation.map_svg(content, _),
        "fmt": presentation.cell,
        "chg": presentation.change,
        "figure_labels": presentation.FIGURE_LABELS,
    }


def _may_publish(ctx: OperationContext) -> bool:
    return decide(ctx.principal, ctx.operation.participation, Action.REPORT_PUBLISH).allowed


@router.get("/operations/{slug}/reports")
def reports_page(
    request: Request, ctx: OperationContext = Depends(require(Action.REPORT_READ))
) -> Response:
    published = service.list_published(ctx.session, operation_id=ctx.operation.id)
    newest: dict[tuple[date, date], int] = {}
    for row in published:
        key = (row.first_day, row.last_day)
        newest[key] = max(newest.get(key, 0), row.version)
    return render(
        request,
        "reports/index.html",
        operation=ctx.operation,
        published=published,
        newest=newest,
        yesterday=_today(ctx.operation.timezone) - timedelta(days=1),
        may_publish=_may_publish(ctx),
        max_days=ctx.session.info["settings"].report_max_days,
    )


@router.get("/operations/{slug}/reports/sitrep")
def draft_page(
    request: Request,
    day: date | None = Query(None, alias="date"),
    first: date | None = Query(None, alias="from"),
    last: date | None = Query(None, alias="to"),
    ctx: OperationContext = Depends(require(Action.REPORT_READ)),
) -> Response:
    """A draft: the report from the data as it is now."""
    first = day or first or (_today(ctx.operation.timezone) - timedelta(days=1))
    last = day or last or first
    period = service.period(ctx.session, first, last)
    operation = ctx.session.get_one(Operation, ctx.operation.id)
    content = service.draft(ctx.session, operation=operation, period=period)
    query = f"date={period.first}" if period.days == 1 else f"from={period.first}&to={period.last}"
    base = f"/api/v1/operations/{ctx.operation.slug}/sitrep"
    return render(
        request,
        "reports/sitrep.html",
        operation=ctx.operation,
        published=None,
        downloads={fmt: f"{base}.{fmt}?{query}" for fmt in FORMATS},
        period=period,
        may_publish=_may_publish(ctx),
        **_report_context(request, content),
    )


@router.post("/operations/{slug}/reports/publish")
def publish_page(
    request: Request,
    first: FormStr,
    last: FormStr = "",
    csrf_token: FormStr = "",
    ctx: OperationContext = Depends(require(Action.REPORT_PUBLISH)),
) -> Response:
    check_csrf(request, csrf_token)
    try:
        start = date.fromisoformat(first)
        end = date.fromisoformat(last) if last else start
    except ValueError:
        flash(request, N_("Give the days as YYYY-MM-DD."), "error")
        return RedirectResponse(f"/operations/{ctx.operation.slug}/reports", status_code=303)
    try:
        period = service.period(ctx.session, start, end)
    except CorridorError as exc:
        flash(request, exc.detail, "error")
        return RedirectResponse(f"/operations/{ctx.operation.slug}/reports", status_code=303)
    operation = ctx.session.get_one(Operation, ctx.operation.id)
    row, new = service.publish(
        ctx.session, operation=operation, period=period, published_by_id=ctx.principal.user_id
    )
    flash(
        request,
        N_("The report has been published.")
        if new
        else N_("Nothing has changed since this report was published."),
    )
    return RedirectResponse(f"/operations/{ctx.operation.slug}/reports/{row.id}", status_code=303)


@router.get("/operations/{slug}/reports/{sitrep_id}")
def published_page(
    request: Request,
    sitrep_id: RowId,
    ctx: OperationContext = Depends(require(Action.REPORT_READ)),
) -> Response:
    """A published version, exactly as it was frozen."""
    row = service.get_published(ctx.session, operation_id=ctx.operation.id, sitrep_id=sitrep_id)
    base = f"/api/v1/operations/{ctx.operation.slug}/sitreps/{row.id}/sitrep"
    current = service.latest(
        ctx.session, operation_id=ctx.operation.id, first=row.first_day, last=row.last_day
    )
    return render(
        request,
        "reports/sitrep.html",
        operation=ctx.operation,
        published=row,
        current=current,
        downloads={fmt: f"{base}.{fmt}" for fmt in FORMATS},
        period=Period(row.first_day, row.last_day),
        may_publish=False,
        **_report_context(request, row.content),
    )


@router.get("/operations/{slug}/dashboard")
def dashboard_page(
    request: Request, ctx: OperationContext = Depends(require(Action.REPORT_READ))
) -> Response:
    """The map, the corridors' status and next window, today's figures, alerts."""
    operation = ctx.session.get_one(Operation, ctx.operation.id)
    today = _today(ctx.operation.timezone)
    content = service.draft(ctx.session, operation=operation, period=Period(today, today))
    now = utcnow()
    corridor_board = [
        {
            "id": c.id,
            "name": c.name,
            "status": c.status.value,
            "next_window": next_window(list(c.windows or []), now),
        }
        for c in corridors.list_corridors(ctx.session, operation_id=ctx.operation.id)
    ]
    alerts: list[dict[str, Any]] = []
    for flag in corridors.open_flags(ctx.session, operation_id=ctx.operation.id):
        alerts.append(
            {"kind": "hazard", "corridor_id": flag.corridor_id, "detail": flag.hazard_name}
        )
    for place in places.list_places(ctx.session, operation_id=ctx.operation.id):
        for alert in ledger.alerts(ctx.session, place_id=place.id):
            alerts.append(
                {"kind": "stock", "place": place.name, "place_id": place.id, "alert": alert}
            )
    for notice, missing in notices.unacknowledged(ctx.session, operation_id=ctx.operation.id):
        alerts.append(
            {
                "kind": "notice",
                "notice_id": notice.id,
                "detail": f"N-{notice.number:04d} v{notice.version}: {', '.join(missing)}",
            }
        )
    names = {c["id"]: c["name"] for c in corridor_board}
    return render(
        request,
        "reports/dashboard.html",
        operation=ctx.operation,
        today=today,
        corridor_board=corridor_board,
        corridor_names=names,
        alerts=alerts,
        map_layers=_map_layers(operation),
        **_report_context(request, content),
    )


def _map_layers(operation: Operation) -> list[dict[str, Any]]:
    _ = i18n.gettext
    base = f"/api/v1/operations/{operation.slug}"
    layers: list[dict[str, Any]] = []
    if operation.area:
        layers.append(
            {
                "kind": "area",
                "label": _("Operation area"),
                "geojson": {
                    "type": "Feature",
                    "geometry": operation.area,
                    "properties": {"name": operation.name},
                },
            }
        )
    for kind, label, path in (
        ("corridors", _("Corridors"), "corridors.geojson"),
        ("hazards", _("Hazards"), "hazards.geojson"),
        ("checkpoints", _("Checkpoints"), "checkpoints.geojson"),
        ("aid_points", _("Aid points and warehouses"), "aid/places.geojson"),
    ):
        layers.append({"kind": kind, "label": label, "src": f"{base}/{path}"})
    return layers
