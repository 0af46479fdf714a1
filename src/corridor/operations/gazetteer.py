"""The operation's gazetteer: administrative areas keyed by P-code.

Later capabilities refer to places by P-code (the OCHA convention for
administrative boundaries); :func:`resolve_pcode` is how they check one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.errors import InvalidInput, NotFound
from corridor.operations.models import AdminArea

COLUMNS = ("pcode", "name_en", "name_ar", "admin_level", "parent_pcode")
PCODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_LEVEL = 6


@dataclass(frozen=True)
class AreaRow:
    pcode: str
    name_en: str
    name_ar: str
    admin_level: int
    parent_pcode: str | None


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def parse_csv(text: str) -> list[AreaRow]:
    """Parse and check a gazetteer CSV; errors name the line and the column."""
    try:
        return _parse_csv(text)
    except csv.Error as exc:
        raise InvalidInput("file", f"is not a readable CSV file ({exc})") from None


def _parse_csv(text: str) -> list[AreaRow]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidInput("file", f"missing column(s): {', '.join(missing)}")
    rows: list[AreaRow] = []
    for line, raw in enumerate(reader, start=2):
        record = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        pcode = record["pcode"]
        if not PCODE_PATTERN.match(pcode):
            raise InvalidInput(f"line {line}: pcode", "must be 1–32 letters, digits, _ or -")
        if not record["name_en"]:
            raise InvalidInput(f"line {line}: name_en", "is required")
        try:
            level = int(record["admin_level"])
        except ValueError:
            raise InvalidInput(f"line {line}: admin_level", "must be a whole number") from None
        if not 0 <= level <= MAX_LEVEL:
            raise InvalidInput(f"line {line}: admin_level", f"must be between 0 and {MAX_LEVEL}")
        parent = record["parent_pcode"] or None
        if parent is not None and not PCODE_PATTERN.match(parent):
            raise InvalidInput(f"line {line}: parent_pcode", "is not a valid P-code")
        rows.append(AreaRow(pcode, record["name_en"][:200], record["name_ar"][:200], level, parent))
    if not rows:
        raise InvalidInput("file", "has no rows")
    return rows


def import_areas(session: Session, *, operation_id: int, rows: Iterable[AreaRow]) -> ImportResult:
    """Create or update areas; every parent must exist with the level above."""
    rows = list(rows)
    existing = {
        a.pcode: a
        for a in session.scalars(select(AdminArea).where(AdminArea.operation_id == operation_id))
    }
    levels = {pcode: area.admin_level for pcode, area in existing.items()}
    seen: set[str] = set()
    for index, row in enumerate(rows, start=2):
        if row.pcode in seen:
            raise InvalidInput(f"line {index}: pcode", "appears twice in the file")
        seen.add(row.pcode)
        levels[row.pcode] = row.admin_level
    for index, row in enumerate(rows, start=2):
        if row.parent_pcode is None:
            if row.admin_level > 0:
                raise InvalidInput(f"line {index}: parent_pcode", "is required below admin level 0")
            continue
        if row.parent_pcode not in levels:
            raise InvalidInput(f"line {index}: parent_pcode", "is an unknown P-code")
        if levels[row.parent_pcode] != row.admin_level - 1:
            raise InvalidInput(
                f"line {index}: parent_pcode", "must be an area of the level just above"
            )
    created = updated = 0
    for row in rows:
        area = existing.get(row.pcode)
        if area is None:
            session.add(
                AdminArea(
                    operation_id=operation_id,
                    pcode=row.pcode,
                    name_en=row.name_en,
                    name_ar=row.name_ar,
                    admin_level=row.admin_level,
                    parent_pcode=row.parent_pcode,
                )
            )
            created += 1
        elif (area.name_en, area.name_ar, area.admin_level, area.parent_pcode) != (
            row.name_en,
            row.name_ar,
            row.admin_level,
            row.parent_pcode,
        ):
            area.name_en, area.name_ar = row.name_en, row.name_ar
            area.admin_level, area.parent_pcode = row.admin_level, row.parent_pcode
            updated += 1
    session.flush()
    return ImportResult(created=created, updated=updated)


def list_areas(session: Session, *, operation_id: int, level: int | None = None) -> list[AdminArea]:
    query = select(AdminArea).where(AdminArea.operation_id == operation_id)
    if level is not None:
        query = query.where(AdminArea.admin_level == level)
    return list(session.scalars(query.order_by(AdminArea.admin_level, AdminArea.pcode)))


def get_area(session: Session, *, operation_id: int, pcode: str) -> AdminArea:
    area = session.scalar(
        select(AdminArea).where(AdminArea.operation_id == operation_id, AdminArea.pcode == pcode)
    )
    if area is None:
        raise NotFound("no such admin area")
    return area


def resolve_pcode(
    session: Session, *, operation_id: int, pcode: str, field: str = "pcode"
) -> AdminArea:
    """The area for a P-code given as input; an unknown one is a 422 naming ``field``."""
    try:
        return get_area(session, operation_id=operation_id, pcode=pcode)
    except NotFound:
        raise InvalidInput(field, "is an unknown P-code in this operation's gazetteer") from None
