"""Inserting many rows of one model in one statement, audited, as ORM objects.

The unit of work inserts a batch of objects at about a quarter of a
millisecond each (attribute events, history, per-object bookkeeping). Where a
batch must land in milliseconds (twenty hazards that the next route query
must see), one Core ``INSERT … RETURNING`` does the writing; the returned
rows become ordinary persistent objects of the session, and the audit chain
gets the same records a flush would have given it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import insert, inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from corridor.audit.hook import record_changes

M = TypeVar("M")


def insert_many(session: Session, model: type[M], rows: Sequence[dict[str, Any]]) -> list[M]:
    """Insert ``rows`` (attribute names to values) and return them as persistent objects.

    Column defaults (ids, timestamps) are applied by the database and by
    SQLAlchemy as for a flush. Every column is read back, so each object is
    exactly its stored row; they come sorted by primary key, which both
    databases assign in the order of a multi-row ``VALUES`` list. (Asking
    SQLAlchemy to match rows to parameters instead makes it insert one row
    per statement on SQLite, five times slower.)
    """
    if not rows:
        return []
    mapper = inspect(model)
    table = mapper.local_table
    attribute_of = {column.key: mapper.get_property_by_column(column).key for column in table.c}
    column_of = {attribute: column for column, attribute in attribute_of.items()}
    statement = insert(table).returning(*table.c)
    result = session.execute(
        statement, [{column_of[key]: value for key, value in row.items()} for row in rows]
    )
    objects = []
    key = [column.key for column in table.primary_key.columns]
    for stored in sorted(result.mappings(), key=lambda row: [row[k] for k in key]):
        # Built as a query would load it: committed values, no change history.
        obj = mapper.class_manager.new_instance()
        for column, value in stored.items():
            set_committed_value(obj, attribute_of[column], value)
        make_transient_to_detached(obj)
        session.add(obj)
        objects.append(obj)
    if hasattr(model, "audit_entity"):
        record_changes(session, [(obj, "create") for obj in objects])
    return objects
