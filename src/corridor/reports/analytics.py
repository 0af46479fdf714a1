"""The analytics copy: Parquet files per dataset and day, and DuckDB over them.

Reports count millions of crossings and ledger lines; the operational database
is tuned for writing them one by one. So the rows a report needs are copied
into Parquet files under the data directory (``analytics/operation-<id>/<dataset>/
<UTC day>.parquet``) and every figure is a DuckDB query over those files.

DuckDB's own readers for SQLite and PostgreSQL are extensions it would download
at run time, which fails where the field has no internet; the rows travel
through the database driver instead (PostgreSQL ``COPY … TO STDOUT``, SQLite in
chunks of a cursor), and every connection is opened with extension
auto-install and auto-load switched off, so that a hidden download fails loudly
in the tests instead of in the field.

A refresh copies only the rows written or changed since the previous one (with
an overlap, since a transaction may commit after a later one started), and
rewrites only the day files those rows fall in, or used to fall in.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy.orm import Session

from corridor.config import Settings
from corridor.db.types import utcnow
from corridor.reports.datasets import DATASETS, Dataset, render_sql

# A transaction that started before a refresh may commit after it: rows changed
# within this margin before the previous refresh are copied again (harmlessly).
OVERLAP = timedelta(minutes=5)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CHUNK_ROWS = 100_000
MANIFEST = "manifest.json"
# Rows that can change after they are written (a corrected tally, a deleted
# registration) may have moved to another day's file: those files are found and
# rewritten too. Ledger lines, consultations and weapons are never edited.
MUTABLE = frozenset({"crossings", "registrations", "distributions", "certificates"})


def connect() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that never downloads or loads an extension by itself."""
    con = duckdb.connect(
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    con.execute("SET TimeZone = 'UTC'")
    return con


def store_dir(settings: Settings, operation_id: int) -> Path:
    return settings.data_dir / "analytics" / f"operation-{operation_id}"


def session_store_dir(session: Session, operation_id: int) -> Path:
    settings: Settings = session.info["settings"]
    return store_dir(settings, operation_id)


@dataclass
class Refresh:
    """What one refresh copied (rows per dataset) and how long it took."""

    rows: dict[str, int] = field(default_factory=dict)
    files_written: int = 0
    seconds: float = 0.0
    as_of: datetime | None = None


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One refresh at a time per operation, across server workers and commands."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_manifest(root: Path) -> dict[str, str]:
    try:
        return json.loads((root / MANIFEST).read_text())
    except FileNotFoundError:
        return {}


def as_of(root: Path) -> datetime | None:
    """When the copy was last brought up to date (None: never)."""
    stamp = read_manifest(root).get("as_of")
    return datetime.fromisoformat(stamp) if stamp else None


def _write_manifest(root: Path, manifest: dict[str, str]) -> None:
    tmp = root / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(tmp, root / MANIFEST)


def refresh(session: Session, *, operation_id: int, root: Path | None = None) -> Refresh:
    """Bring the operation's analytics copy up to date with the database."""
    root = root or session_store_dir(session, operation_id)
    began = time.perf_counter()
    result = Refresh()
    identity = _identity(session, operation_id)
    with _locked(root):
        manifest = read_manifest(root)
        if manifest.get("identity") != identity:
            # Another operation under a reused id, or a database restored from a
            # backup: this copy describes other data, so it starts again.
            _discard_files(root)
            manifest = {"identity": identity}
        started = utcnow()
        con = connect()
        try:
            for dataset in DATASETS.values():
                previous = manifest.get(dataset.name)
                since = datetime.fromisoformat(previous) - OVERLAP if previous else EPOCH
                fresh = fetch(session, dataset, operation_id=operation_id, since=since)
                result.rows[dataset.name] = fresh.num_rows
                if fresh.num_rows:
                    result.files_written += _merge(con, root / dataset.name, dataset, fresh)
                manifest[dataset.name] = started.isoformat()
        finally:
            con.close()
        manifest["as_of"] = started.isoformat()
        _write_manifest(root, manifest)
    result.as_of = started
    result.seconds = time.perf_counter() - began
    return result


def discard(root: Path) -> None:
    """Delete the copy (after a purge: the next refresh copies what is left)."""
    with _locked(root):
        _discard_files(root)


def _discard_files(root: Path) -> None:
    for child in root.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        elif child.name != ".lock":
            child.unlink()


def _identity(session: Session, operation_id: int) -> str:
    """Which operation of which database the copy is of."""
    from corridor.operations.models import Operation

    operation = session.get(Operation, operation_id)
    if operation is None:
        return f"{operation_id}:gone"
    return f"{operation_id}:{operation.slug}:{operation.created_at.isoformat()}"


# Copying rows out of the database --------------------------------------------------


def fetch(session: Session, dataset: Dataset, *, operation_id: int, since: datetime) -> pa.Table:
    """The dataset's rows changed after ``since``, as an Arrow table of its schema."""
    connection = session.connection()
    dialect = connection.dialect.name
    query = render_sql(dataset, dialect)
    raw = connection.connection.driver_connection
    if dialect == "postgresql":
        return _fetch_postgresql(raw, query, dataset, operation_id, since)
    return _fetch_sqlite(raw, query, dataset, operation_id, since)


def _transport_schema(schema: pa.Schema) -> pa.Schema:
    """As the rows arrive: times without a zone (they are UTC)."""
    return pa.schema(
        [
            pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f
            for f in schema
        ]
    )


def _fetch_postgresql(
    raw: object, query: str, dataset: Dataset, operation_id: int, since: datetime
) -> pa.Table:
    from psycopg import sql

    statement = sql.SQL(
        "COPY ("
        + query.replace(":operation_id", "{operation_id}").replace(":since", "{since}")
        + ") TO STDOUT (FORMAT csv)"
    ).format(operation_id=sql.Literal(operation_id), since=sql.Literal(since))
    buffer = io.BytesIO()
    with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
        for chunk in copy:
            buffer.write(chunk)
    if buffer.tell() == 0:
        return dataset.schema.empty_table()
    buffer.seek(0)
    transport = _transport_schema(dataset.schema)
    table = pa_csv.read_csv(
        buffer,
        read_options=pa_csv.ReadOptions(column_names=transport.names),
        convert_options=pa_csv.ConvertOptions(
            column_types=transport,
            true_values=["t", "true"],
            false_values=["f", "false"],
            strings_can_be_null=True,
        ),
    )
    return table.cast(dataset.schema)


def _fetch_sqlite(
    raw: object, query: str, dataset: Dataset, operation_id: int, since: datetime
) -> pa.Table:
    # SQLAlchemy keeps SQLite times as text in this layout, which compares in order.
    bound_since = since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    cursor = raw.cursor()  # type: ignore[attr-defined]
    transport = _transport_schema(dataset.schema)
    batches = []
    try:
        cursor.execute(query, {"operation_id": operation_id, "since": bound_since})
        while rows := cursor.fetchmany(CHUNK_ROWS):
            columns = list(zip(*rows, strict=True))
            arrays = []
            for values, target in zip(columns, transport, strict=True):
                if pa.types.is_timestamp(target.type) or pa.types.is_date(target.type):
                    arrays.append(pa.array(values, pa.string()).cast(target.type))
                elif pa.types.is_boolean(target.type):
                    arrays.append(pa.array(values, pa.int8()).cast(pa.bool_()))
                else:
                    arrays.append(pa.array(values, target.type))
            batches.append(pa.Table.from_arrays(arrays, schema=transport))
    finally:
        cursor.close()
    if not batches:
        return dataset.schema.empty_table()
    return pa.concat_tables(batches).cast(dataset.schema)


# Writing the day files ---------------------------------------------------------------


def _literal(path: Path) -> str:
    """A file name as a SQL string literal (DuckDB takes no parameter there)."""
    return "'" + str(path).replace("'", "''") + "'"


def _day_expression(dataset: Dataset) -> str:
    return f'CAST("{dataset.partition}" AS DATE)'


def _merge(con: duckdb.DuckDBPyConnection, folder: Path, dataset: Dataset, fresh: pa.Table) -> int:
    """Write ``fresh`` into the day files, replacing earlier copies of the same rows."""
    folder.mkdir(parents=True, exist_ok=True)
    con.register("fresh", fresh)
    try:
        day = _day_expression(dataset)
        key = f'"{dataset.key}"'
        found = con.execute(f"SELECT DISTINCT {day} FROM fresh").fetchall()
        days: set[date] = {row[0] for row in found}
        existing = sorted(folder.glob("*.parquet"))
        if existing and dataset.name in MUTABLE:
            files = [str(p) for p in existing]
            moved = con.execute(
                f"SELECT DISTINCT filename FROM read_parquet($files, filename = true)"
                f" WHERE {key} IN (SELECT {key} FROM fresh)",
                {"files": files},
            ).fetchall()
            days |= {date.fromisoformat(Path(name).stem) for (name,) in moved}
        columns = ", ".join(f'"{name}"' for name in dataset.schema.names)
        for one_day in sorted(days):
            path = folder / f"{one_day.isoformat()}.parquet"
            parts = [f"SELECT {columns} FROM fresh WHERE {day} = $day"]
            if path.exists():
                parts.append(
                    f"SELECT {columns} FROM read_parquet($path)"
                    f" WHERE {key} NOT IN (SELECT {key} FROM fresh)"
                )
            tmp = path.with_suffix(".parquet.tmp")
            params = {"day": one_day, "path": str(path)} if path.exists() else {"day": one_day}
            count = con.execute(
                f"SELECT count(*) FROM ({' UNION ALL '.join(parts)})", params
            ).fetchone()[0]
            if count == 0:
                path.unlink(missing_ok=True)
                continue
            con.execute(
                f'COPY ({" UNION ALL ".join(parts)} ORDER BY "{dataset.partition}")'
                f" TO {_literal(tmp)} (FORMAT parquet, COMPRESSION zstd)",
                params,
            )
            os.replace(tmp, path)
        return len(days)
    finally:
        con.unregister("fresh")


def open_views(
    root: Path, con: duckdb.DuckDBPyConnection | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection with one view per dataset over its day files (empty if none)."""
    con = con or connect()
    for dataset in DATASETS.values():
        files = sorted((root / dataset.name).glob("*.parquet"))
        if files:
            listing = ", ".join(_literal(p) for p in files)
            con.execute(
                f"CREATE OR REPLACE VIEW {dataset.name} AS SELECT * FROM read_parquet([{listing}])"
            )
        else:
            con.register(f"{dataset.name}__empty", dataset.schema.empty_table())
            con.execute(
                f"CREATE OR REPLACE VIEW {dataset.name} AS SELECT * FROM {dataset.name}__empty"
            )
    return con
