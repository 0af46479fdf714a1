"""Registering households as ODK Collect does, and linking them, for the linkage tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from corridor.accounts.models import Role
from corridor.crossings import forms, submissions
from corridor.crossings.collect import build_instance
from corridor.crossings.devices import DeviceLogin
from corridor.crossings.models import Registration
from corridor.db.session import Actor, unit_of_work
from corridor.linkage import persons
from corridor.linkage.models import Person, PersonRecord
from corridor.operations.models import Checkpoint

FAMILY_AR = {"father_name_ar": "عبد الرحمن", "family_name_ar": "الحلبي"}
FAMILY_LAT = {"father_name_lat": "Abdel Rahman", "family_name_lat": "Al-Halabi"}


def member(relationship: str, names: dict[str, str], sex: str, dob: str) -> dict[str, str]:
    return {
        "relationship": relationship,
        **names,
        "sex": sex,
        "dob_precision": "exact" if len(dob) == 10 else "year",
        "dob": dob if len(dob) == 10 else f"{dob}-01-01",
    }


def khaled_head() -> dict[str, str]:
    """The head of the Halabi household, as registered in Arabic script."""
    return member("head", {"given_name_ar": "خالد", **FAMILY_AR}, "male", "1987-03-14")


def halabi_child(given: str, sex: str, born: str) -> dict[str, str]:
    """A child of Khaled al-Halabi, in Arabic script."""
    names = {"given_name_ar": given, "father_name_ar": "خالد", "family_name_ar": "الحلبي"}
    return member("son" if sex == "male" else "daughter", names, sex, born)


def khaled_and_mistaken_walid(runtime, operation: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Khaled registered in Arabic, then the same man with his given name written
    down wrong (Walid) and a vaguer date: a pair the model leaves to a person."""
    older = register(runtime, operation, [khaled_head()])
    newer = register(
        runtime,
        operation,
        [member("head", {"given_name_lat": "Walid", **FAMILY_LAT}, "male", "1987")],
    )
    return older, newer


def make_operation(runtime, factory) -> dict[str, Any]:
    lead = factory.organisation()
    op = factory.operation(lead)
    officer = factory.user(lead, Role.FIELD_OFFICER)
    coordinator = factory.user(lead, Role.COORDINATOR)
    with unit_of_work(runtime.factory) as session:
        checkpoint = Checkpoint(operation_id=op.id, name="Gate", lon=1.5, lat=42.5)
        session.add(checkpoint)
        session.flush()
        forms.ensure_shipped_forms(session, operation_id=op.id)
        checkpoint_id = checkpoint.id
    return {
        "id": op.id,
        "slug": op.slug,
        "lead": lead.id,
        "officer": officer.id,
        "coordinator": coordinator.id,
        "checkpoint": checkpoint_id,
    }


def register(runtime, operation: dict[str, Any], members: list[dict[str, str]]) -> list[str]:
    """A household registered as ODK Collect sends it; the member ids, head first."""
    with unit_of_work(runtime.factory, Actor(label="test")) as session:
        form = forms.get_form(session, operation_id=operation["id"], xml_form_id="registration")
        xform = forms.current_version(session, form=form).xform
        xml, _instance = build_instance(
            xform,
            {
                "checkpoint": str(operation["checkpoint"]),
                "start": "2026-11-20T08:00:00+00:00",
                "end": "2026-11-20T08:05:00+00:00",
                "deviceid": "test",
                "consent/explained": "purpose sharing rights",
                "consent/given": "yes",
            },
            {"member": members},
        )
        received = submissions.receive(
            session,
            operation_id=operation["id"],
            organisation_id=operation["lead"],
            login=DeviceLogin(operation["officer"], "test"),
            xml=xml,
            attachments=[],
        )
        registration = session.scalar(
            select(Registration).where(Registration.submission_id == received.submission.id)
        )
        return [str(m.id) for m in sorted(registration.members, key=lambda m: m.position)]


def run(runtime, operation: dict[str, Any]) -> dict[str, str]:
    """Link, then each member's person id."""
    with unit_of_work(runtime.factory, Actor(label="test")) as session:
        persons.run(session, operation_id=operation["id"])
    with unit_of_work(runtime.factory) as session:
        return {
            str(member): str(person)
            for member, person in session.execute(
                select(PersonRecord.member_id, PersonRecord.person_id).where(
                    PersonRecord.operation_id == operation["id"]
                )
            )
        }


def households_of(runtime, operation) -> dict[str, str]:
    with unit_of_work(runtime.factory) as session:
        return {
            str(person): str(household)
            for person, household in session.execute(
                select(Person.id, Person.household_id).where(
                    Person.operation_id == operation["id"], Person.deleted_at.is_(None)
                )
            )
        }


def background(runtime, operation) -> None:
    """Other households, so the model has something to estimate against."""
    names = [
        ("أحمد", "محمد", "الخطيب"),
        ("فاطمة", "علي", "الحداد"),
        ("يوسف", "حسن", "المصري"),
        ("مريم", "سعيد", "النجار"),
        ("عمر", "خليل", "الشامي"),
        ("ليلى", "ناصر", "العلي"),
        ("سامي", "جمال", "الحسن"),
        ("هدى", "كريم", "الزعبي"),
        ("طارق", "وليد", "التميمي"),
    ]
    for index, (given, father, family) in enumerate(names):
        register(
            runtime,
            operation,
            [
                member(
                    "head",
                    {"given_name_ar": given, "father_name_ar": father, "family_name_ar": family},
                    "male" if index % 2 == 0 else "female",
                    str(1960 + 3 * index),
                )
            ],
        )


def page_client(runtime, user_id: int) -> Any:
    """A browser-like client signed in as the user."""
    from fastapi.testclient import TestClient

    from corridor.accounts.models import User
    from corridor.web.app import create_app
    from tests.page_helpers import sign_in

    client = TestClient(create_app(runtime=runtime, start_jobs=False))
    with unit_of_work(runtime.factory) as session:
        login = session.get(User, user_id).login
    assert sign_in(client, login) == 303
    return client
