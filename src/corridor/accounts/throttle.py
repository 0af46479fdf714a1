"""Throttling of sign-in guesses, shared by every way in (web, API, OpenRosa, OData).

Failures live in the database so that every server worker sees them. After
``signin_max_failures_per_login`` failures for one login, or
``signin_max_failures_per_address`` from one address, within the window, the
caller gets 429 with ``Retry-After`` until the oldest counted failure ages out.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from corridor.accounts.models import SignInFailure
from corridor.config import Settings
from corridor.db.types import utcnow
from corridor.errors import TooManyAttempts

_F = SignInFailure.__table__


def _retry_after(
    session: Session, column: object, value: str, limit: int, window: timedelta
) -> int | None:
    since = utcnow() - window
    rows = (
        session.execute(
            select(_F.c.at)
            .where(column == value, _F.c.at >= since)
            .order_by(_F.c.at.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    if len(rows) < limit:
        return None
    oldest_counted = rows[-1]
    return max(1, math.ceil((oldest_counted + window - utcnow()).total_seconds()))


def check(session: Session, settings: Settings, *, login: str, address: str) -> None:
    """Raise ``TooManyAttempts`` if this login or address is throttled."""
    window = timedelta(seconds=settings.signin_window_seconds)
    login_wait = _retry_after(
        session, _F.c.login, login.lower(), settings.signin_max_failures_per_login, window
    )
    address_wait = _retry_after(
        session, _F.c.address, address, settings.signin_max_failures_per_address, window
    )
    wait = max(login_wait or 0, address_wait or 0)
    if wait:
        raise TooManyAttempts("too many failed sign-in attempts; try again later", retry_after=wait)


def record_failure(session: Session, settings: Settings, *, login: str, address: str) -> None:
    """Count a failure. The caller commits it even though it then refuses entry
    (a separate transaction would wait on the caller's own lock on SQLite)."""
    cutoff = utcnow() - timedelta(seconds=settings.signin_window_seconds)
    session.execute(delete(_F).where(_F.c.at < cutoff))
    session.execute(insert(_F).values(login=login.lower()[:64], address=address[:64], at=utcnow()))


def clear_login(session: Session, *, login: str) -> None:
    session.execute(delete(_F).where(_F.c.login == login.lower()))


def failures(session: Session, *, login: str) -> int:
    return session.execute(
        select(func.count()).select_from(_F).where(_F.c.login == login.lower())
    ).scalar_one()
