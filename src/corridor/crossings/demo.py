"""The crossings part of the demo: the field forms, a few days of headcounts at the
demo checkpoints, and a few households registered through the registration form.

The names are invented for the demo.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from corridor.accounts.models import Membership, Organisation
from corridor.crossings import forms, submissions
from corridor.crossings.collect import build_instance
from corridor.crossings.devices import DeviceLogin
from corridor.crossings.models import COUNT_FIELDS, Headcount, Registration
from corridor.crossings.sync import sync_headcounts
from corridor.db.types import utcnow
from corridor.operations.models import Checkpoint, Operation

DAYS = 3


DEMO_NAMES = [
    ("أحمد", "Ahmad", "male"),
    ("فاطمة", "Fatima", "female"),
    ("خالد", "Khaled", "male"),
    ("مريم", "Maryam", "female"),
    ("يوسف", "Youssef", "male"),
    ("ليلى", "Layla", "female"),
]
DEMO_FAMILIES = [("الحسن", "Al-Hassan"), ("العلي", "Al-Ali"), ("الخطيب", "Al-Khatib")]
REGISTRATIONS = 12


def load(session: Session, operation_id: int) -> None:
    """The forms, headcounts and registrations of the demo (each once)."""
    forms.ensure_shipped_forms(session, operation_id=operation_id)
    _headcounts(session, operation_id)
    _registrations(session, operation_id)


def _registrations(session: Session, operation_id: int) -> None:
    """A dozen households registered at the checkpoints, as Collect would send them."""
    if session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(Registration.operation_id == operation_id)
    ):
        return
    operation = session.get(Operation, operation_id)
    checkpoints = list(
        session.scalars(select(Checkpoint.id).where(Checkpoint.operation_id == operation_id))
    )
    officer = (
        session.scalar(
            select(Membership.user_id)
            .where(Membership.organisation_id == operation.lead_organisation_id)
            .order_by(Membership.user_id)
            .limit(1)
        )
        if operation
        else None
    )
    if operation is None or officer is None or not checkpoints:
        return
    form = forms.get_form(session, operation_id=operation_id, xml_form_id="registration")
    xform = forms.current_version(session, form=form).xform
    rng = random.Random(7)
    for _ in range(REGISTRATIONS):
        family_ar, family_lat = rng.choice(DEMO_FAMILIES)
        members = []
        for position in range(rng.randint(1, 5)):
            name_ar, name_lat, sex = rng.choice(DEMO_NAMES)
            adult = position < 2
            members.append(
                {
                    "relationship": "head"
                    if position == 0
                    else ("spouse" if adult else "son" if sex == "male" else "daughter"),
                    "given_name_ar": name_ar,
                    "family_name_ar": family_ar,
                    "given_name_lat": name_lat,
                    "family_name_lat": family_lat,
                    "sex": sex,
                    "dob_precision": "year",
                    "dob": f"{rng.randint(1955, 2000) if adult else rng.randint(2010, 2024)}-01-01",
                    "child_status": "" if adult else "accompanied",
                    "wg_walking": str(rng.choice([1, 1, 1, 2, 3])),
                }
            )
        when = utcnow() - timedelta(hours=rng.randint(1, DAYS * 24))
        xml, _instance = build_instance(
            xform,
            {
                "checkpoint": str(rng.choice(checkpoints)),
                "start": when.isoformat(),
                "end": (when + timedelta(minutes=6)).isoformat(),
                "deviceid": "demo",
                "consent/explained": "purpose sharing rights retention",
                "consent/given": "yes",
                "destination_text": rng.choice(["Andorra la Vella", "Encamp", "Ordino"]),
            },
            {"member": members},
            instance_id=f"uuid:{uuid.UUID(int=rng.getrandbits(128))}",
        )
        submissions.receive(
            session,
            operation_id=operation_id,
            organisation_id=operation.lead_organisation_id,
            login=DeviceLogin(officer, "demo"),
            xml=xml,
            attachments=[],
        )


def _headcounts(session: Session, operation_id: int) -> None:
    """Hourly tallies over the last three days at every checkpoint (once)."""
    if session.scalar(
        select(func.count()).select_from(Headcount).where(Headcount.operation_id == operation_id)
    ):
        return
    operation = session.get(Operation, operation_id)
    lead = session.get(Organisation, operation.lead_organisation_id) if operation else None
    checkpoints = list(
        session.scalars(select(Checkpoint).where(Checkpoint.operation_id == operation_id))
    )
    if lead is None or not checkpoints:
        return
    rng = random.Random(2026)
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=DAYS)
    records = []
    for checkpoint in checkpoints:
        for hour in range(DAYS * 24):
            slot = start + timedelta(hours=hour)
            if not 6 <= slot.hour < 18:
                continue  # the corridors open by day
            counts = {name: rng.choice([0, 0, 1, 2, 3, 5, 8]) for name in COUNT_FIELDS}
            if sum(counts.values()) == 0:
                counts["female_18_59"] = 1
            children = (
                counts["female_0_4"]
                + counts["female_5_17"]
                + counts["male_0_4"]
                + counts["male_5_17"]
            )
            records.append(
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "checkpoint_id": checkpoint.id,
                    "slot_start": slot.isoformat(),
                    "slot_minutes": 60,
                    "direction": rng.choice(["outbound", "outbound", "outbound", "inbound"]),
                    "means": rng.choice(["foot", "foot", "car", "bus"]),
                    "unaccompanied_children": min(children, rng.choice([0, 0, 0, 1])),
                    "injured": rng.choice([0, 0, 0, 1]),
                    "device_id": "demo",
                    **counts,
                }
            )
    sync_headcounts(
        session,
        operation_id=operation_id,
        organisation_id=lead.id,
        officer_id=None,
        records=records,
    )
