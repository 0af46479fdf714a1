"""Finding a household to serve: a lookup limited to what distributing needs.

An officer at an aid point, whichever organisation runs it, must find the
family in front of them among everyone registered in the operation, also by
other organisations, to give what they are entitled to. The officer sees no
registration: only the name of the person found, the size of the household
and what its entitlements leave. Names are matched as deduplication matches
them (any script, any transliteration: ``corridor.linkage.matching``). Each
lookup is written to the access log, with the purpose.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.aid import distributions, entitlements
from corridor.audit.access import record_access
from corridor.crossings.models import RegistrationMember
from corridor.linkage import matching
from corridor.linkage.features import query_features

MAX_RESULTS = 5


@dataclass(frozen=True)
class Found:
    registration_id: uuid.UUID
    name: str
    household_members: int
    probability: float
    standing: list[entitlements.Standing]


def search(
    session: Session,
    *,
    operation_id: int,
    user_id: int,
    given_name: str,
    family_name: str = "",
    father_name: str = "",
    age: str = "",
) -> list[Found]:
    """The likeliest registered households for the names given (``InvalidInput`` names
    the field that cannot be compared)."""
    query = query_features(
        {
            "given_name": given_name[:100],
            "father_name": father_name[:100],
            "family_name": family_name[:100],
            "age_estimate": age[:10],
        },
        renamed={"age_estimate": "age"},
    )
    record_access(
        session,
        user_id=user_id,
        operation_id=operation_id,
        action="aid.recipient_search",
        entity_type="recipient_search",
        purpose=distributions.PURPOSE,
    )
    candidates = matching.find_matches(
        session, operation_id=operation_id, queries=[query], limit=MAX_RESULTS
    )["query"]
    found: list[Found] = []
    seen: set[uuid.UUID] = set()
    for candidate in candidates:
        member = session.scalar(
            select(RegistrationMember).where(
                RegistrationMember.id == uuid.UUID(candidate.member_ids[0])
            )
        )
        if member is None or member.registration_id in seen:
            continue
        seen.add(member.registration_id)
        record_access(
            session,
            user_id=user_id,
            operation_id=operation_id,
            action="aid.recipient_lookup",
            entity_type="registration",
            entity_id=str(member.registration_id),
            purpose=distributions.PURPOSE,
        )
        identity = entitlements.identify(
            session, operation_id=operation_id, registration_id=member.registration_id
        )
        found.append(
            Found(
                registration_id=member.registration_id,
                name=display_name(member),
                household_members=len(identity.ages),
                probability=round(candidate.probability, 3),
                standing=entitlements.standing(
                    session, operation_id=operation_id, identity=identity, individual=False
                ),
            )
        )
    return found


def display_name(member: RegistrationMember) -> str:
    """Given, father's and family name, in each script the registration has."""
    scripts = []
    for suffix in ("ar", "lat"):
        parts = [getattr(member, f"{part}_name_{suffix}") for part in ("given", "father", "family")]
        text = " ".join(p for p in parts if p)
        if text:
            scripts.append(text)
    return " / ".join(scripts)
