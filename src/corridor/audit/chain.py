"""Appending to and verifying the per-operation HMAC chains.

Each record's hash covers the previous record's hash, so editing one record
breaks every later link. Recomputing the later links is defeated by signatures:
the chain head is signed (Ed25519, key in a file outside the database) on
every append, and checkpoints are signed and kept every 1,000 records and at
least daily, so a rewritten chain no longer matches a signature its author
could not produce.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from corridor.audit.models import AuditChainHead, AuditCheckpoint, AuditRecord
from corridor.db.types import utcnow

GENESIS = "0" * 64
CHECKPOINT_EVERY = 1000
CHECKPOINT_MAX_AGE = timedelta(days=1)

_R = AuditRecord.__table__
_H = AuditChainHead.__table__
_C = AuditCheckpoint.__table__


def chain_of(operation_id: int | None) -> str:
    return "global" if operation_id is None else f"op:{operation_id}"


def canonical(value: Any) -> Any:
    """A JSON-ready form of a column value that is the same on every database."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    converted = canonical(value)
    if converted is value:
        raise TypeError(f"cannot record a {type(value).__name__} in the audit trail")
    return converted


_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def canonical_json(value: Any) -> bytes:
    """Sorted-key compact UTF-8 JSON; dates and bytes in the forms ``canonical`` gives.

    orjson, because every audited write hashes its row (geometries included):
    the standard library's encoder took a fifth of the time of saving a hazard.
    """
    try:
        return orjson.dumps(value, default=_json_default, option=_CANONICAL)
    except orjson.JSONEncodeError as error:
        raise TypeError(str(error)) from None


def state_hmac(key: bytes, state: dict[str, Any] | None) -> str:
    if state is None:
        return ""
    return hmac.new(key, canonical_json(state), hashlib.sha256).hexdigest()


def record_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical_json(fields)).hexdigest()


def _link_fields(row: Any) -> dict[str, Any]:
    return {
        "chain": row.chain,
        "seq": row.seq,
        "occurred_at": row.occurred_at,
        "operation_id": row.operation_id,
        "actor_user_id": row.actor_user_id,
        "actor_label": row.actor_label,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "action": row.action,
        "state_hmac": row.state_hmac,
    }


def head_message(chain: str, seq: int, head_hash: str) -> bytes:
    return f"corridor-audit-head|{chain}|{seq}|{head_hash}".encode()


@dataclass(frozen=True)
class Entry:
    """What happened to one entity, ready to be chained."""

    entity_type: str
    entity_id: str
    action: str
    state_hmac: str
    # Who did it, when it is not the transaction's actor (a batch of field
    # submissions from several devices is stored in one transaction).
    actor_user_id: int | None = None
    actor_label: str | None = None


def lock_head(conn: Connection, chain: str) -> Any:
    """Lock the chain's head row for this transaction, creating it on first use.

    FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises
    writers. The head exists after a chain's first append, so the common case
    is the one locking read (every audited write pays for this statement).
    """
    locking = select(_H).where(_H.c.chain == chain).with_for_update()
    head = conn.execute(locking).first()
    if head is not None:
        return head
    values = {"chain": chain, "seq": 0, "head_hash": GENESIS, "updated_at": utcnow()}
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(_H).values(**values).on_conflict_do_nothing())
    else:
        conn.execute(sqlite.insert(_H).values(**values).on_conflict_do_nothing())
    return conn.execute(locking).one()


def append(
    conn: Connection,
    *,
    signer: Ed25519PrivateKey,
    operation_id: int | None,
    actor_user_id: int | None,
    actor_label: str,
    entries: list[Entry],
) -> None:
    """Append ``entries`` to the operation's chain, under the head's row lock."""
    if not entries:
        return
    chain = chain_of(operation_id)
    head = lock_head(conn, chain)
    seq, prev = head.seq, head.head_hash
    now = utcnow()
    last_checkpoint_at = head.last_checkpoint_at
    rows = []
    for entry in entries:
        seq += 1
        fields = {
            "chain": chain,
            "seq": seq,
            "occurred_at": now,
            "operation_id": operation_id,
            "actor_user_id": actor_user_id if entry.actor_label is None else entry.actor_user_id,
            "actor_label": (actor_label if entry.actor_label is None else entry.actor_label)[:100],
            "entity_type": entry.entity_type,
            "entity_id": entry.entity_id,
            "action": entry.action,
            "state_hmac": entry.state_hmac,
        }
        link = record_hash(prev, fields)
        rows.append({**fields, "prev_hash": prev, "record_hash": link})
        prev = link
        due = last_checkpoint_at is None or now - last_checkpoint_at >= CHECKPOINT_MAX_AGE
        if seq % CHECKPOINT_EVERY == 0 or due:
            _checkpoint(conn, signer, chain, seq, link)
            last_checkpoint_at = now
    conn.execute(insert(_R), rows)  # one statement for the whole flush
    conn.execute(
        update(_H)
        .where(_H.c.chain == chain)
        .values(
            seq=seq,
            head_hash=prev,
            updated_at=now,
            last_checkpoint_at=last_checkpoint_at,
            signature=signer.sign(head_message(chain, seq, prev)),
        )
    )


