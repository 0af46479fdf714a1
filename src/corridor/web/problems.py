"""RFC 9457 problem details for every API error.

Bodies name the field and the problem, never the value sent (which may be
personal data), and never a stack trace: unexpected errors give a request id
that finds the full report in the server log.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from corridor.errors import CorridorError, TooManyAttempts

log = logging.getLogger("corridor.web")
PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the input field")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    request_id: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


# The OpenAPI document moves these from application/json to application/problem+json
# (see ``app.custom_openapi``).
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": description}
    for status, description in {
        400: "Bad request",
        401: "Authentication required",
        403: "Forbidden",
        404: "Not found (or not visible to you)",
        409: "Conflict with the current state",
        413: "Payload too large",
        422: "Invalid input: each problem names its field",
        429: "Too many attempts; see Retry-After",
    }.items()
}


def problem_response(
    request: Request,
    *,
    status: int,
    title: str,
    slug: str,
    detail: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=f"urn:corridor:problem:{slug}",
        title=title,
        status=status,
        detail=detail,
        request_id=getattr(request.state, "request_id", None),
        errors=[FieldError(**e) for e in errors or []],
    )
    return JSONResponse(
        body.model_dump(), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def corridor_error_response(request: Request, exc: CorridorError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
    if exc.status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="corridor"'}
    return problem_response(
        request,
        status=exc.status,
        title=exc.title,
        slug=exc.type_slug,
        detail=exc.detail,
        errors=[{"field": p.field, "message": p.message} for p in exc.problems],
        headers=headers,
    )


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_error_response(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"field": _field_path(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem_response(
        request,
        status=422,
        title="Invalid input",
        slug="invalid-input",
        detail=detail,
        errors=errors,
    )


def http_error_response(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    titles = {
        404: "Not found",
        405: "Method not allowed",
        400: "Bad request",
        413: "Payload too large",
        401: "Authentication required",
    }
    return problem_response(
        request,
        status=exc.status_code,
        title=titles.get(exc.status_code, "Error"),
        slug=titles.get(exc.status_code, "error").lower().replace(" ", "-"),
        detail=str(exc.detail) if exc.detail else None,
        headers=getattr(exc, "headers", None),
    )


def server_error_response(request: Request, exc: Exception) -> JSONResponse:
    # The stack (file, line, code) but not the exception's message: messages of
    # third-party errors can quote the input, which may be personal data.
    log.error(
        "unexpected error (request %s): %s\n%s",
        getattr(request.state, "request_id", "?"),
        type(exc).__name__,
        "".join(traceback.format_tb(exc.__traceback__)),
    )
    return problem_response(
        request,
        status=500,
        title="Internal error",
        slug="internal-error",
        detail="Something went wrong; quote the request id when reporting it.",
        # Answered by the outermost middleware, past the one that adds X-Request-ID.
        headers={"X-Request-ID": request.state.request_id}
        if getattr(request.state, "request_id", None)
        else None,
    )
