"""Jinja2 templates: one environment for every capability's ``templates/`` folder.

Pages are rendered in the request's language (the user's choice, else the
language cookie, else Accept-Language); Arabic and other right-to-left
languages get ``dir="rtl"``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from corridor.errors import CorridorError
from corridor.web import i18n
from corridor.web.deps import csrf_token

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def _template_dirs() -> list[Path]:
    return sorted(PACKAGE_ROOT.glob("*/templates"))


def _format_time(value: datetime | None, timezone: str | None = None) -> str:
    """A UTC time shown in the operation's time zone (stored in UTC, shown local)."""
    if value is None:
        return ""
    zone = ZoneInfo(timezone) if timezone else ZoneInfo("UTC")
    local = value.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "")


def _format_date(value: date | None) -> str:
    return value.isoformat() if value else ""


def _geojson_script(value: Any) -> Markup:
    """JSON safe to place inside a <script type="application/geo+json"> element."""
    text = json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("&", "\\u0026"))


def build_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in _template_dirs()]),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    env.filters["localtime"] = _format_time
    env.filters["isodate"] = _format_date
    env.filters["geojson"] = _geojson_script
    env.globals["language_names"] = i18n.LANGUAGE_NAMES
    return env


_ENV = build_environment()


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page in the request's language with the base layout's context."""
    language = getattr(request.state, "language", i18n.DEFAULT_LANGUAGE)
    i18n.set_language(language)
    flashes = request.session.pop("flash", []) if "session" in request.scope else []
    html = _ENV.get_template(template).render(
        request=request,
        lang=language,
        dir="rtl" if i18n.is_rtl(language) else "ltr",
        principal=getattr(request.state, "principal", None),
        csrf_token=csrf_token(request),
        flashes=flashes,
        languages=i18n.available_languages(),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def render_document(template: str, *, language: str, **context: Any) -> str:
    """Render a standalone document (a page to print as PDF) in ``language``."""
    previous = i18n.current_language()
    i18n.set_language(language)
    try:
        return _ENV.get_template(template).render(
            lang=i18n.current_language(),
            dir="rtl" if i18n.is_rtl(language) else "ltr",
            **context,
        )
    finally:
        i18n.set_language(previous)


def flash(request: Request, message: str, kind: str = "success") -> None:
    """Queue a message (an untranslated msgid) for the next page."""
    request.session.setdefault("flash", []).append({"message": message, "kind": kind})


def form_errors(exc: CorridorError, field: str) -> dict[str, str]:
    """A form's errors by field; an error naming no field is shown at ``field``."""
    return {p.field: p.message for p in exc.problems} or {field: exc.detail}


def N_(message: str) -> str:
    return message
