"""The OpenRosa server as ODK Collect uses it: form list, downloads, submissions.

Submissions are built as Collect builds them, from the XForm pyxform made of
the shipped XLSForm (see ``tests/crossings/collect.py``).
"""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

import openpyxl
import pytest
from defusedxml import ElementTree
from sqlalchemy import select

from corridor.accounts.models import Role
from corridor.crossings import devices, forms, openrosa
from corridor.crossings.collect import build_instance
from corridor.crossings.models import (
    Headcount,
    Registration,
    Submission,
    SubmissionAttachment,
    SubmissionState,
)
from corridor.db.session import unit_of_work
from corridor.db.types import utcnow
from corridor.runtime import Runtime
from tests.conftest import STRONG_PASSWORD
from tests.crossings.openrosa_helpers import basic, count, post, registration
from tests.factories import Factory

LIST_NS = "{http://openrosa.org/xforms/xformsList}"


def test_form_list_download_and_manifest_as_collect_reads_them(world: dict[str, Any]) -> None:
    client = world["client"]
    response = client.get(f"{world['base']}/formList", headers=world["device"])
    assert response.status_code == 200
    assert response.headers["x-openrosa-version"] == "1.0" and "date" in response.headers
    assert response.headers["content-type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)
    entries = {x.findtext(f"{LIST_NS}formID"): x for x in root.findall(f"{LIST_NS}xform")}
    # The distribution list is aid's form (``corridor.aid.offline``), offered to
    # officers who distribute; ``tests/aid/test_offline.py`` follows it.
    assert set(entries) == {"registration", "headcount", "distribution"}
    entry = entries["registration"]
    form = client.get(entry.findtext(f"{LIST_NS}downloadUrl"), headers=world["device"])
    assert form.status_code == 200
    assert entry.findtext(f"{LIST_NS}hash") == "md5:" + hashlib.md5(form.content).hexdigest()
    manifest = client.get(entry.findtext(f"{LIST_NS}manifestUrl"), headers=world["device"])
    files = ElementTree.fromstring(manifest.content)
    ns = "{http://openrosa.org/xforms/xformsManifest}"
    media = {f.findtext(f"{ns}filename"): f for f in files.findall(f"{ns}mediaFile")}
    assert set(media) == {"checkpoints.csv", "admin_areas.csv"}
    csv = client.get(media["checkpoints.csv"].findtext(f"{ns}downloadUrl"), headers=world["device"])
    assert csv.status_code == 200 and "Gate 1" in csv.text
    assert (
        media["checkpoints.csv"].findtext(f"{ns}hash")
        == "md5:" + hashlib.md5(csv.content).hexdigest()
    )
    only = client.get(f"{world['base']}/formList?formID=headcount", headers=world["device"])
    assert b"registration" not in only.content and b"headcount" in only.content


def test_credentials_are_challenged_checked_and_scoped(
    world: dict[str, Any], runtime: Runtime
) -> None:
    client = world["client"]
    anonymous = client.get(f"{world['base']}/formList")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    assert anonymous.headers["x-openrosa-version"] == "1.0"
    assert b"OpenRosaResponse" in anonymous.content
    username = world["device"]["Authorization"]
    wrong = basic(base64.b64decode(username.split()[1]).decode().split(":")[0], "nope")
    assert client.get(f"{world['base']}/formList", headers=wrong).status_code == 401
    # The device works in its own operation only (404: the other one is not revealed).
    assert (
        client.get(f"/openrosa/{world['elsewhere']}/formList", headers=world["device"]).status_code
        == 404
    )
    # The officer's own login works too; the argon2 check is then remembered.
    own = basic(world["officer"].login, STRONG_PASSWORD)
    devices.password_cache.clear()
    assert client.get(f"{world['base']}/formList", headers=own).status_code == 200
    assert (
        devices.password_cache.get(world["officer"].login, STRONG_PASSWORD) == world["officer"].id
    )
    assert devices.password_cache.get(world["officer"].login, "other") is None
    # Revoked at once.
    revoked = client.post(
        f"/api/v1/operations/{world['slug']}/devices/{world['credential_id']}/revoke",
        headers=world["coordinator"],
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get(f"{world['base']}/formList", headers=world["device"]).status_code == 401


def test_a_collect_submission_is_stored_once_and_becomes_a_registration(
    world: dict[str, Any], runtime: Runtime
) -> None:
    head = world["client"].head(f"{world['base']}/submission", headers=world["device"])
    assert head.status_code == 204
    assert int(head.headers["x-openrosa-accept-content-length"]) > 1_000_000
    xml, instance_id = registration(world)
    first = post(world, xml)
    assert first.status_code == 201, first.text
    assert b"submit_success" in first.content
    again = post(world, xml)
    assert again.status_code == 202
    assert count(runtime, Submission) == 1 and count(runtime, Registration) == 1
    with unit_of_work(runtime.factory) as session:
        stored = session.scalar(select(Submission))
        assert stored.instance_id == instance_id and stored.state == SubmissionState.COMPLETE
        assert "محمد".encode() not in stored.xml  # encrypted at rest
        reg = session.scalar(select(Registration))
        assert reg.consent_given and reg.household_size == 2
        assert reg.checkpoint_id == world["checkpoint"] and reg.officer_id == world["officer"].id
        head_member, child = reg.members
        assert (head_member.given_name_ar, head_member.family_name_lat) == ("محمد", "Al-Ahmad")
        assert head_member.wg_disability and head_member.specific_needs == ["DS", "SM"]
        assert child.age_estimate == 9 and child.dob is None and not child.wg_disability
    # Same instanceID, different content: a conflict, nothing changes.
    other, _ = registration(
        world, instance_id=instance_id, values={"destination_text": "Elsewhere"}
    )
    conflict = post(world, other)
    assert conflict.status_code == 409 and b"OpenRosaResponse" in conflict.content
    assert count(runtime, Submission) == 1


def test_an_edit_keeps_the_history_and_updates_the_registration(
    world: dict[str, Any], runtime: Runtime
) -> None:
    xml, instance_id = registration(world)
    assert post(world, xml).status_code == 201
    edited, edited_id = registration(
        world, deprecated_id=instance_id, values={"destination_text": "Encamp"}
    )
    assert post(world, edited).status_code == 201
    assert post(world, edited).status_code == 202
    with unit_of_work(runtime.factory) as session:
        rows = {s.instance_id: s for s in session.scalars(select(Submission))}
        assert set(rows) == {instance_id, edited_id}
        assert rows[instance_id].superseded_by_id == rows[edited_id].id
        (reg,) = session.scalars(select(Registration))
        assert reg.destination_text == "Encamp" and reg.submission_id == rows[edited_id].id
    # An older version cannot be edited again.
    again, _ = registration(world, deprecated_id=instance_id)
    assert post(world, again).status_code == 409


def test_attachments_may_arrive_over_several_posts(world: dict[str, Any], runtime: Runtime) -> None:
    xml, _ = registration(world, values={"photo": "1700000000000.jpg"})
    first = post(world, xml)
    assert first.status_code == 201
    with unit_of_work(runtime.factory) as session:
        assert session.scalar(select(Submission)).state == SubmissionState.MISSING_ATTACHMENTS
    photo = b"\xff\xd8\xff\xe0" + b"JPEG" * 1000
    second = post(world, xml, {"1700000000000.jpg": photo, "unexpected.jpg": b"x"})
    assert second.status_code == 201
    assert post(world, xml, {"1700000000000.jpg": photo}).status_code == 202
    with unit_of_work(runtime.factory) as session:
        submission = session.scalar(select(Submission))
        assert submission.state == SubmissionState.COMPLETE
        (attachment,) = session.scalars(select(SubmissionAttachment))
        assert attachment.name == "1700000000000.jpg" and attachment.size == len(photo)
        assert photo not in attachment.content
        assert attachment.sha256 == hashlib.sha256(photo).hexdigest()


def test_bad_submissions_are_refused_and_change_nothing(
    world: dict[str, Any], runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    assert post(world, b"<registration><unclosed>").status_code == 400
    no_consent, _ = registration(world, values={"consent/given": "no"})
    refused = post(world, no_consent)
    assert refused.status_code == 400 and b"lawful basis" in refused.content
    basis, _ = registration(
        world, values={"consent/given": "no", "consent/lawful_basis": "vital_interest"}
    )
    assert post(world, basis).status_code == 201
    unknown = registration(world)[0].replace(b'id="registration"', b'id="nosuchform"')
    assert post(world, unknown).status_code == 404
    old = registration(world)[0].replace(b'version="2026120101"', b'version="1999"')
    assert post(world, old).status_code == 404
    bad_sex, _ = registration(
        world,
        members=[
            {
                "relationship": "head",
                "given_name_lat": "A",
                "sex": "x",
                "dob_precision": "year",
                "dob": "1990-01-01",
            }
        ],
    )
    refused = post(world, bad_sex)
    assert refused.status_code == 400 and b"member[1]/sex" in refused.content
    no_part = world["client"].post(
        f"{world['base']}/submission", files={"other": ("a.xml", b"<a/>")}, headers=world["device"]
    )
    assert no_part.status_code == 400
    world["app"].state.settings.openrosa_max_attachment_bytes = 1000
    xml, _ = registration(world, values={"photo": "big.jpg"})
    assert post(world, xml, {"big.jpg": b"x" * 5000}).status_code == 413
    assert count(runtime, Submission) == 1  # only the one with a lawful basis
    assert "محمد" not in caplog.text and "Mohammed" not in caplog.text


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE data [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<data id="registration"><name>&c;</name><meta><instanceID>uuid:1</instanceID></meta></data>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE data [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<data id="registration"><name>&secret;</name><meta><instanceID>uuid:1</instanceID></meta></data>"""
DOCTYPE_ONLY = (
    b'<!DOCTYPE data><data id="registration"><meta><instanceID>uuid:1</instanceID></meta></data>'
)


@pytest.mark.parametrize("xml", [LAUGHS, EXTERNAL, DOCTYPE_ONLY], ids=["laughs", "external", "dtd"])
def test_an_instance_declaring_a_document_type_or_entities_is_refused(xml: bytes) -> None:
    with pytest.raises(openrosa.BadSubmission, match="malformed"):
        openrosa.parse_instance(xml)
    plain = xml.split(b"]>", 1)[-1].replace(b"&c;", b"x").replace(b"&secret;", b"x")
    plain = plain.replace(b"<!DOCTYPE data>", b"")
    parsed = openrosa.parse_instance(plain)  # the same document without them is read
    assert (parsed.form_id, parsed.instance_id) == ("registration", "uuid:1")


def test_form_states_as_odk_central_has_them(world: dict[str, Any], runtime: Runtime) -> None:
    client, api = world["client"], f"/api/v1/operations/{world['slug']}/forms"
    closing = client.patch(
        f"{api}/registration", json={"state": "closing"}, headers=world["coordinator"]
    )
    assert closing.status_code == 200 and closing.json()["state"] == "closing"
    listed = client.get(f"{world['base']}/formList", headers=world["device"])
    assert b"<formID>registration</formID>" not in listed.content
    assert post(world, registration(world)[0]).status_code == 201  # still accepting
    client.patch(f"{api}/registration", json={"state": "closed"}, headers=world["coordinator"])
    closed = post(world, registration(world)[0])
    assert closed.status_code == 403 and b"closed" in closed.content
    assert count(runtime, Submission) == 1


def test_a_headcount_submission_becomes_a_headcount(
    world: dict[str, Any], runtime: Runtime
) -> None:
    values = {
        "checkpoint": str(world["checkpoint"]),
        "slot_start": utcnow().replace(minute=0).isoformat(),
        "direction": "outbound",
        "means": "bus",
        "counts/female_18_59": "4",
        "counts/male_0_4": "2",
        "flags/injured": "1",
    }
    for name in (
        "female_0_4",
        "female_5_17",
        "female_60_plus",
        "male_5_17",
        "male_18_59",
        "male_60_plus",
    ):
        values[f"counts/{name}"] = "0"
    xml, instance_id = build_instance(world["xform"]["headcount"], values)
    assert post(world, xml).status_code == 201
    assert post(world, xml).status_code == 202
    with unit_of_work(runtime.factory) as session:
        (headcount,) = session.scalars(select(Headcount))
        assert headcount.total == 6 and headcount.injured == 1
        assert str(headcount.id) == instance_id.removeprefix("uuid:")


def _xlsform_with_version(version: str, *, break_it: bool = False) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(forms.shipped_xlsform("registration")))
    settings = book["settings"]
    header = [c.value for c in settings[1]]
    settings.cell(row=2, column=header.index("version") + 1, value=version)
    if break_it:
        survey = book["survey"]
        survey.cell(row=2, column=1, value="no_such_question_type")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_new_version_is_published_and_old_ones_still_accepted(
    world: dict[str, Any], runtime: Runtime
) -> None:
    client, api = world["client"], f"/api/v1/operations/{world['slug']}/forms"
    bad = client.post(
        api,
        files={
            "xlsform": ("registration.xlsx", _xlsform_with_version("2026120201", break_it=True))
        },
        headers=world["coordinator"],
    )
    assert bad.status_code == 422 and "pyxform" in bad.json()["errors"][0]["message"]
    assert bad.json()["errors"][0]["field"] == "xlsform"
    new = client.post(
        api,
        files={"xlsform": ("registration.xlsx", _xlsform_with_version("2026120201"))},
        headers=world["coordinator"],
    )
    assert new.status_code == 201, new.text
    assert new.json()["version"] == "2026120201" and new.json()["validated_by"]
    listed = client.get(f"{world['base']}/formList?formID=registration", headers=world["device"])
    assert b"<version>2026120201</version>" in listed.content
    # An officer who was offline still submits to the old version.
    assert post(world, registration(world)[0]).status_code == 201
    versions = client.get(f"{api}/registration/versions", headers=world["coordinator"]).json()
    assert [v["version"] for v in versions] == ["2026120101", "2026120201"]
    same = client.post(
        api,
        files={"xlsform": ("registration.xlsx", _xlsform_with_version("2026120201"))},
        headers=world["coordinator"],
    )
    assert same.status_code == 201  # the same version again: answered, stored once
    assert len(client.get(f"{api}/registration/versions", headers=world["coordinator"]).json()) == 2


def test_a_coordinator_issues_device_credentials_shown_once_as_a_qr_code(
    world: dict[str, Any], runtime: Runtime, factory: Factory
) -> None:
    import json
    import zlib

    client, api = world["client"], f"/api/v1/operations/{world['slug']}/devices"
    issued = client.post(
        api, json={"name": "Phone 9", "user_id": world["officer"].id}, headers=world["coordinator"]
    )
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["qr_svg"].lstrip().startswith("<svg")
    settings = json.loads(zlib.decompress(base64.b64decode(body["collect_settings"])))
    assert settings["general"]["server_url"].endswith(f"/openrosa/{world['slug']}")
    assert settings["general"]["username"] == body["username"]
    device = basic(body["username"], body["secret"])
    assert client.get(f"{world['base']}/formList", headers=device).status_code == 200
    listed = client.get(api, headers=world["coordinator"]).json()
    assert all("secret" not in item for item in listed) and len(listed) == 2
    outsider = factory.user(factory.organisation(), Role.COORDINATOR)
    foreign = client.post(
        api, json={"name": "x", "user_id": outsider.id}, headers=world["coordinator"]
    )
    assert foreign.status_code == 403


def test_another_organisation_cannot_edit_a_submission(
    world: dict[str, Any], runtime: Runtime, factory: Factory
) -> None:
    from types import SimpleNamespace

    xml, instance_id = registration(world)
    assert post(world, xml).status_code == 201
    partner = factory.organisation()
    factory.join(SimpleNamespace(id=world["operation_id"]), partner)  # type: ignore[arg-type]
    partner_officer = factory.user(partner, Role.FIELD_OFFICER)
    with unit_of_work(runtime.factory) as session:
        secret, credential = devices.issue(
            session,
            operation_id=world["operation_id"],
            user_id=partner_officer.id,
            name="Partner phone",
            created_by_id=None,
        )
    edit, _ = registration(world, deprecated_id=instance_id, values={"destination_text": "X"})
    refused = post(world, edit, headers=basic(credential.username, secret))
    assert refused.status_code == 404
    with unit_of_work(runtime.factory) as session:
        (reg,) = session.scalars(select(Registration))
        assert reg.destination_text == "Andorra la Vella"
