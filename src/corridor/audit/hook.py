"""Writes an audit record for every create, update and delete of audited models.

A model is audited when its class has an ``audit_entity`` name. The hook runs
after each flush, inside the same transaction as the change, so a change and
its audit record are committed or rolled back together. Columns listed in the
model's ``audit_exclude`` (secrets, counters) are neither hashed nor, when they
are the only change, recorded.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from corridor.audit.chain import Entry, append, state_hmac
from corridor.db.session import Actor, get_actor
from corridor.keys.keyring import AUDIT, keyring_of

ACTOR_ATTRIBUTE = "_corridor_audit_actor"


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
    actor = get_actor(session)
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
        own = obj.__dict__.get(ACTOR_ATTRIBUTE)
        by_operation[operation_id].append(
            Entry(
                entity_type=obj.audit_entity,
                entity_id=_entity_id(obj),
                action=action,
                state_hmac=digest,
                actor_user_id=own.user_id if own else None,
                actor_label=own.label if own else None,
            )
        )
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


def install(factory: sessionmaker[Session]) -> None:
    """Audit every flush of sessions made by ``factory``."""
    event.listen(factory, "after_flush", _after_flush)
