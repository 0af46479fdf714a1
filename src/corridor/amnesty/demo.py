"""The demo operation's amnesty desk: two DDR officers of the lead organisation
(``demo-ddr`` signs in with the demo password), a desk at the first checkpoint,
two depots, and three intakes at different stages: two rifles destroyed and an
amnesty certificate issued; a pistol and ammunition in store with a
safe-passage certificate (an earlier one revoked); one person registered only.
All names are fictitious."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.accounts import service as accounts
from corridor.accounts.models import Organisation, Role, User
from corridor.amnesty import certificates, custody, desks, destruction, intakes, registry
from corridor.amnesty.claims import CertificateKind
from corridor.amnesty.models import (
    CustodyStep,
    Desk,
    DestructionMethod,
    ItemCategory,
    ItemCondition,
    MarkingStatus,
    SerialStatus,
    Sex,
)
from corridor.db.types import utcnow
from corridor.errors import NotFound
from corridor.operations.models import Operation

DDR_LOGIN = "demo-ddr"
WITNESS_LOGIN = "demo-ddr-witness"


def _user(
    session: Session, organisation: Organisation, login: str, name: str, password: str
) -> User:
    try:
        user = accounts.get_user_by_login(session, login=login)
    except NotFound:
        return accounts.create_user(
            session,
            login=login,
            display_name=name,
            password=password,
            organisation=organisation,
            role=Role.DDR_OFFICER,
        )
    accounts.reset_password(session, user=user, new=password)
    accounts.set_membership(session, user=user, organisation=organisation, role=Role.DDR_OFFICER)
    return user


def _rifle(serial: str) -> registry.ItemDetails:
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


def load(session: Session, operation_id: int, *, password: str) -> None:
    operation = session.get_one(Operation, operation_id)
    lead = session.get_one(Organisation, operation.lead_organisation_id)
    officer = _user(session, lead, DDR_LOGIN, "Demo DDR Officer", password)
    witness = _user(session, lead, WITNESS_LOGIN, "Demo DDR Witness", secrets.token_urlsafe(24))
    if session.scalar(select(Desk.id).where(Desk.operation_id == operation_id).limit(1)):
        return
    orgs = frozenset({lead.id})
    desk = desks.create_desk(
        session,
        operation_id=operation_id,
        organisation_id=lead.id,
        name="Amnesty desk at the first checkpoint",
        place_name="First checkpoint",
        latitude=42.5080,
        longitude=1.5360,
        officer_ids=[officer.id, witness.id],
    )
    depot = desks.create_depot(
        session,
        operation_id=operation_id,
        organisation_id=lead.id,
        name="Central depot",
        place_name="Warehouse district",
    )
    desks.create_depot(
        session,
        operation_id=operation_id,
        organisation_id=lead.id,
        name="North depot",
        place_name="North crossing",
    )
    start = utcnow() - timedelta(days=3)

    def step(item, which: CustodyStep, hours: int, **extra) -> None:  # type: ignore[no-untyped-def]
        custody.record(
            session,
            item,
            step=which,
            officer_id=officer.id,
            witness_id=witness.id,
            operation_orgs=orgs,
            occurred_at=start + timedelta(hours=hours),
            **extra,
        )

    def intake(arabic: str, latin: str, birth: str, hours: int):  # type: ignore[no-untyped-def]
        return intakes.record_intake(
            session,
            desk=desk,
            officer_id=officer.id,
            person=intakes.Person(
                name_arabic=arabic, name_latin=latin, birth_date=birth, sex=Sex.MALE
            ),
            took_place_at=start + timedelta(hours=hours),
            explained=list(intakes.Topic.ALL),
            consent_given=True,
        )

    first = intake("سامر عادل حسين النجار", "Samer Adel Hussein Al-Najjar", "1988-05", 1)
    rifles = [
        registry.register_item(
            session,
            first,
            _rifle(serial),
            officer_id=officer.id,
            witness_id=witness.id,
            operation_orgs=orgs,
            collected_at=first.took_place_at,
        )
        for serial in ("DEMO-AK-10231", "DEMO-AK-10987")
    ]
    for rifle in rifles:
        step(rifle, CustodyStep.RECORDED, 2)
        step(rifle, CustodyStep.STORED, 5, depot_id=depot.id)
    destruction.destroy(
        session,
        depot=depot,
        item_ids=[r.id for r in rifles],
        method=DestructionMethod.CUTTING,
        officer_id=officer.id,
        witness_id=witness.id,
        operation_orgs=orgs,
        destroyed_at=start + timedelta(hours=30),
        observers="An observer of a partner organisation",
    )
    certificates.issue(session, first, kind=CertificateKind.AMNESTY, issued_by_id=officer.id)

    second = intake("مازن خليل يوسف الحداد", "Mazen Khalil Yousef Al-Haddad", "1979", 20)
    pistol = registry.register_item(
        session,
        second,
        registry.ItemDetails(
            category=ItemCategory.SMALL_ARM,
            make="Makarov",
            model="PM",
            calibre="9x18mm",
            serial_status=SerialStatus.REMOVED,
            condition=ItemCondition.UNSERVICEABLE,
            marking_status=MarkingStatus.MARKED_AT_COLLECTION,
        ),
        officer_id=officer.id,
        witness_id=witness.id,
        operation_orgs=orgs,
        collected_at=second.took_place_at,
    )
    rounds = registry.register_item(
        session,
        second,
        registry.ItemDetails(
            category=ItemCategory.AMMUNITION,
            calibre="7.62x39mm",
            quantity=240,
            serial_status=SerialStatus.NONE,
            condition=ItemCondition.SERVICEABLE,
            marking_status=MarkingStatus.UNMARKED,
        ),
        officer_id=officer.id,
        witness_id=witness.id,
        operation_orgs=orgs,
        collected_at=second.took_place_at,
    )
    for item in (pistol, rounds):
        step(item, CustodyStep.RECORDED, 21)
        step(item, CustodyStep.STORED, 24, depot_id=depot.id)
    wrong = certificates.issue(
        session, second, kind=CertificateKind.SAFE_PASSAGE, issued_by_id=officer.id
    )
    certificates.revoke(
        session, wrong, reason="issued with the wrong validity; reissued", revoked_by_id=officer.id
    )
    certificates.issue(session, second, kind=CertificateKind.SAFE_PASSAGE, issued_by_id=officer.id)

    intake("نادر سعيد محمد", "Nader Saeed Mohammed", "1996-11-02", 40)
