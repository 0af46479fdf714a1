"""JSON API of the audit trail (the lead organisation's admins and coordinators)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from corridor.accounts.permissions import Action
from corridor.audit import service
from corridor.audit.schemas import AuditRecordOut, ChainReportOut
from corridor.web.deps import OperationContext, require

router = APIRouter(prefix="/api/v1/operations/{slug}/audit", tags=["audit"])


@router.get("", response_model=list[AuditRecordOut])
def list_audit(
    limit: int = Query(100, ge=1, le=1000),
    before_seq: int | None = Query(None, ge=1, le=2**63 - 1),
    ctx: OperationContext = Depends(require(Action.AUDIT_READ)),
) -> list[AuditRecordOut]:
    """The operation's audit records, newest first (no record content, only its HMAC)."""
    return [
        AuditRecordOut.model_validate(r)
        for r in service.list_records(
            ctx.session, operation_id=ctx.operation.id, limit=limit, before_seq=before_seq
        )
    ]


@router.get("/verify", response_model=ChainReportOut)
def verify(ctx: OperationContext = Depends(require(Action.AUDIT_READ))) -> ChainReportOut:
    """Recompute the operation's chain and check its signed head and checkpoints."""
    report = service.verify_operation(ctx.session, operation_id=ctx.operation.id)
    return ChainReportOut(
        chain=report.chain, records=report.records, ok=report.ok, problem=report.problem
    )
