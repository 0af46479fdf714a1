"""Group commit: submissions stored together, each answered and audited as its own."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select

from corridor.audit.models import AuditRecord
from corridor.crossings import devices, intake
from corridor.crossings.devices import DeviceLogin
from corridor.crossings.models import DeviceCredential, Registration, Submission
from corridor.crossings.openrosa import BadSubmission, parse_instance
from corridor.db.session import Actor, unit_of_work
from corridor.runtime import Runtime
from tests.crossings.openrosa_helpers import count, post, registration


def _intake(world: dict[str, Any], xml: bytes, label: str) -> intake.Intake:
    officer = world["officer"]
    return intake.Intake(
        operation_id=world["operation_id"],
        organisation_id=world["lead"].id,
        login=DeviceLogin(officer.id, label),
        actor=Actor(label=label, user_id=officer.id),
        xml=xml,
        instance=parse_instance(xml),
        uploads=[],
    )


@pytest.fixture
def writer(runtime: Runtime) -> intake.SubmissionWriter:
    return intake.SubmissionWriter(runtime.factory)


def test_a_batch_is_stored_in_one_transaction_each_record_audited_under_its_device(
    runtime: Runtime, world: dict[str, Any], writer: intake.SubmissionWriter
) -> None:
    batch = [_intake(world, registration(world)[0], f"device:phone-{i}") for i in range(5)]
    writer._store(batch)
    assert writer.batches == 1 and writer.stored == 5
    answers = [item.answer.result() for item in batch]
    assert [a.status_code for a in answers] == [201] * 5
    assert count(runtime, Registration) == 5
    with unit_of_work(runtime.factory) as session:
        records = session.execute(
            select(AuditRecord.entity_type, AuditRecord.entity_id, AuditRecord.actor_label)
        ).all()
    by_submission = {
        entity_id: label for kind, entity_id, label in records if kind == "submission"
    }
    for index, answer in enumerate(answers):
        assert by_submission[str(answer.submission.id)] == f"device:phone-{index}"
    stored_kinds = {"submission", "registration", "registration_member"}
    labels = {label for kind, _id, label in records if kind in stored_kinds}
    assert labels == {f"device:phone-{i}" for i in range(5)}  # never the writer's own


def test_a_refused_submission_is_answered_with_its_error_and_the_others_are_stored(
    runtime: Runtime, world: dict[str, Any], writer: intake.SubmissionWriter
) -> None:
    good = [_intake(world, registration(world)[0], "device:a") for _ in range(2)]
    bad = _intake(world, registration(world, values={"checkpoint": "999999"})[0], "device:b")
    writer._store([good[0], bad, good[1]])
    with pytest.raises(BadSubmission, match="checkpoint"):
        bad.answer.result()
    assert [g.answer.result().status_code for g in good] == [201, 201]
    assert count(runtime, Submission) == 2


def test_the_same_instance_twice_in_a_batch_is_stored_once(
    runtime: Runtime, world: dict[str, Any], writer: intake.SubmissionWriter
) -> None:
    xml, _instance_id = registration(world)
    first, again = _intake(world, xml, "device:a"), _intake(world, xml, "device:a")
    writer._store([first, again])
    assert writer.batches == 2  # the resend waited for the next batch
    assert (first.answer.result().status_code, again.answer.result().status_code) == (201, 202)
    assert count(runtime, Submission) == 1


def test_an_edit_of_a_submission_in_the_same_batch_applies_after_it(
    runtime: Runtime, world: dict[str, Any], writer: intake.SubmissionWriter
) -> None:
    xml, instance_id = registration(world)
    edited, _ = registration(
        world, values={"destination_text": "Encamp"}, deprecated_id=instance_id
    )
    original, edit = _intake(world, xml, "device:a"), _intake(world, edited, "device:a")
    writer._store([original, edit])
    assert original.answer.result().status_code == 201
    assert edit.answer.result().status_code == 201
    with unit_of_work(runtime.factory) as session:
        registrations = session.scalars(select(Registration)).all()
        assert [r.destination_text for r in registrations] == ["Encamp"]


def test_concurrent_devices_are_grouped_and_each_is_stored_once(
    runtime: Runtime, world: dict[str, Any]
) -> None:
    client = world["client"]
    instances = [registration(world) for _ in range(24)]

    def send(item: tuple[bytes, str]) -> int:
        return post(world, item[0]).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, instances + instances[:8]))  # 8 resends
    assert sorted(statuses[:24]) == [201] * 24
    assert set(statuses[24:]) <= {201, 202}
    assert count(runtime, Submission) == 24
    with unit_of_work(runtime.factory) as session:
        stored = set(session.scalars(select(Submission.instance_id)))
    assert stored == {instance_id for _xml, instance_id in instances}
    assert client.get(f"{world['base']}/formList", headers=world["device"]).status_code == 200


def test_a_device_posting_is_seen_although_its_sign_in_only_reads(
    runtime: Runtime, world: dict[str, Any]
) -> None:
    devices._touched.clear()  # ids restart when the tests empty the tables
    assert post(world, registration(world)[0]).status_code == 201
    with unit_of_work(runtime.factory) as session:
        credential = session.get(DeviceCredential, world["credential_id"])
        assert credential is not None and credential.last_used_at is not None
