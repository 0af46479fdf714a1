"""Reading the audit trail and verifying chains."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.audit.chain import ChainReport, chain_of, verify_all, verify_chain
from corridor.audit.models import AuditRecord


def list_records(
    session: Session, *, operation_id: int | None, limit: int = 100, before_seq: int | None = None
) -> list[AuditRecord]:
    """The newest records of an operation's chain, newest first."""
    query = select(AuditRecord).where(AuditRecord.chain == chain_of(operation_id))
    if before_seq is not None:
        query = query.where(AuditRecord.seq < before_seq)
    return list(session.scalars(query.order_by(AuditRecord.seq.desc()).limit(limit)))


def verify_operation(session: Session, *, operation_id: int) -> ChainReport:
    signer = session.info["audit_signer"]
    return verify_chain(session.connection(), signer.public_key(), chain_of(operation_id))


def verify_everything(session: Session) -> list[ChainReport]:
    signer = session.info["audit_signer"]
    return verify_all(session.connection(), signer.public_key())
