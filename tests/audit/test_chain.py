"""The audit chain detects edits, also when every later link is recomputed."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from corridor.accounts.models import Organisation
from corridor.audit import chain as audit_chain
from corridor.audit.chain import record_hash, verify_all, verify_chain
from corridor.audit.models import AuditChainHead, AuditCheckpoint, AuditRecord
from corridor.db.session import Actor, unit_of_work
from corridor.operations import service as operations
from corridor.runtime import Runtime
from tests.factories import Factory


def _busy_operation(runtime: Runtime, factory: Factory, changes: int = 6) -> str:
    lead = factory.organisation()
    operation = factory.operation(lead)
    for index in range(changes):
        with unit_of_work(runtime.factory, Actor(label="editor", user_id=None)) as session:
            op = operations.get_operation(session, operation_id=operation.id)
            operations.update_operation(
                session, operation=op, changes={"description": f"revision {index}"}
            )
    return f"op:{operation.id}"


def _verify(runtime: Runtime, chain: str) -> audit_chain.ChainReport:
    with runtime.engine.connect() as conn:
        return verify_chain(conn, runtime.signer.public_key(), chain)


def _rows(runtime: Runtime, chain: str) -> list[AuditRecord]:
    with unit_of_work(runtime.factory) as session:
        return list(
            session.scalars(
                select(AuditRecord).where(AuditRecord.chain == chain).order_by(AuditRecord.seq)
            )
        )


def test_every_change_through_services_is_chained_with_actor_and_hmac(
    runtime: Runtime, factory: Factory
) -> None:
    chain = _busy_operation(runtime, factory, changes=3)
    rows = _rows(runtime, chain)
    actions = [(r.entity_type, r.action) for r in rows]
    assert actions[:2] == [("operation", "create"), ("operation_partner", "create")]
    assert actions.count(("operation", "update")) == 3
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert all(r.prev_hash == p.record_hash for p, r in itertools.pairwise(rows))
    updates = [r for r in rows if r.action == "update"]
    assert {r.actor_label for r in updates} == {"editor"}
    assert len({r.state_hmac for r in updates}) == 3
    assert _verify(runtime, chain).ok


def test_state_digest_is_keyed_not_a_plain_hash(runtime: Runtime, factory: Factory) -> None:
    """A plain SHA-256 of a record can be reversed by guessing; the HMAC needs the key."""
    chain = _busy_operation(runtime, factory, changes=1)
    row = next(r for r in _rows(runtime, chain) if r.action == "update")
    candidates = [hashlib.sha256(json.dumps({"description": "revision 0"}).encode()).hexdigest()]
    assert row.state_hmac not in candidates
    assert len(row.state_hmac) == 64
    assert row.state_hmac != hmac.new(b"", b"", hashlib.sha256).hexdigest()


def test_editing_one_record_is_detected(runtime: Runtime, factory: Factory) -> None:
    chain = _busy_operation(runtime, factory)
    target = _rows(runtime, chain)[3]
    with runtime.engine.begin() as conn:
        conn.execute(
            update(AuditRecord)
            .where(AuditRecord.id == target.id)
            .values(actor_label="someone else")
        )
    report = _verify(runtime, chain)
    assert not report.ok
    assert f"record {target.seq}" in (report.problem or "")


def test_rewriting_every_later_link_and_the_head_is_still_detected(
    runtime: Runtime, factory: Factory
) -> None:
    """An attacker with database access edits a record and recomputes every later
    hash and the head hash, but cannot produce the signing key's signature."""
    chain = _busy_operation(runtime, factory)
    rows = _rows(runtime, chain)
    with runtime.engine.begin() as conn:
        prev = rows[2].record_hash
        for index, row in enumerate(rows[3:]):
            fields = {
                "chain": row.chain,
                "seq": row.seq,
                "occurred_at": row.occurred_at,
                "operation_id": row.operation_id,
                "actor_user_id": row.actor_user_id,
                "actor_label": "forged" if index == 0 else row.actor_label,
                "entity_type": row.entity_type,
                "entity_id": row.entity_id,
                "action": row.action,
                "state_hmac": row.state_hmac,
            }
            link = record_hash(prev, fields)
            conn.execute(
                update(AuditRecord)
                .where(AuditRecord.id == row.id)
                .values(actor_label=fields["actor_label"], prev_hash=prev, record_hash=link)
            )
            prev = link
        conn.execute(
            update(AuditChainHead).where(AuditChainHead.chain == chain).values(head_hash=prev)
        )
    # Every link is consistent again...
    rewritten = _rows(runtime, chain)
    assert all(r.prev_hash == p.record_hash for p, r in itertools.pairwise(rewritten))
    # ...but the signed head (and the first checkpoint) no longer match.
    report = _verify(runtime, chain)
    assert not report.ok
    assert "signature" in (report.problem or "") or "checkpoint" in (report.problem or "")


