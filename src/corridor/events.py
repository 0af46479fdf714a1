"""Things that happened, for capabilities downstream to act on.

A capability publishes an event in the transaction that made it happen; the
capabilities that care subscribe, without the publisher importing them
(crossings publishes "registration stored", linkage checks it against tracing
requests). A subscriber runs inside the publisher's transaction, so it must be
quick: it queues a job for anything slow.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

Subscriber = Callable[[Session, dict[str, Any]], None]
_SUBSCRIBERS: dict[str, list[Subscriber]] = defaultdict(list)

REGISTRATION_STORED = "registration.stored"  # payload: operation_id, registration_id
OPERATION_CREATED = "operation.created"  # payload: operation_id

# The modules that subscribe, imported before the first event is delivered (as
# ``corridor.db.registry`` imports the models), so that no subscriber is missed
# because nothing else happened to import its module yet.
SUBSCRIBER_MODULES = ("corridor.linkage.tracing", "corridor.aid.catalogue")
_imported = False


def subscribe(event: str) -> Callable[[Subscriber], Subscriber]:
    def register(fn: Subscriber) -> Subscriber:
        if fn not in _SUBSCRIBERS[event]:
            _SUBSCRIBERS[event].append(fn)
        return fn

    return register


def publish(session: Session, event: str, **payload: Any) -> None:
    global _imported
    if not _imported:
        for module in SUBSCRIBER_MODULES:
            importlib.import_module(module)
        _imported = True
    for subscriber in list(_SUBSCRIBERS[event]):
        subscriber(session, payload)
