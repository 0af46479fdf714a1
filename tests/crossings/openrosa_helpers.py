"""Helpers of the OpenRosa tests: Basic credentials, Collect-built registrations, posts."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import func, select

from corridor.crossings.collect import build_instance
from corridor.db.session import unit_of_work
from corridor.db.types import utcnow
from corridor.runtime import Runtime


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}", "X-OpenRosa-Version": "1.0"}


def registration(world: dict[str, Any], **changes: Any) -> tuple[bytes, str]:
    values = {
        "checkpoint": str(world["checkpoint"]),
        "start": utcnow().isoformat(),
        "end": utcnow().isoformat(),
        "deviceid": "collect:abc123",
        "consent/explained": "purpose sharing rights",
        "consent/given": "yes",
        "destination_pcode": "AD07",
        "destination_text": "Andorra la Vella",
    }
    values.update(changes.pop("values", {}))
    members = changes.pop(
        "members",
        [
            {
                "relationship": "head",
                "given_name_ar": "محمد",
                "family_name_ar": "الأحمد",
                "given_name_lat": "Mohammed",
                "family_name_lat": "Al-Ahmad",
                "sex": "male",
                "dob_precision": "year",
                "dob": "1980-01-01",
                "wg_walking": "3",
                "specific_needs": "DS SM",
            },
            {
                "relationship": "daughter",
                "given_name_ar": "سارة",
                "sex": "female",
                "dob_precision": "estimated_age",
                "age_estimate": "9",
                "child_status": "accompanied",
            },
        ],
    )
    return build_instance(world["xform"]["registration"], values, {"member": members}, **changes)


def post(
    world: dict[str, Any], xml: bytes, files: dict[str, bytes] | None = None, **kw: Any
) -> Any:
    parts = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
    for name, content in (files or {}).items():
        parts.append((name, (name, content, "image/jpeg")))
    return world["client"].post(
        f"{world['base']}/submission", files=parts, headers=kw.get("headers", world["device"])
    )


def count(runtime: Runtime, model: Any) -> int:
    with unit_of_work(runtime.factory) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0
