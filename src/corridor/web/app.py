"""The FastAPI application factory.

``create_app()`` builds the runtime (database, keys, audit hook), mounts every
capability's JSON API and pages, and, inside ``corridor serve``, starts the
job runner thread of this worker.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import corridor
from corridor.config import Settings, get_settings
from corridor.errors import CorridorError
from corridor.keys.files import load_or_create_secret
from corridor.runtime import Runtime, build_runtime
from corridor.web import i18n, problems
from corridor.web.deps import SignInRequired
from corridor.web.templating import render

log = logging.getLogger("corridor.web")
STATIC_DIR = Path(__file__).parent / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class RequestContextMiddleware:
    """Request id, language negotiation and security headers (pure ASGI)."""

    def __init__(self, app: ASGIApp, expose_worker_id: bool = False) -> None:
        self.app = app
        self.worker = str(os.getpid()).encode() if expose_worker_id else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        headers = dict((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
        session = scope.get("session") or {}
        state["language"] = session.get("lang") or i18n.negotiate(headers.get("accept-language"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"x-request-id", request_id.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                ]
                if self.worker is not None:
                    extra.append((b"x-corridor-worker", self.worker))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_api(request: Request) -> bool:
    """Answered with problem details: the API, and the trust lists devices fetch."""
    return request.url.path.startswith(("/api/", "/trust/"))


def _is_openrosa(request: Request) -> bool:
    return request.url.path.startswith("/openrosa/")


def _install_error_handlers(app: FastAPI) -> None:
    from corridor.crossings.openrosa_api import openrosa_error

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)

    @app.exception_handler(CorridorError)
    async def _corridor(request: Request, exc: CorridorError) -> Response:
        if _is_openrosa(request):
            return openrosa_error(exc.status, exc.detail)
        if _is_api(request):
            return problems.corridor_error_response(request, exc)
        if exc.status == 401:
            return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)
        return render(
            request,
            "web/error.html",
            status_code=exc.status,
            status=exc.status,
            detail=exc.detail,
            problems=exc.problems,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if _is_openrosa(request):
            return openrosa_error(400, "the request is not a valid OpenRosa request")
        if _is_api(request):
            return problems.validation_error_response(request, exc)
        fields = [".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors()]
        return render(
            request,
            "web/error.html",
            status_code=422,
            status=422,
            detail=", ".join(fields),
            problems=[],
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_openrosa(request):
            return openrosa_error(exc.status_code, str(exc.detail))
        if _is_api(request) or request.url.path.startswith("/static/"):
            return problems.http_error_response(request, exc)
        return render(
            request,
            "web/error.html",
            status_code=exc.status_code,
            status=exc.status_code,
            detail=None,
            problems=[],
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        return problems.server_error_response(request, exc)


def _custom_openapi(app: FastAPI) -> dict[str, Any]:
    """OpenAPI with error responses documented as application/problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, routes=app.routes, description=app.description
    )
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                schema_ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
                if status.startswith(("4", "5")) and schema_ref.endswith("/Problem"):
                    content[problems.PROBLEM_JSON] = content.pop("application/json")
    schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
    }
    schema["security"] = [{"bearer": []}]
    app.openapi_schema = schema
    return schema


def _routers() -> list[Any]:
    from corridor.accounts import api as accounts_api
    from corridor.accounts import pages as accounts_pages
    from corridor.aid import api as aid_api
    from corridor.aid import pages as aid_pages
    from corridor.aid import reconciliation_pages
    from corridor.amnesty import api as amnesty_api
    from corridor.amnesty import pages as amnesty_pages
    from corridor.amnesty import verify_pages
    from corridor.audit import api as audit_api
    from corridor.crossings import api as crossings_api
    from corridor.crossings import forms_api, openrosa_api, submissions_api, tally_pages
    from corridor.crossings import pages as crossings_pages
    from corridor.jobs import api as jobs_api
    from corridor.linkage import api as linkage_api
    from corridor.linkage import pages as linkage_pages
    from corridor.linkage import tracing_pages
    from corridor.operations import api as operations_api
    from corridor.operations import corridor_api, notice_api, notice_pages
    from corridor.operations import pages as operations_pages
    from corridor.reports import api as reports_api
    from corridor.reports import pages as reports_pages
    from corridor.routing import api as routing_api
    from corridor.routing import pages as routing_pages
    from corridor.web import health

    # Routes are matched in this order, one after another: the field apps'
    # OpenRosa routes, called for every submission, come first.
    return [
        openrosa_api.router,
        health.router,
        accounts_api.router,
        operations_api.router,
        audit_api.router,
        jobs_api.router,
        routing_api.router_api,
        corridor_api.router,
        crossings_api.router,
        forms_api.router,
        submissions_api.router,
        linkage_api.router,
        aid_api.router,
        amnesty_api.router,
        amnesty_api.trust_router,
        reports_api.router,
        notice_api.router,
        accounts_pages.router,
        operations_pages.router,
        routing_pages.router,
        crossings_pages.router,
        tally_pages.router,
        linkage_pages.router,
        tracing_pages.router,
        aid_pages.router,
        reconciliation_pages.router,
        amnesty_pages.router,
        verify_pages.router,
        reports_pages.router,
        notice_pages.router,
    ]


def create_app(
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    *,
    start_jobs: bool | None = None,
) -> FastAPI:
    """Build the app; ``runtime`` is passed by tests, built from settings otherwise."""
    settings = settings or (runtime.settings if runtime else get_settings())
    runtime = runtime or build_runtime(settings)
    run_jobs = settings.run_jobs if start_jobs is None else start_jobs

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = None
        if run_jobs:
            import threading

            from corridor.jobs.periodic import start_runner
            from corridor.routing.service import warm_up

            runner = start_runner(runtime)
            # Networks load in the background, so the first route query is fast.
            threading.Thread(
                target=warm_up, args=(runtime.factory,), daemon=True, name="corridor-warm-up"
            ).start()
        yield
        if runner is not None:
            runner.stop()

    app = FastAPI(
        title="Corridor",
        version=corridor.__version__,
        description="Humanitarian corridor operations: JSON API. Errors are RFC 9457 "
        "problem details.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
        responses=problems.PROBLEM_RESPONSES,
    )
    app.state.runtime = runtime
    app.state.settings = settings
    secret = load_or_create_secret(settings.effective_secret_key_file)
    app.add_middleware(RequestContextMiddleware, expose_worker_id=settings.expose_worker_id)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret.hex(),
        session_cookie="corridor_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    _install_error_handlers(app)
    for router in _routers():
        app.include_router(router)
    if not (STATIC_DIR / "build" / "corridor.js").exists():
        log.warning("web assets are not built: run `npm ci && npm run build`")
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    app.openapi = lambda: _custom_openapi(app)  # type: ignore[method-assign]
    return app
