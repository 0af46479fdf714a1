"""Writes an audit record for every create, update and delete of audited models.

A model is audited when its class has an ``audit_entity`` name. The hook
reads each flush (the state hashed is the one written), and the records are
chained just before the transaction commits, inside it, so a change and its
audit record are committed or rolled back together. Chaining last matters:
appending locks the operation's chain head until the commit, and every
audited write of the operation takes turns on that lock; taken at the end,
it is held for the append and the commit only, not for the rest of the
transaction (a distribution's conditional balance update, for one, waits on
no chain). It also makes the head the last lock any transaction takes, so
two transactions cannot hold it and a balance row in opposite orders. Inside
a savepoint records are chained at once, so that rolling the savepoint back
takes them with it. Columns listed in the model's ``audit_exclude`` (secrets,
counters) are neither hashed nor, when they are the only change, recorded.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from corridor.audit.chain import Entry, append, state_hmac
from corridor.db.session import Actor, get_actor
from corridor.keys.keyring import AUDIT, keyring_of

ACTOR_ATTRIBUTE = "_corridor_audit_actor"
PENDING = "audit_pending"  # session.info: operation id → entries waiting for the commit


def attribute_to(obj: Any, actor: Actor) -> None:
    """Record ``obj``'s next change under ``actor`` instead of the session's actor.

    For a transaction that stores the work of several people at once (see
    ``corridor.crossings.intake``); the mark lives on the object, not in the row.
    """
    obj.__dict__[ACTOR_ATTRIBUTE] = actor


def _state(obj: Any) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    exclude = getattr(obj, "audit_exclude", frozenset())
    return {
        attr.key: getattr(obj, attr.key) for attr in mapper.column_attrs if attr.key not in exclude
    }


def _changed_audited_columns(obj: Any) -> bool:
    state = inspect(obj)
    exclude = getattr(obj, "audit_exclude", frozenset())
    for attr in state.mapper.column_attrs:
        if attr.key in exclude:
            continue
        if state.attrs[attr.key].history.has_changes():
            return True
    return False


def _entity_id(obj: Any) -> str:
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(part) for part in key)


def _operation_id(obj: Any) -> int | None:
    return getattr(obj, "audit_operation_id", None)


def _after_flush(session: Session, _context: Any) -> None:
    changes: list[tuple[Any, str]] = []
    for obj in session.new:
        if hasattr(obj, "audit_entity"):
            changes.append((obj, "create"))
    for obj in session.dirty:
        if hasattr(obj, "audit_entity") and obj not in session.deleted:
            if not _changed_audited_columns(obj):
                continue
            action = "update"
            history = inspect(obj).attrs.get("deleted_at") if hasattr(obj, "deleted_at") else None
            if history is not None and history.history.added and history.history.added[0]:
                action = "delete"
            changes.append((obj, action))
    for obj in session.deleted:
        if hasattr(obj, "audit_entity"):
            changes.append((obj, "purge" if hasattr(obj, "deleted_at") else "delete"))
    record_changes(session, changes)


def record_changes(session: Session, changes: list[tuple[Any, str]]) -> None:
    """Chain audit records for ``(object, action)`` pairs, in this transaction.

    The flush hook calls it for what the unit of work wrote; a service that
    writes many rows in one Core statement (``corridor.db.bulk``) calls it
    for them, so that they are audited exactly as an ORM flush would be.
    """
    if not changes:
        return
    signer = session.info.get("audit_signer")
    if signer is None:
        raise RuntimeError("session has no audit signer; build it with corridor.runtime")
    keyring = keyring_of(session)
    actor = get_actor(session)  # resolved now: the session's actor may change before commit
    by_operation: dict[int | None, list[Entry]] = defaultdict(list)
    keys: dict[int | None, bytes] = {}
    ordered = sorted(changes, key=lambda c: (c[0].audit_entity, _entity_id(c[0]), c[1]))
    for obj, action in ordered:
        operation_id = _operation_id(obj)
        if action in ("delete", "purge") and obj in session.deleted:
            digest = ""
        else:
            if operation_id not in keys:  # one key lookup per operation per flush
                keys[operation_id] = keyring.current_key(session, operation_id, AUDIT)[1]
            digest = state_hmac(keys[operation_id], _state(obj))
        who = obj.__dict__.get(ACTOR_ATTRIBUTE) or actor
        by_operation[operation_id].append(
            Entry(
                entity_type=obj.audit_entity,
                entity_id=_entity_id(obj),
                action=action,
                state_hmac=digest,
                actor_user_id=who.user_id,
                actor_label=who.label,
            )
        )
    if session.in_nested_transaction():
        _chain(session, by_operation)
        return
    pending: dict[int | None, list[Entry]] = session.info.setdefault(PENDING, defaultdict(list))
    for operation_id, entries in by_operation.items():
        pending[operation_id].extend(entries)


def _chain(session: Session, by_operation: dict[int | None, list[Entry]]) -> None:
    signer = session.info["audit_signer"]
    actor = get_actor(session)
    conn = session.connection()
    for operation_id in sorted(by_operation, key=lambda k: (k is not None, k or 0)):
        append(
            conn,
            signer=signer,
            operation_id=operation_id,
            actor_user_id=actor.user_id,
            actor_label=actor.label,
            entries=by_operation[operation_id],
        )


def _before_commit(session: Session) -> None:
    session.flush()  # what the commit would flush, recorded now
    pending = session.info.pop(PENDING, None)
    if pending:
        _chain(session, pending)


def _discard_after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    """A rollback of the transaction drops what waited for its commit; one of a
    savepoint does not (what the savepoint itself recorded was chained at once)."""
    if previous.parent is None:  # the transaction itself, not a savepoint within it
        session.info.pop(PENDING, None)


def _fresh(session: Session, transaction: SessionTransaction) -> None:
    """A new transaction starts with nothing waiting (a session closed without a
    commit or rollback may be used again)."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def install(factory: sessionmaker[Session]) -> None:
    """Audit every flush of sessions made by ``factory``, chained at each commit."""
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_soft_rollback", _discard_after_soft_rollback)
    event.listen(factory, "after_transaction_create", _fresh)