def test_a_head_signed_with_another_key_is_rejected(runtime: Runtime, factory: Factory) -> None:
    chain = _busy_operation(runtime, factory, changes=2)
    with runtime.engine.begin() as conn:
        head = conn.execute(select(AuditChainHead).where(AuditChainHead.chain == chain)).one()
        forged = Ed25519PrivateKey.generate().sign(
            audit_chain.head_message(chain, head.seq, head.head_hash)
        )
        conn.execute(
            update(AuditChainHead).where(AuditChainHead.chain == chain).values(signature=forged)
        )
    report = _verify(runtime, chain)
    assert not report.ok and "signature" in (report.problem or "")


def test_removing_the_newest_records_is_detected(runtime: Runtime, factory: Factory) -> None:
    chain = _busy_operation(runtime, factory)
    last = _rows(runtime, chain)[-1]
    with runtime.engine.begin() as conn:
        conn.execute(AuditRecord.__table__.delete().where(AuditRecord.id == last.id))
    assert not _verify(runtime, chain).ok


def test_checkpoints_every_n_records(
    runtime: Runtime, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_chain, "CHECKPOINT_EVERY", 4)
    chain = _busy_operation(runtime, factory, changes=10)
    with unit_of_work(runtime.factory) as session:
        seqs = session.scalars(
            select(AuditCheckpoint.seq)
            .where(AuditCheckpoint.chain == chain)
            .order_by(AuditCheckpoint.seq)
        ).all()
    # The first record opens the daily checkpoint; then every 4th.
    assert seqs[0] == 1
    assert {4, 8} <= set(seqs)
    assert _verify(runtime, chain).ok


def test_organisations_and_users_are_chained_globally(runtime: Runtime, factory: Factory) -> None:
    org = factory.organisation()
    factory.user(org)
    with unit_of_work(runtime.factory) as session:
        session.get(Organisation, org.id).acronym = "NEW"  # type: ignore[union-attr]
    with runtime.engine.connect() as conn:
        reports = {r.chain: r for r in verify_all(conn, runtime.signer.public_key())}
    assert reports["global"].ok
    assert reports["global"].records >= 4


def test_records_are_chained_at_commit_and_follow_rollbacks(runtime: Runtime) -> None:
    """Chained at the commit (the head is locked last); a savepoint's records go with
    it when it is rolled back, the transaction's with the transaction."""

    def names() -> list[str]:
        with unit_of_work(runtime.factory) as session:
            ids = session.scalars(
                select(AuditRecord.entity_id).where(AuditRecord.entity_type == "organisation")
            )
            return sorted(
                session.get_one(Organisation, int(i)).name
                for i in ids
                if session.get(Organisation, int(i))
            )

    heads = select(AuditChainHead.seq).where(AuditChainHead.chain == "global")
    with unit_of_work(runtime.factory, Actor(label="t")) as session:
        session.add(Organisation(name="Kept", type="ngo"))
        session.flush()
        assert session.scalar(heads) in (None, 0)  # recorded, not chained yet
        savepoint = session.begin_nested()
        session.add(Organisation(name="In a savepoint", type="ngo"))
        session.flush()
        savepoint.rollback()
        session.add(Organisation(name="Also kept", type="ngo"))
    with pytest.raises(RuntimeError), unit_of_work(runtime.factory, Actor(label="t")) as session:
        session.add(Organisation(name="Rolled back", type="ngo"))
        session.flush()
        raise RuntimeError("the transaction fails")
    assert names() == ["Also kept", "Kept"]
    with runtime.engine.connect() as conn:
        assert all(report.ok for report in verify_all(conn, runtime.signer.public_key()))
