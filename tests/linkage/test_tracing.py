"""Tracing requests: checked when opened and against every new registration."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from corridor.db.session import Actor, unit_of_work
from corridor.errors import InvalidInput
from corridor.jobs import runner
from corridor.jobs.models import Notification
from corridor.linkage import tracing
from corridor.linkage.models import TracingMatch
from tests.linkage.helpers import background, khaled_head, make_operation, member, register

SOUGHT_KHALED = {
    "given_name": "Khaled",
    "father_name": "Abdul Rahman",
    "family_name": "Al-Halabi",
    "age_estimate": "39",
}


@pytest.fixture
def operation(runtime, factory) -> dict[str, Any]:
    return make_operation(runtime, factory)


def _open(runtime, operation, sought: dict[str, str], *, for_child: bool = False):
    with unit_of_work(runtime.factory, Actor(label="caseworker")) as session:
        request = tracing.open_request(
            session,
            operation_id=operation["id"],
            organisation_id=operation["lead"],
            caseworker_id=operation["coordinator"],
            sought=sought,
            enquirer_name="Enquirer",
            relationship="sibling",
            consent_to_share=True,
            for_child=for_child,
        )
        return request.id


def _matches(runtime, request_id) -> list[TracingMatch]:
    with unit_of_work(runtime.factory) as session:
        matches = list(
            session.scalars(select(TracingMatch).where(TracingMatch.request_id == request_id))
        )
        session.expunge_all()
        return matches


def test_a_request_finds_someone_registered_before_and_tells_the_caseworker_only(
    runtime, operation
) -> None:
    background(runtime, operation)
    khaled = register(runtime, operation, [khaled_head()])
    request_id = _open(runtime, operation, SOUGHT_KHALED)
    matches = _matches(runtime, request_id)
    assert [str(m.member_id) for m in matches] == [khaled[0]]
    with unit_of_work(runtime.factory) as session:
        notes = list(
            session.scalars(select(Notification).where(Notification.kind == "tracing_match"))
        )
        assert [n.user_id for n in notes] == [operation["coordinator"]]
        assert "Khaled" not in notes[0].title + notes[0].body and "خالد" not in notes[0].body


def test_a_new_registration_is_checked_against_open_requests(runtime, operation) -> None:
    background(runtime, operation)
    request_id = _open(runtime, operation, SOUGHT_KHALED)
    assert _matches(runtime, request_id) == []
    khaled = register(runtime, operation, [khaled_head()])
    assert runner.run_pending(runtime.factory) >= 1  # the check runs as a job
    assert [str(m.member_id) for m in _matches(runtime, request_id)] == [khaled[0]]


def test_separated_children_are_matched_first_and_marked(runtime, operation) -> None:
    background(runtime, operation)
    request_id = _open(
        runtime,
        operation,
        {
            "given_name": "Maryam",
            "father_name": "Khaled",
            "family_name": "Halabi",
            "age_estimate": "9",
        },
        for_child=True,
    )
    child = member(
        "head",
        {"given_name_ar": "مريم", "father_name_ar": "خالد", "family_name_ar": "الحلبي"},
        "female",
        "2017",
    )
    child["child_status"] = "separated"
    registered = register(runtime, operation, [child])
    runner.run_pending(runtime.factory)
    matches = _matches(runtime, request_id)
    assert [str(m.member_id) for m in matches] == [registered[0]]
    assert matches[0].priority


def test_a_request_without_names_is_refused(runtime, operation) -> None:
    with pytest.raises(InvalidInput, match=r"sought\.given_name"):
        _open(runtime, operation, {"age_estimate": "40"})
