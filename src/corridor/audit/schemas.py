"""API output of the audit capability."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AuditRecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    occurred_at: datetime
    actor_label: str
    entity_type: str
    entity_id: str
    action: str
    state_hmac: str
    record_hash: str


class ChainReportOut(BaseModel):
    chain: str
    records: int
    ok: bool
    problem: str | None
