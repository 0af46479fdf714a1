"""Reading submissions back: counts for everyone, records and Central-layout exports by role."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import openpyxl
from sqlalchemy import select

from corridor.accounts.models import Role
from corridor.audit.models import AccessLogEntry
from corridor.db.session import unit_of_work
from corridor.runtime import Runtime
from tests.crossings.openrosa_helpers import post, registration
from tests.factories import Factory
from tests.web.conftest import bearer


def _csvs(content: bytes) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name: list(csv.DictReader(io.StringIO(archive.read(name).decode())))
            for name in archive.namelist()
        }


def _viewer(world: dict[str, Any], runtime: Runtime, factory: Factory) -> dict[str, str]:
    from corridor.accounts.models import Membership, User

    with unit_of_work(runtime.factory) as session:
        officer = session.get(User, world["officer"].id)
        org_id = session.scalar(
            select(Membership.organisation_id).where(Membership.user_id == officer.id)
        )
        from corridor.accounts.models import Organisation

        organisation = session.get(Organisation, org_id)
    return bearer(factory.token(factory.user(organisation, Role.VIEWER)))


def test_exports_follow_odk_centrals_layout_and_the_callers_role(
    world: dict[str, Any],
    runtime: Runtime,
    factory: Factory,
) -> None:
    client, slug = world["client"], world["slug"]
    first, first_id = registration(world)
    assert post(world, first).status_code == 201
    edited, edited_id = registration(
        world, deprecated_id=first_id, values={"destination_text": "Encamp"}
    )
    assert post(world, edited).status_code == 201
    single, single_id = registration(
        world,
        members=[
            {
                "relationship": "head",
                "given_name_lat": "Rania",
                "sex": "female",
                "dob_precision": "exact",
                "dob": "1991-05-04",
            }
        ],
    )
    assert post(world, single).status_code == 201

    export = client.get(
        f"/api/v1/operations/{slug}/forms/registration/export.zip", headers=world["coordinator"]
    )
    assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
    tables = _csvs(export.content)
    assert set(tables) == {"registration.csv", "registration-member.csv"}
    main = {row["KEY"]: row for row in tables["registration.csv"]}
    assert set(main) == {edited_id, single_id}  # the edit replaced the first version
    row = main[edited_id]
    assert row["consent-given"] == "yes" and row["destination_text"] == "Encamp"
    assert row["meta-instanceID"] == edited_id and row["Edits"] == "1"
    assert row["FormVersion"] == "2026120101" and row["SubmissionDate"].endswith("Z")
    header = list(tables["registration.csv"][0])
    assert header[0] == "SubmissionDate" and header[-11:][0] == "meta-instanceID"
    members = tables["registration-member.csv"]
    assert [m["KEY"] for m in members if m["PARENT_KEY"] == edited_id] == [
        f"{edited_id}/member[1]",
        f"{edited_id}/member[2]",
    ]
    assert any(m["given_name_ar"] == "محمد" for m in members)

    book = openpyxl.load_workbook(
        io.BytesIO(
            client.get(
                f"/api/v1/operations/{slug}/forms/registration/export.xlsx",
                headers=world["coordinator"],
            ).content
        )
    )
    assert book.sheetnames == ["registration", "registration-member"]
    assert book["registration-member"].max_row == len(members) + 1

    # A viewer gets every row, without the columns that identify people.
    viewer = _viewer(world, runtime, factory)
    plain = _csvs(
        client.get(
            f"/api/v1/operations/{slug}/forms/registration/export.zip", headers=viewer
        ).content
    )
    member_header = list(plain["registration-member.csv"][0])
    assert "sex" in member_header and "wg_walking" in member_header
    assert not {"given_name_ar", "given_name_lat", "dob", "family_name_lat"} & set(member_header)
    assert "destination_text" not in plain["registration.csv"][0]
    assert "محمد" not in str(plain)
    with unit_of_work(runtime.factory) as session:
        actions = set(session.scalars(select(AccessLogEntry.action)))
    assert "personal_data.export" in actions


def test_lists_and_details_for_roles_that_read_personal_data_counts_for_others(
    world: dict[str, Any],
    runtime: Runtime,
    factory: Factory,
) -> None:
    client, slug = world["client"], world["slug"]
    xml, instance_id = registration(world, values={"photo": "p.jpg"})
    assert post(world, xml, {"p.jpg": b"\xff\xd8photo"}).status_code == 201
    viewer = _viewer(world, runtime, factory)
    counts = client.get(f"/api/v1/operations/{slug}/submissions/counts", headers=viewer)
    assert counts.status_code == 200
    assert counts.json() == [
        {
            "checkpoint": "Gate 1",
            "form": "registration",
            "state": "complete",
            "submissions": 1,
            "people": 2,
        }
    ]
    assert client.get(f"/api/v1/operations/{slug}/submissions", headers=viewer).status_code == 403
    listed = client.get(
        f"/api/v1/operations/{slug}/submissions?checkpoint_id={world['checkpoint']}",
        headers=world["coordinator"],
    )
    assert listed.status_code == 200 and listed.json()[0]["instance_id"] == instance_id
    empty = client.get(
        f"/api/v1/operations/{slug}/submissions?form=headcount", headers=world["coordinator"]
    )
    assert empty.json() == []
    submission_id = listed.json()[0]["id"]
    detail = client.get(
        f"/api/v1/operations/{slug}/submissions/{submission_id}", headers=world["coordinator"]
    ).json()
    assert detail["values"]["destination_text"] == "Andorra la Vella"
    assert detail["repeats"]["member"][0]["given_name_ar"] == "محمد"
    assert detail["attachments"] == [{"name": "p.jpg", "content_type": "image/jpeg", "size": 7}]
    photo = client.get(
        f"/api/v1/operations/{slug}/submissions/{submission_id}/attachments/p.jpg",
        headers=world["coordinator"],
    )
    assert photo.content == b"\xff\xd8photo" and photo.headers["cache-control"] == "no-store"
    assert (
        client.get(
            f"/api/v1/operations/{slug}/submissions/{submission_id}", headers=viewer
        ).status_code
        == 403
    )
    bad = client.get(f"/api/v1/operations/{slug}/submissions/counts?state=lost", headers=viewer)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "state"