def _checkpoint(
    conn: Connection, signer: Ed25519PrivateKey, chain: str, seq: int, head_hash: str
) -> None:
    conn.execute(
        insert(_C).values(
            chain=chain,
            seq=seq,
            head_hash=head_hash,
            signed_at=utcnow(),
            signature=signer.sign(head_message(chain, seq, head_hash)),
        )
    )


def checkpoint_stale_heads(conn: Connection, signer: Ed25519PrivateKey) -> int:
    """Sign a checkpoint for every chain whose last one is older than a day."""
    cutoff = utcnow() - CHECKPOINT_MAX_AGE
    count = 0
    for head in conn.execute(select(_H.c.chain)).all():
        locked = lock_head(conn, head.chain)
        if locked.seq and (locked.last_checkpoint_at is None or locked.last_checkpoint_at < cutoff):
            _checkpoint(conn, signer, locked.chain, locked.seq, locked.head_hash)
            conn.execute(
                update(_H).where(_H.c.chain == locked.chain).values(last_checkpoint_at=utcnow())
            )
            count += 1
    return count


@dataclass(frozen=True)
class ChainReport:
    chain: str
    records: int
    ok: bool
    problem: str | None = None


def _verify_signature(public: Ed25519PublicKey, signature: bytes | None, message: bytes) -> bool:
    if not signature:
        return False
    try:
        public.verify(bytes(signature), message)
    except InvalidSignature:
        return False
    return True


def verify_chain(
    conn: Connection, public: Ed25519PublicKey, chain: str, batch: int = 5000
) -> ChainReport:
    """Recompute every link of one chain and check its signed head and checkpoints."""
    checkpoints = {
        row.seq: row for row in conn.execute(select(_C).where(_C.c.chain == chain)).all()
    }
    for cp in checkpoints.values():
        if not _verify_signature(public, cp.signature, head_message(chain, cp.seq, cp.head_hash)):
            problem = f"checkpoint at record {cp.seq} has a bad signature"
            return ChainReport(chain, 0, False, problem)
    prev, expected_seq, count = GENESIS, 0, 0
    for row in _records(conn, chain, batch):
        expected_seq += 1
        count += 1
        if row.seq != expected_seq:
            return ChainReport(
                chain,
                count,
                False,
                f"record {expected_seq} is missing (found {row.seq}, id {row.id})",
            )
        if row.prev_hash != prev:
            problem = f"record {row.seq} (id {row.id}) does not link to record {row.seq - 1}"
            return ChainReport(chain, count, False, problem)
        computed = record_hash(prev, _link_fields(row))
        if computed != row.record_hash:
            problem = f"record {row.seq} (id {row.id}) was altered: its hash does not match"
            return ChainReport(chain, count, False, problem)
        cp = checkpoints.get(row.seq)
        if cp is not None and cp.head_hash != computed:
            return ChainReport(
                chain,
                count,
                False,
                f"record {row.seq} (id {row.id}) differs from the signed checkpoint",
            )
        prev = computed
    if expected_seq < max(checkpoints, default=0):
        return ChainReport(chain, count, False, "records after the last kept ones were removed")
    head = conn.execute(select(_H).where(_H.c.chain == chain)).first()
    if head is None:
        return ChainReport(chain, count, count == 0, None if count == 0 else "chain head missing")
    if head.seq != expected_seq or head.head_hash != prev:
        return ChainReport(
            chain, count, False, f"chain head (record {head.seq}) does not match the last record"
        )
    if head.seq and not _verify_signature(
        public, head.signature, head_message(chain, head.seq, head.head_hash)
    ):
        return ChainReport(chain, count, False, "chain head has a bad signature")
    return ChainReport(chain, count, True)


def _records(conn: Connection, chain: str, batch: int) -> Iterator[Any]:
    last = 0
    while True:
        rows = conn.execute(
            select(_R).where(_R.c.chain == chain, _R.c.seq > last).order_by(_R.c.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_all(conn: Connection, public: Ed25519PublicKey) -> list[ChainReport]:
    chains = {row.chain for row in conn.execute(select(_H.c.chain)).all()}
    chains |= {row.chain for row in conn.execute(select(_R.c.chain).distinct()).all()}
    return [verify_chain(conn, public, chain) for chain in sorted(chains)]
