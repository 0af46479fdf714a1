"""The item catalogue of an operation, and the batches of its items.

Every operation starts with a copy of the default catalogue of common relief
items (``default_catalogue.csv``), which its lead edits. Quantities of an item
are whole numbers of its base unit (pieces, grams, millilitres), so stock adds
up exactly. An item tracked by batch is received in named batches with their
expiry dates; any other item has one batch, named ``-``, so that every line of
the ledger names a batch and balances are kept per batch alike.
"""

from __future__ import annotations

import csv
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor import events
from corridor.aid import checks
from corridor.aid.models import Batch, Category, Item, Unit
from corridor.errors import Conflict, InvalidInput, NotFound

UNBATCHED = "-"


def default_catalogue() -> list[dict[str, Any]]:
    """The shipped catalogue, as item fields."""
    text = resources.files("corridor.aid").joinpath("default_catalogue.csv").read_text("utf-8")
    return [
        {
            "code": row["code"],
            "name": row["name"],
            "unit": Unit(row["unit"]),
            "unit_weight_kg": float(row["unit_weight_kg"]),
            "unit_volume_l": float(row["unit_volume_l"]) if row["unit_volume_l"] else None,
            "category": Category(row["category"]),
            "batch_tracked": row["batch_tracked"] == "true",
        }
        for row in csv.DictReader(text.splitlines())
    ]


def add_default_catalogue(session: Session, *, operation_id: int) -> list[Item]:
    """Add the default items the operation does not have yet (by code); safe to repeat."""
    have = set(session.scalars(select(Item.code).where(Item.operation_id == operation_id)))
    added = [
        Item(operation_id=operation_id, **fields)
        for fields in default_catalogue()
        if fields["code"] not in have
    ]
    session.add_all(added)
    session.flush()
    return added


@events.subscribe(events.OPERATION_CREATED)
def _on_operation_created(session: Session, payload: dict[str, Any]) -> None:
    add_default_catalogue(session, operation_id=payload["operation_id"])


def list_items(session: Session, *, operation_id: int, active_only: bool = False) -> list[Item]:
    statement = select(Item).where(Item.operation_id == operation_id).order_by(Item.code)
    if active_only:
        statement = statement.where(Item.active.is_(True))
    return list(session.scalars(statement))


def get_item(session: Session, *, operation_id: int, item_id: int) -> Item:
    item = session.get(Item, item_id)
    if item is None or item.operation_id != operation_id:
        raise NotFound("no such item in this operation")
    return item


def item_by_code(session: Session, *, operation_id: int, code: str) -> Item:
    item = session.scalar(
        select(Item).where(Item.operation_id == operation_id, Item.code == code.strip().upper())
    )
    if item is None:
        raise NotFound(f"there is no item {code.strip().upper()!r} in this operation")
    return item


def create_item(
    session: Session,
    *,
    operation_id: int,
    code: str,
    name: str,
    unit: Unit | str,
    category: Category | str,
    unit_weight_kg: float = 0.0,
    unit_volume_l: float | None = None,
    batch_tracked: bool = False,
) -> Item:
    """A new catalogue entry; codes are upper case and unique in the operation."""
    code = checks.code(code)
    if session.scalar(select(Item.id).where(Item.operation_id == operation_id, Item.code == code)):
        raise Conflict(f"the catalogue already has an item {code!r}")
    item = Item(
        operation_id=operation_id,
        code=code,
        name=checks.display_name(name),
        unit=checks.choice(Unit, unit, "unit"),
        category=checks.choice(Category, category, "category"),
        unit_weight_kg=checks.non_negative(unit_weight_kg, "unit_weight_kg"),
        unit_volume_l=None
        if unit_volume_l is None
        else checks.non_negative(unit_volume_l, "unit_volume_l"),
        batch_tracked=bool(batch_tracked),
    )
    session.add(item)
    session.flush()
    return item


def update_item(session: Session, item: Item, **changes: Any) -> Item:
    """Edit name, weight, volume, category or whether the item is in use.

    The code, the unit and batch tracking stay as they are once stock exists in
    them: the ledger's quantities are counted in that unit.
    """
    if "name" in changes:
        item.name = checks.display_name(changes["name"])
    if "category" in changes:
        item.category = checks.choice(Category, changes["category"], "category")
    if "unit_weight_kg" in changes:
        item.unit_weight_kg = checks.non_negative(changes["unit_weight_kg"], "unit_weight_kg")
    if "unit_volume_l" in changes:
        value = changes["unit_volume_l"]
        item.unit_volume_l = None if value is None else checks.non_negative(value, "unit_volume_l")
    if "active" in changes:
        item.active = bool(changes["active"])
    session.flush()
    return item


def batch_for(
    session: Session,
    item: Item,
    *,
    code: str | None,
    expires_on: date | None,
    field: str = "batch",
) -> Batch:
    """The batch a receipt names, created on first receipt.

    An item not tracked by batch has its one batch whatever is given; a tracked
    item needs a batch code, and a batch keeps the expiry it was first received
    with (the same code with another date is an error, not a new batch).
    """
    if not item.batch_tracked:
        code, expires_on = UNBATCHED, None
    else:
        code = (code or "").strip()
        if not code or code == UNBATCHED:
            raise InvalidInput(f"{field}.batch", "is required: this item is tracked by batch")
        if len(code) > 64:
            raise InvalidInput(f"{field}.batch", "must be at most 64 characters")
    found = session.scalar(select(Batch).where(Batch.item_id == item.id, Batch.code == code))
    if found is not None:
        if item.batch_tracked and expires_on is not None and found.expires_on != expires_on:
            raise InvalidInput(
                f"{field}.expires_on", "differs from the expiry this batch was received with"
            )
        return found
    batch = Batch(operation_id=item.operation_id, item_id=item.id, code=code, expires_on=expires_on)
    session.add(batch)
    session.flush()
    return batch


def unrecorded_batch(session: Session, item: Item) -> Batch:
    """Where stock the ledger did not know of is booked (a distribution captured offline
    beyond the recorded stock): the item's batch ``-``, even for a batch-tracked item,
    whose batches of that stock are not known."""
    found = find_batch(session, item, UNBATCHED)
    if found is not None:
        return found
    batch = Batch(operation_id=item.operation_id, item_id=item.id, code=UNBATCHED, expires_on=None)
    session.add(batch)
    session.flush()
    return batch


def find_batch(session: Session, item: Item, code: str) -> Batch | None:
    return session.scalar(select(Batch).where(Batch.item_id == item.id, Batch.code == code.strip()))


def get_batch(session: Session, item: Item, batch_id: int, *, field: str) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None or batch.item_id != item.id:
        raise InvalidInput(field, "is not a batch of this item")
    return batch
