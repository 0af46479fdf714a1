"""What the analytics copy holds: one dataset per kind of fact a report counts.

Each dataset is a query over the operational database that selects counts,
categories, places and times, never a name or any other personal field (a test
checks the columns against the models' personal-data flags). The copy is kept
by day of the event (``partition``), and a row is recognised by ``key`` when it
is copied again after an edit. Each query selects the rows written or changed
after ``:since`` (the column it compares is the table's update time, or its
insert time where rows never change).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Dataset:
    name: str
    schema: pa.Schema
    # SQL selecting the schema's columns in order, written for one database;
    # ``:operation_id`` and ``:since`` are bound.
    sql: Callable[[SqlDialect], str]
    partition: str  # a timestamp or date column: the file a row lives in is its UTC day
    key: str = "id"


def _schema(*fields: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema(list(fields))


_COUNTS = tuple(
    f"{sex}_{band}" for sex in ("female", "male") for band in ("0_4", "5_17", "18_59", "60_plus")
)

CROSSINGS = Dataset(
    name="crossings",
    schema=_schema(
        ("id", pa.string()),
        ("checkpoint_id", pa.int64()),
        ("organisation_id", pa.int64()),
        ("slot_start", TIMESTAMP),
        ("direction", pa.string()),
        ("means", pa.string()),
        *((name, pa.int32()) for name in _COUNTS),
        ("unaccompanied_children", pa.int32()),
        ("injured", pa.int32()),
    ),
    sql=lambda q: (
        f"SELECT {q.text('id')}, checkpoint_id, organisation_id, {q.ts('slot_start')},"
        " direction, means, "
        + ", ".join(_COUNTS)
        + ", unaccompanied_children, injured FROM headcounts"
        " WHERE operation_id = :operation_id AND updated_at > :since"
    ),
    partition="slot_start",
)

REGISTRATIONS = Dataset(
    name="registrations",
    schema=_schema(
        ("id", pa.string()),
        ("checkpoint_id", pa.int64()),
        ("organisation_id", pa.int64()),
        ("recorded_at", TIMESTAMP),
        ("household_size", pa.int32()),
        ("deleted", pa.bool_()),
    ),
    sql=lambda q: (
        f"SELECT {q.text('id')}, checkpoint_id, organisation_id,"
        f" {q.ts('COALESCE(recorded_at, received_at)')}, household_size,"
        " deleted_at IS NOT NULL FROM registrations"
        " WHERE operation_id = :operation_id AND updated_at > :since"
    ),
    partition="recorded_at",
)

# Every line of the stock ledger (append-only): distributions, receipts, transfers,
# write-offs and reversals, so that both what was given and what is held can be told.
LEDGER = Dataset(
    name="ledger",
    schema=_schema(
        ("id", pa.int64()),
        ("movement_id", pa.int64()),
        ("kind", pa.string()),
        ("reversed_kind", pa.string()),
        ("place_id", pa.int64()),
        ("item_id", pa.int64()),
        ("quantity", pa.int64()),
        ("occurred_at", TIMESTAMP),
    ),
    sql=lambda q: (
        "SELECT l.id, l.movement_id, m.kind, r.kind, l.place_id, l.item_id, l.quantity,"
        f" {q.ts('m.occurred_at')} FROM aid_movement_lines l"
        " JOIN aid_movements m ON m.id = l.movement_id"
        " LEFT JOIN aid_movements r ON r.id = m.reverses_id"
        " WHERE m.operation_id = :operation_id AND m.recorded_at > :since"
    ),
    partition="occurred_at",
)

DISTRIBUTIONS = Dataset(
    name="distributions",
    schema=_schema(
        ("id", pa.string()),
        ("place_id", pa.int64()),
        ("organisation_id", pa.int64()),
        ("distributed_at", TIMESTAMP),
        ("people_count", pa.int32()),
        ("recipient_kind", pa.string()),
        ("deleted", pa.bool_()),
    ),
    sql=lambda q: (
        f"SELECT {q.text('id')}, place_id, organisation_id, {q.ts('distributed_at')}, people_count,"
        " recipient_kind, deleted_at IS NOT NULL FROM aid_distributions"
        " WHERE operation_id = :operation_id AND updated_at > :since"
    ),
    partition="distributed_at",
)

CONSULTATIONS = Dataset(
    name="consultations",
    schema=_schema(
        ("id", pa.string()),
        ("place_id", pa.int64()),
        ("organisation_id", pa.int64()),
        ("day", pa.date32()),
        ("age_band", pa.string()),
        ("sex", pa.string()),
        ("category", pa.string()),
        ("referral", pa.string()),
    ),
    sql=lambda q: (
        f"SELECT {q.text('id')}, place_id, organisation_id, day, age_band, sex, category, referral"
        " FROM aid_consultations WHERE operation_id = :operation_id AND recorded_at > :since"
    ),
    partition="day",
)

WEAPONS = Dataset(
    name="weapons",
    schema=_schema(
        ("id", pa.int64()),
        ("category", pa.string()),
        ("quantity", pa.int32()),
        ("registered_at", TIMESTAMP),
    ),
    sql=lambda q: (
        f"SELECT id, category, quantity, {q.ts('registered_at')} FROM amnesty_items"
        " WHERE operation_id = :operation_id AND registered_at > :since"
    ),
    partition="registered_at",
)

CERTIFICATES = Dataset(
    name="certificates",
    schema=_schema(
        ("id", pa.string()),
        ("kind", pa.string()),
        ("issued_at", TIMESTAMP),
        ("revoked", pa.bool_()),
    ),
    sql=lambda q: (
        f"SELECT {q.text('id')}, type, {q.ts('issued_at')}, revoked_at IS NOT NULL"
        " FROM amnesty_certificates WHERE operation_id = :operation_id AND updated_at > :since"
    ),
    partition="issued_at",
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        CROSSINGS,
        REGISTRATIONS,
        LEDGER,
        DISTRIBUTIONS,
        CONSULTATIONS,
        WEAPONS,
        CERTIFICATES,
    )
}

# Which table and columns each dataset reads (for the personal-data test).
SOURCE_TABLES: dict[str, str] = {
    "crossings": "headcounts",
    "registrations": "registrations",
    "ledger": "aid_movement_lines",
    "distributions": "aid_distributions",
    "consultations": "aid_consultations",
    "weapons": "amnesty_items",
    "certificates": "amnesty_certificates",
}


class SqlDialect:
    """Writes the few expressions that differ between SQLite and PostgreSQL.

    Times leave the database as UTC without a zone (SQLite stores them so, and
    PostgreSQL's CSV output would add an offset Arrow's CSV reader refuses), and
    UUIDs as text.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def ts(self, expr: str) -> str:
        return f"({expr} AT TIME ZONE 'UTC')" if self.name == "postgresql" else expr

    def text(self, expr: str) -> str:
        return f"CAST({expr} AS TEXT)" if self.name == "postgresql" else expr


def render_sql(dataset: Dataset, dialect: str) -> str:
    """The dataset's query for ``dialect`` ("sqlite" or "postgresql")."""
    return dataset.sql(SqlDialect(dialect))
