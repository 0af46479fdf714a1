"""The crossings part of the demo: a few days of headcounts at the demo checkpoints."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from corridor.accounts.models import Organisation
from corridor.crossings.models import COUNT_FIELDS, Headcount
from corridor.crossings.sync import sync_headcounts
from corridor.db.types import utcnow
from corridor.operations.models import Checkpoint, Operation

DAYS = 3


def load(session: Session, operation_id: int) -> None:
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
