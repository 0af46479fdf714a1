"""The issue's "done when", through the services: an intake with two weapons
goes through custody to destruction; a certificate is issued, printed,
photographed and verified offline; revoked and tampered ones are refused."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from corridor.amnesty import (
    certificates,
    codec,
    custody,
    destruction,
    intakes,
    qr,
    registry,
    signing_keys,
)
from corridor.amnesty.claims import CertificateKind
from corridor.amnesty.models import (
    CustodyEvent,
    CustodyStep,
    DestructionMethod,
    Intake,
    IntakeStatus,
    ItemCategory,
    ItemCondition,
    MarkingStatus,
    SerialStatus,
    Sex,
)
from corridor.amnesty.trust_list import load
from corridor.amnesty.verifier import Verdict, Verifier
from corridor.db.session import Actor, unit_of_work
from corridor.db.types import utcnow
from corridor.errors import Conflict, InvalidInput
from corridor.runtime import Runtime
from tests.amnesty.conftest import DeskWorld

PHOTO = Path(__file__).with_name("holder.jpg").read_bytes()


def _intake(session, world: DeskWorld, **changes):  # type: ignore[no-untyped-def]
    person = intakes.Person(
        name_arabic="خالد محمود عبد الكريم العلي",
        name_latin="Khaled Mahmoud Abdulkarim Al-Ali",
        birth_date="1991-07",
        sex=Sex.MALE,
    )
    arguments = {
        "desk": world.desk,
        "officer_id": world.officer.id,
        "person": person,
        "took_place_at": None,
        "explained": list(intakes.Topic.ALL),
        "consent_given": True,
        "photo": intakes.read_photo(PHOTO),
    }
    arguments.update(changes)
    return intakes.record_intake(session, **arguments)


def _rifle(serial: str = "AK-1234567") -> registry.ItemDetails:
    return registry.ItemDetails(
        category=ItemCategory.SMALL_ARM,
        make="Kalashnikov",
        model="AKM",
        calibre="7.62x39mm",
        serial_number=serial,
        serial_status=SerialStatus.PRESENT,
        condition=ItemCondition.SERVICEABLE,
        marking_status=MarkingStatus.MARKED,
    )


def _step(session, world: DeskWorld, item, step: CustodyStep, **extra):  # type: ignore[no-untyped-def]
    return custody.record(
        session,
        item,
        step=step,
        officer_id=world.officer.id,
        witness_id=world.witness.id,
        operation_orgs=world.orgs,
        **extra,
    )


def _verifier(session, world: DeskWorld) -> Verifier:  # type: ignore[no-untyped-def]
    document = signing_keys.signed_trust_list(
        session, operation_id=world.operation.id, operation_slug=world.operation.slug
    )
    return Verifier(load(json.dumps(document)))


@pytest.mark.db
def test_two_weapons_through_custody_to_destruction_and_a_certificate_verified_offline(
    runtime: Runtime, amnesty: DeskWorld, tmp_path: Path
) -> None:
    world = amnesty
    with unit_of_work(runtime.factory, Actor(user_id=world.officer.id, label="officer")) as session:
        intake = _intake(session, world)
        rifle = registry.register_item(
            session,
            intake,
            _rifle(),
            officer_id=world.officer.id,
            witness_id=world.witness.id,
            operation_orgs=world.orgs,
        )
        pistol = registry.register_item(
            session,
            intake,
            registry.ItemDetails(
                category=ItemCategory.SMALL_ARM,
                make="Makarov",
                model="PM",
                calibre="9x18mm",
                serial_status=SerialStatus.REMOVED,
                condition=ItemCondition.UNSERVICEABLE,
                marking_status=MarkingStatus.MARKED_AT_COLLECTION,
            ),
            officer_id=world.officer.id,
            witness_id=world.witness.id,
            operation_orgs=world.orgs,
        )
        assert (rifle.reference, pistol.reference) == ("W-000001", "W-000002")
        for item in (rifle, pistol):
            _step(session, world, item, CustodyStep.RECORDED)
            _step(session, world, item, CustodyStep.STORED, depot_id=world.depot.id)
        # the pistol travels to the other depot and is stored there
        _step(
            session, world, pistol, CustodyStep.TRANSPORTED, destination_depot_id=world.far_depot.id
        )
        _step(session, world, pistol, CustodyStep.STORED, depot_id=world.far_depot.id)
        _step(session, world, pistol, CustodyStep.TRANSPORTED, destination_depot_id=world.depot.id)
        _step(session, world, pistol, CustodyStep.STORED, depot_id=world.depot.id)
        held = custody.inventory(session, operation_id=world.operation.id, organisation_ids=None)
        assert {(h.item.reference, h.depot_id) for h in held} == {
            ("W-000001", world.depot.id),
            ("W-000002", world.depot.id),
        }
        batch = destruction.destroy(
            session,
            depot=world.depot,
            item_ids=[rifle.id, pistol.id],
            method=DestructionMethod.CUTTING,
            officer_id=world.officer.id,
            witness_id=world.witness.id,
            operation_orgs=world.orgs,
            observers="An observer of an international organisation",
        )
        assert [i.reference for i in destruction.batch_items(session, batch)] == [
            "W-000001",
            "W-000002",
        ]
        states = custody.states(session, operation_id=world.operation.id)
        assert {s.step for s in states.values()} == {CustodyStep.DESTROYED}
        assert (
            custody.inventory(session, operation_id=world.operation.id, organisation_ids=None) == []
        )
        steps = [e.step for e in custody.chain(session, pistol)]
        assert steps == [
            CustodyStep.COLLECTED,
            CustodyStep.RECORDED,
            CustodyStep.STORED,
            CustodyStep.TRANSPORTED,
            CustodyStep.STORED,
            CustodyStep.TRANSPORTED,
            CustodyStep.STORED,
            CustodyStep.DESTROYED,
        ]
        certificate = certificates.issue(
            session, intake, kind=CertificateKind.AMNESTY, issued_by_id=world.officer.id
        )
        assert intake.status is IntakeStatus.CERTIFIED
        document = certificates.pdf(session, certificate)
        verifier = _verifier(session, world)
        text = certificate.qr_text
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(document)
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert "Amiri" in fonts
    subprocess.run(["pdftoppm", "-png", "-r", "110", str(pdf), str(tmp_path / "page")], check=True)
    (scanned,) = qr.read(next(tmp_path.glob("page*.png")).read_bytes())
    assert scanned == text
    result = verifier.verify(scanned)
    assert result.verdict is Verdict.VALID
    assert (
        result.claims is not None and result.claims.name_latin == "Khaled Mahmoud Abdulkarim Al-Ali"
    )
    assert result.claims.photo_hash is not None
    assert b"Kalashnikov" not in codec.from_text(text)  # never weapons or desk details
    assert world.desk.name.encode() not in codec.from_text(text)


@pytest.mark.db
def test_revoked_and_tampered_certificates_are_refused(
    runtime: Runtime, amnesty: DeskWorld
) -> None:
    world = amnesty
    with unit_of_work(runtime.factory, Actor(user_id=world.officer.id, label="officer")) as session:
        intake = _intake(session, world, photo=None)
        kept = certificates.issue(
            session, intake, kind=CertificateKind.SAFE_PASSAGE, issued_by_id=world.officer.id
        )
        revoked = certificates.issue(
            session, intake, kind=CertificateKind.SAFE_PASSAGE, issued_by_id=world.officer.id
        )
        certificates.revoke(
            session, revoked, reason="issued with a wrong name", revoked_by_id=world.officer.id
        )
        with pytest.raises(Conflict):
            certificates.revoke(session, revoked, reason="again", revoked_by_id=world.officer.id)
        verifier = _verifier(session, world)
        kept_text, revoked_text = kept.qr_text, revoked.qr_text
    assert verifier.verify(kept_text).verdict is Verdict.VALID
    assert verifier.verify(revoked_text).verdict is Verdict.REVOKED
    message = bytearray(codec.from_text(kept_text))
    message[-70] ^= 0x01  # one bit of the payload, just before the signature
    assert verifier.verify(codec.to_text(bytes(message))).verdict is Verdict.BAD_SIGNATURE


@pytest.mark.db
def test_rotation_keeps_old_certificates_verifiable_until_they_expire(
    runtime: Runtime, amnesty: DeskWorld
) -> None:
    world = amnesty
    with unit_of_work(runtime.factory, Actor(user_id=world.officer.id, label="officer")) as session:
        intake = _intake(session, world, photo=None)
        now = utcnow()
        old = certificates.issue(
            session,
            intake,
            kind=CertificateKind.SAFE_PASSAGE,
            issued_by_id=world.officer.id,
            valid_until=now + timedelta(days=30),
        )
        short = certificates.issue(
            session,
            intake,
            kind=CertificateKind.SAFE_PASSAGE,
            issued_by_id=world.officer.id,
            valid_until=now + timedelta(days=1),
        )
        retired, new = signing_keys.rotate(session, world.operation.id, world.ddr_org_id)
        assert retired is not None and retired.kid != new.kid
        fresh = certificates.issue(
            session, intake, kind=CertificateKind.SAFE_PASSAGE, issued_by_id=world.officer.id
        )
        assert fresh.signing_key_id == new.id
        verifier = _verifier(session, world)
        assert {k.kid for k in verifier.trust_list.keys} == {retired.kid, new.kid}
        for certificate in (old, short, fresh):
            assert verifier.verify(certificate.qr_text).valid
        # once the retired key's certificates have all expired, it leaves the list
        later = now + timedelta(days=31)
        published = signing_keys.published_keys(session, world.operation.id, later)
        assert [k.kid for k, _ in published] == [new.kid]


@pytest.mark.db
def test_custody_cannot_skip_a_step_and_is_append_only(
    runtime: Runtime, amnesty: DeskWorld
) -> None:
    world = amnesty
    with unit_of_work(runtime.factory, Actor(user_id=world.officer.id, label="officer")) as session:
        intake = _intake(session, world, photo=None)
        item = registry.register_item(
            session,
            intake,
            _rifle(),
            officer_id=world.officer.id,
            witness_id=world.witness.id,
            operation_orgs=world.orgs,
        )
        with pytest.raises(Conflict, match="next step can be recorded"):
            _step(session, world, item, CustodyStep.STORED, depot_id=world.depot.id)
        _step(session, world, item, CustodyStep.RECORDED)
        with pytest.raises(InvalidInput, match="depot"):
            _step(session, world, item, CustodyStep.STORED)
        with pytest.raises(InvalidInput, match="witness"):
            custody.record(
                session,
                item,
                step=CustodyStep.STORED,
                officer_id=world.officer.id,
                witness_id=world.officer.id,
                operation_orgs=world.orgs,
                depot_id=world.depot.id,
            )
        _step(session, world, item, CustodyStep.STORED, depot_id=world.depot.id)
        with pytest.raises(InvalidInput, match="destruction batch"):
            _step(session, world, item, CustodyStep.DESTROYED)
        _step(
            session, world, item, CustodyStep.TRANSPORTED, destination_depot_id=world.far_depot.id
        )
        with pytest.raises(InvalidInput, match="another depot"):
            _step(session, world, item, CustodyStep.STORED, depot_id=world.depot.id)
        with pytest.raises(Conflict, match="not stored at"):
            destruction.destroy(
                session,
                depot=world.far_depot,
                item_ids=[item.id],
                method=DestructionMethod.CRUSHING,
                officer_id=world.officer.id,
                witness_id=world.witness.id,
                operation_orgs=world.orgs,
            )
        first = custody.chain(session, item)[0]
        first.note = "changed"
        with pytest.raises(RuntimeError, match="never changed"):
            session.flush()
        session.rollback()
    with unit_of_work(runtime.factory) as session:
        assert session.query(CustodyEvent).count() == 0  # the rollback kept nothing


@pytest.mark.db
def test_serial_numbers_are_checked_across_the_operation(
    runtime: Runtime, amnesty: DeskWorld
) -> None:
    world = amnesty
    with unit_of_work(runtime.factory, Actor(user_id=world.officer.id, label="officer")) as session:
        first = _intake(session, world, photo=None)
        registry.register_item(
            session,
            first,
            _rifle("ak 1234-567"),
            officer_id=world.officer.id,
            witness_id=world.witness.id,
            operation_orgs=world.orgs,
        )
        second = _intake(session, world, photo=None)
        with pytest.raises(Conflict, match="W-000001"):
            registry.register_item(
                session,
                second,
                _rifle("AK1234567"),
                officer_id=world.officer.id,
                witness_id=world.witness.id,
                operation_orgs=world.orgs,
            )
        noted = registry.register_item(
            session,
            second,
            registry.ItemDetails(
                **{
                    **_rifle("AK1234567").__dict__,
                    "duplicate_serial_note": "two stamps compared: both read so",
                }
            ),
            officer_id=world.officer.id,
            witness_id=world.witness.id,
            operation_orgs=world.orgs,
        )
        assert noted.reference == "W-000002"


@pytest.mark.db
def test_bad_intakes_name_the_field_and_record_nothing(
    runtime: Runtime, amnesty: DeskWorld
) -> None:
    cases = [
        ({"explained": list(intakes.Topic.ALL)[:-1]}, "explained"),
        ({"consent_given": False}, "consent_given"),
        ({"person": intakes.Person(birth_date="1991-13")}, "name_arabic"),
        ({"person": intakes.Person(name_latin="A B", birth_date="1991-13")}, "birth_date"),
    ]
    officer = Actor(user_id=amnesty.officer.id, label="officer")
    for changes, field in cases:
        with unit_of_work(runtime.factory, officer) as session:
            with pytest.raises(InvalidInput) as raised:
                _intake(session, amnesty, **changes)
            assert raised.value.field == field
    with unit_of_work(runtime.factory) as session:
        assert session.query(Intake).count() == 0


def test_a_photo_must_be_an_image() -> None:
    with pytest.raises(InvalidInput, match="JPEG or PNG"):
        intakes.read_photo(b"GIF89a not really")
