"""Feature rows as an Arrow table, the form both DuckDB and Splink read without copying."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from corridor.linkage.features import NAME_FIELDS

_STRING_LIST = pa.list_(pa.string())


def schema() -> pa.Schema:
    fields = [pa.field("unique_id", pa.string())]
    for name in NAME_FIELDS:
        fields += [
            pa.field(f"{name}_bk", pa.string()),
            pa.field(f"{name}_keys", _STRING_LIST),
            pa.field(f"{name}_lat", pa.string()),
            pa.field(f"{name}_txt", pa.string()),
            pa.field(f"{name}_flat", pa.string()),
        ]
    fields += [
        pa.field("dob_lo", pa.int32()),
        pa.field("dob_hi", pa.int32()),
        pa.field("birth_year", pa.int32()),
        pa.field("sex", pa.string()),
        pa.field("origin", pa.string()),
        pa.field("origin_area", pa.string()),
        pa.field("phone", pa.string()),
        pa.field("id_number", pa.string()),
    ]
    return pa.schema(fields)


def to_arrow(rows: list[dict[str, Any]]) -> pa.Table:
    table_schema = schema()
    columns = {name: [row.get(name) for row in rows] for name in table_schema.names}
    return pa.table(columns, schema=table_schema)
