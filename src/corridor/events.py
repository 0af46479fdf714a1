"""Things that happened, for capabilities downstream to act on.

A capability publishes an event in the transaction that made it happen; the
capabilities that care subscribe, without the publisher importing them
(crossings publishes "registration stored", linkage checks it against tracing
requests). A subscriber runs inside the publisher's transaction, so it must be
quick: it queues a job for anything slow.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

Subscriber = Callable[[Session, dict[str, Any]], None]
_SUBSCRIBERS: dict[str, list[Subscriber]] = defaultdict(list)

REGISTRATION_STORED = "registration.stored"  # payload: operation_id, registration_id


def subscribe(event: str) -> Callable[[Subscriber], Subscriber]:
    def register(fn: Subscriber) -> Subscriber:
        if fn not in _SUBSCRIBERS[event]:
            _SUBSCRIBERS[event].append(fn)
        return fn

    return register


def publish(session: Session, event: str, **payload: Any) -> None:
    for subscriber in list(_SUBSCRIBERS[event]):
        subscriber(session, payload)
