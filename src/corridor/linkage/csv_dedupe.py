"""Deduplicate a CSV of registrations: the ``corridor linkage dedupe`` command.

Input columns (names in any script, blank allowed): ``record_id, given_name,
father_name, grandfather_name, family_name, sex, birth_date, origin``, and when
present ``mother_name``, ``phone``, ``id_number`` (a document number),
``age_estimate``, ``registered_on``; other columns are ignored. Output:
``record_id, cluster_id, match_probability``.

A row that can't be compared (no names at all, an impossible date) is
reported, one line with its line number, and kept as a person of its own. A
file without the required columns is refused before anything is written.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from corridor.linkage.features import row_features
from corridor.linkage.model import Linked, dedupe
from corridor.linkage.table import to_arrow

REQUIRED = (
    "record_id",
    "given_name",
    "father_name",
    "grandfather_name",
    "family_name",
    "sex",
    "birth_date",
    "origin",
)
OPTIONAL = ("mother_name", "phone", "id_number", "age_estimate", "registered_on")
OUTPUT = ("record_id", "cluster_id", "match_probability")


class DedupeInputError(ValueError):
    """The file as a whole can't be used (exit code 2)."""


@dataclass
class Prepared:
    """Rows ready to link, and what was wrong with the others."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # every record id, in file order
    warnings: list[str] = field(default_factory=list)


def read_records(handle: TextIO) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; the header is checked first."""
    reader = csv.DictReader(handle)
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise DedupeInputError(f"the input has no column {', '.join(missing)}")
    reader.fieldnames = header
    for row in reader:
        yield reader.line_num, {key: (value or "").strip() for key, value in row.items() if key}


def prepare(handle: TextIO, progress: Callable[[int], None] | None = None) -> Prepared:
    prepared = Prepared()
    seen: set[str] = set()
    for line, row in read_records(handle):
        record_id = row.get("record_id", "")
        if not record_id:
            prepared.warnings.append(f"line {line}: record_id: is blank; the row is skipped")
            continue
        if record_id in seen:
            raise DedupeInputError(f"line {line}: record_id: {record_id!r} appears twice")
        seen.add(record_id)
        prepared.order.append(record_id)
        features, problems = row_features(row)
        if problems:
            for problem in problems:
                prepared.warnings.append(
                    f"line {line}: {problem.field}: {problem.message}; kept as a person of its own"
                )
            continue
        prepared.rows.append(features)
        if progress:
            progress(1)
    return prepared


def write_clusters(handle: TextIO, order: list[str], linked: Linked | None) -> None:
    writer = csv.writer(handle)
    writer.writerow(OUTPUT)
    for record_id in order:
        cluster = linked.clusters.get(record_id, record_id) if linked else record_id
        best = linked.best.get(record_id) if linked else None
        writer.writerow([record_id, cluster, "" if best is None else f"{best:.4f}"])


def run(input_path: Path, output_path: Path, *, engine: str = "duckdb") -> Prepared:
    """Read, link and write; raises DedupeInputError when the input can't be used."""
    from rich.progress import Progress

    api = None
    if engine == "spark":
        from corridor.linkage.engines import spark_api

        try:
            api = spark_api()
        except RuntimeError as error:
            raise DedupeInputError(f"--engine: {error}") from None
    with Progress(transient=True, console=_stderr_console()) as bar:
        reading = bar.add_task("reading registrations", total=None)
        with input_path.open(encoding="utf-8-sig", newline="") as handle:
            prepared = prepare(handle, lambda n: bar.advance(reading, n))
        bar.update(reading, total=len(prepared.rows), completed=len(prepared.rows))
        linking = bar.add_task("linking", total=None)
        linked = (
            dedupe(
                to_arrow(prepared.rows),
                ids=[row["unique_id"] for row in prepared.rows],
                engine=engine,
                db_api=api,
            )
            if len(prepared.rows) > 1
            else None
        )
        bar.update(linking, total=1, completed=1)
    with output_path.open("w", encoding="utf-8", newline="") as handle:
        write_clusters(handle, prepared.order, linked)
    return prepared


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(file=sys.stderr)
