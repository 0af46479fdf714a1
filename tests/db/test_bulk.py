"""Rows written by one Core statement are audited and behave as loaded ORM objects."""

from __future__ import annotations

from sqlalchemy import select

from corridor.audit.chain import state_hmac, verify_chain
from corridor.audit.hook import _state
from corridor.audit.models import AuditRecord
from corridor.db.bulk import insert_many
from corridor.db.session import Actor, unit_of_work
from corridor.keys.keyring import AUDIT, keyring_of
from corridor.routing.models import Hazard, HazardKind
from corridor.runtime import Runtime
from tests.factories import Factory

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[1.5, 42.5], [1.51, 42.5], [1.51, 42.51], [1.5, 42.51], [1.5, 42.5]]],
}


def _rows(operation_id: int, count: int) -> list[dict]:
    return [
        {
            "operation_id": operation_id,
            "name": f"zone {index}",
            "kind": HazardKind.SHELLING,
            "geometry": SQUARE,
            "effective_geometry": SQUARE,
            "factor": 2.0 + index,
        }
        for index in range(count)
    ]


def test_inserted_rows_are_persistent_with_their_defaults_and_audited(
    runtime: Runtime, factory: Factory
) -> None:
    operation = factory.operation(factory.organisation())
    with unit_of_work(runtime.factory, Actor(label="bulk")) as session:
        saved = insert_many(session, Hazard, _rows(operation.id, 5))
        assert not session.new and not session.dirty  # nothing left for a flush to write
        assert [h.name for h in saved] == [f"zone {i}" for i in range(5)]
        assert all(h.id and h.created_at and h.valid_from for h in saved)
        key = keyring_of(session).current_key(session, operation.id, AUDIT)[1]
        expected = {str(h.id): state_hmac(key, _state(h)) for h in saved}
    with unit_of_work(runtime.factory) as session:
        records = session.scalars(
            select(AuditRecord).where(
                AuditRecord.chain == f"op:{operation.id}", AuditRecord.entity_type == "hazard"
            )
        ).all()
        assert {r.entity_id: r.state_hmac for r in records} == expected
        assert {r.action for r in records} == {"create"}
        assert {r.actor_label for r in records} == {"bulk"}
        stored = session.scalars(select(Hazard).where(Hazard.operation_id == operation.id)).all()
        assert sorted(h.factor for h in stored) == [2.0, 3.0, 4.0, 5.0, 6.0]
    with runtime.engine.connect() as conn:
        assert verify_chain(conn, runtime.signer.public_key(), f"op:{operation.id}").ok


def test_a_change_after_the_insert_is_flushed_and_audited_as_an_update(
    runtime: Runtime, factory: Factory
) -> None:
    operation = factory.operation(factory.organisation())
    with unit_of_work(runtime.factory) as session:
        first = insert_many(session, Hazard, _rows(operation.id, 2))[0]
        first.name = "renamed"
        session.flush()
    with unit_of_work(runtime.factory) as session:
        assert session.get(Hazard, first.id).name == "renamed"
        actions = session.scalars(
            select(AuditRecord.action).where(
                AuditRecord.entity_type == "hazard", AuditRecord.entity_id == str(first.id)
            )
        ).all()
        assert sorted(actions) == ["create", "update"]


def test_nothing_is_written_for_no_rows(runtime: Runtime, factory: Factory) -> None:
    with unit_of_work(runtime.factory) as session:
        assert insert_many(session, Hazard, []) == []
