"""Group commit of field submissions: those that arrive together are stored together.

Each submission stored alone costs a transaction of its own: the write lock,
the key lookups, an audit-chain append (lock the head, insert, sign the new
head), a flush per table and a commit. When several devices post at once, one
writer thread per worker takes every submission waiting and stores them in one
transaction: one flush (one multi-row insert per table), one audit append
(each record still names the device and officer it came from), one commit.
Each request is answered only after that commit, so nothing is acknowledged
before it is durable.

A submission the checks refuse (bad data, closed form, conflict) is answered
with its error and takes nothing of the others with it: the checks all run
before ``receive`` adds anything to the session. Two submissions of one batch
naming the same instance (a resend racing the original, an edit of a
submission still in the batch) are never stored together: the later one waits
for the next batch, where it sees the first as stored. Should the database
still refuse the batch (another worker stored the same instance a moment ago),
every submission of it is stored again on its own, as before group commit.
A form another capability owns (aid's distribution list) is always stored on
its own, once the batch it came with is committed.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from corridor.accounts.permissions import Action, Decision
from corridor.audit.hook import attribute_to
from corridor.crossings import submissions
from corridor.crossings.devices import DeviceLogin
from corridor.crossings.openrosa import Instance
from corridor.db.session import SYSTEM, Actor, unit_of_work
from corridor.errors import CorridorError

log = logging.getLogger(__name__)

MAX_BATCH = 32


class _Unclean(Exception):
    """A refused submission had already changed the session: the batch is not stored."""


@dataclass
class Intake:
    """One POST waiting to be stored, and where its answer goes."""

    operation_id: int
    organisation_id: int
    login: DeviceLogin
    actor: Actor
    xml: bytes
    instance: Instance
    uploads: list[submissions.Upload]
    may: Callable[[Action], Decision] | None = None  # what the officer's role allows
    answer: Future[submissions.Received] = field(default_factory=Future)

    @property
    def names(self) -> set[str]:
        """The instances this submission touches: its own, and the one it edits."""
        found = {self.instance.instance_id}
        if self.instance.deprecated_id:
            found.add(self.instance.deprecated_id)
        return found


class SubmissionWriter:
    """A worker's single writer of field submissions (a daemon thread)."""

    def __init__(self, factory: sessionmaker[Session], max_batch: int = MAX_BATCH) -> None:
        self.factory = factory
        self.max_batch = max_batch
        self.batches = 0  # for the tests and the benchmark: how much was grouped
        self.stored = 0
        self._queue: queue.SimpleQueue[Intake] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="corridor-intake", daemon=True)
        self._thread.start()

    def submit(self, intake: Intake) -> Future[submissions.Received]:
        """Queue ``intake``; the future is answered once its batch is committed."""
        self._queue.put(intake)
        return intake.answer

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._store(batch)
            except BaseException as error:  # never leave a request waiting
                log.exception("the submission writer failed")
                for intake in batch:
                    if not intake.answer.done():
                        intake.answer.set_exception(error)

    def _store(self, batch: list[Intake]) -> None:
        while batch:
            now, later, seen = [], [], set[str]()
            for intake in batch:
                (later if intake.names & seen else now).append(intake)
                seen |= intake.names
            try:
                self._store_together(now)
            except Exception:  # noqa: BLE001 - whatever it was, each is tried on its own
                log.info("a batch of %d submissions is stored one by one", len(now))
                for intake in now:
                    _answer(intake, lambda i=intake: self._store_alone(i))
            self.batches += 1
            batch = later

    def _store_together(self, batch: list[Intake]) -> None:
        answers: list[tuple[Intake, submissions.Received | None, CorridorError | None]] = []
        alone: list[Intake] = []
        with unit_of_work(self.factory, SYSTEM) as session:
            for intake in batch:
                before = _pending(session)
                try:
                    with session.no_autoflush:
                        received = _receive(session, intake, flush=False)
                except submissions.StoreAlone:
                    alone.append(intake)
                    continue
                except CorridorError as error:
                    if _pending(session) - before:
                        raise _Unclean from error  # the whole batch goes one by one
                    answers.append((intake, None, error))
                    continue
                for obj in _pending(session) - before:
                    attribute_to(obj, intake.actor)
                answers.append((intake, received, None))
            session.flush()
        self.stored += sum(1 for _i, received, _e in answers if received is not None)
        for intake, received, error in answers:
            if error is not None:
                intake.answer.set_exception(error)
            else:
                intake.answer.set_result(received)  # type: ignore[arg-type]
        for intake in alone:
            _answer(intake, lambda i=intake: self._store_alone(i))

    def _store_alone(self, intake: Intake) -> submissions.Received:
        for attempt in range(2):
            try:
                with unit_of_work(self.factory, intake.actor) as session:
                    received = _receive(session, intake, flush=True)
                self.stored += 1
                return received
            except IntegrityError:
                # The same instance arrived through another worker a moment ago
                # (PostgreSQL lets both insert and refuses the second): try again
                # and answer against the stored one.
                if attempt:
                    raise
        raise AssertionError("unreachable")


def _receive(session: Session, intake: Intake, *, flush: bool) -> submissions.Received:
    return submissions.receive(
        session,
        operation_id=intake.operation_id,
        organisation_id=intake.organisation_id,
        login=intake.login,
        xml=intake.xml,
        attachments=intake.uploads,
        instance=intake.instance,
        flush=flush,
        may=intake.may,
    )


def _pending(session: Session) -> set[object]:
    """What the session will write at its next flush: new and changed objects."""
    return set(session.new) | set(session.dirty)


def _answer(intake: Intake, store: Callable[[], submissions.Received]) -> None:
    try:
        intake.answer.set_result(store())
    except BaseException as error:  # noqa: BLE001 - handed to the request
        intake.answer.set_exception(error)


_writers: dict[int, SubmissionWriter] = {}
_writers_lock = threading.Lock()


def writer_for(factory: sessionmaker[Session]) -> SubmissionWriter:
    """The writer of this worker for the database behind ``factory``, started on first use."""
    with _writers_lock:
        found = _writers.get(id(factory))
        if found is None or found.factory is not factory:
            found = _writers[id(factory)] = SubmissionWriter(factory)
        return found
