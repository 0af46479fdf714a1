"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from corridor.db import migrate
from corridor.web.deps import DbSession, public

router = APIRouter(tags=["health"], dependencies=[Depends(public)])


class Health(BaseModel):
    status: str
    schema_current: bool | None = None


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(request: Request, session: DbSession) -> JSONResponse:
    """The database answers and its schema is current."""
    engine = request.app.state.runtime.engine
    try:
        # A signed-in caller's request already holds a transaction (on SQLite, the
        # write lock: every transaction begins IMMEDIATE); end it so the probe's own
        # connection below does not wait for it and time out.
        session.commit()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = migrate.state(engine).up_to_date
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        return JSONResponse({"status": "database unreachable", "schema_current": None}, 503)
    status = 200 if current else 503
    body = {"status": "ok" if current else "schema behind", "schema_current": current}
    return JSONResponse(body, status)
