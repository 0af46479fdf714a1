"""The project's own errors.

Services raise these; the web layer turns them into RFC 9457 problem details and
the CLI into one line on stderr with exit code 2. Messages never contain
personal data: they name the field and the problem, not the value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one input field (``field`` is a dotted path)."""

    field: str
    message: str


class CorridorError(Exception):
    """Base class; ``status`` is the HTTP status the web layer answers with."""

    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(self, detail: str, *, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []


class InvalidInput(CorridorError):
    """Input that names a field and what is wrong with it."""

    status = 422
    title = "Invalid input"
    type_slug = "invalid-input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", problems=[FieldProblem(field, message)])
        self.field = field


class NotFound(CorridorError):
    """The thing does not exist, or the caller may not know that it exists."""

    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(CorridorError):
    """The request clashes with the current state (duplicate, stale, used up)."""

    status = 409
    title = "Conflict"
    type_slug = "conflict"


class Unauthenticated(CorridorError):
    status = 401
    title = "Authentication required"
    type_slug = "unauthenticated"


class Forbidden(CorridorError):
    """The caller can see the thing but may not do this to it."""

    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class TooManyAttempts(CorridorError):
    status = 429
    title = "Too many attempts"
    type_slug = "too-many-attempts"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PayloadTooLarge(CorridorError):
    status = 413
    title = "Payload too large"
    type_slug = "payload-too-large"
