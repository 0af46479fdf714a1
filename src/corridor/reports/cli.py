"""``corridor report``: situation reports as files, and the analytics copy.

Dates are the operation's local days. ``sitrep`` writes the PDF, the HXL CSV
and JSON, and the GeoJSON of the map layers into ``--out``; with
``--publish`` the report is also frozen as a published version.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from corridor.cli_support import fail, require_current_schema, runtime
from corridor.errors import CorridorError

report_app = typer.Typer(
    help="Situation reports for partners (PDF, HXL CSV and JSON, GeoJSON).",
    no_args_is_help=True,
)
console = Console(stderr=True)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)")


@report_app.command("sitrep")
def sitrep_command(
    operation: Annotated[str, typer.Option("--operation", help="Operation slug.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the files into.")],
    day: Annotated[
        str | None, typer.Option("--date", help="The day to report (YYYY-MM-DD, local).")
    ] = None,
    first: Annotated[
        str | None, typer.Option("--from", help="First day of a period (with --to).")
    ] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last day of a period.")] = None,
    language: Annotated[str, typer.Option("--language", help="en or ar (the PDF).")] = "en",
    publish: Annotated[
        bool, typer.Option("--publish", help="Also publish it (a frozen version).")
    ] = False,
) -> None:
    """Write sitrep-<slug>-<date>.pdf, .csv, .json and .geojson for a day or a period."""
    from corridor.db.session import Actor, unit_of_work
    from corridor.operations.models import Operation
    from corridor.reports import hxl, pdf, service

    one_day, start, end = _day(day, "--date"), _day(first, "--from"), _day(last, "--to")
    if one_day is None and start is None:
        fail("--date: give the day to report, or a period with --from and --to")
    if one_day is not None and (start is not None or end is not None):
        fail("--date: give either --date or --from/--to, not both")
    if start is not None and end is None:
        fail("--to: a period needs its last day")
    if end is not None and start is None:
        fail("--from: a period needs its first day")
    if language not in ("en", "ar"):
        fail(f"--language: {language!r} is not en or ar")
    if out.exists() and not out.is_dir():
        fail(f"--out: {out} is not a folder")
    rt = runtime()
    require_current_schema(rt)
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    try:
        with unit_of_work(rt.factory, Actor(label="cli")) as session:
            found = session.query(Operation).filter_by(slug=operation).one_or_none()
            if found is None:
                fail(f"--operation: no operation {operation!r}")
            period = service.period(session, one_day or start, one_day or end)  # type: ignore[arg-type]
            with Progress(*columns, console=console, transient=True) as bar:
                task = bar.add_task("bringing the analytics copy up to date", total=3)
                content = service.draft(session, operation=found, period=period)
                version = None
                if publish:
                    bar.update(task, advance=1, description="publishing")
                    row, _new = service.publish(
                        session,
                        operation=found,
                        period=period,
                        published_by_id=None,
                        content=content,
                    )
                    content, version = row.content, row.version
                bar.update(task, completed=2, description="printing the PDF")
                document = pdf.sitrep_pdf(content, language=language, version=version)
                bar.update(task, completed=3, description="writing")
    except CorridorError as exc:
        problem = exc.problems[0] if exc.problems else None
        fail(f"--{problem.field}: {problem.message}" if problem else exc.detail)
    out.mkdir(parents=True, exist_ok=True)
    stem = service.file_stem(operation, period.first, period.last)
    files = {
        ".pdf": document,
        ".csv": hxl.to_csv(content).encode("utf-8"),
        ".json": hxl.to_json(content),
        ".geojson": hxl.to_geojson(content),
    }
    for suffix, data in files.items():
        path = out / f"{stem}{suffix}"
        path.write_bytes(data)
        typer.echo(str(path))
    if version:
        typer.echo(f"published as version {version}")


@report_app.command("refresh")
def refresh_command(
    operation: Annotated[str, typer.Option("--operation", help="Operation slug.")],
) -> None:
    """Bring the operation's analytics copy up to date (and revise published reports)."""
    from corridor.db.session import Actor, unit_of_work
    from corridor.operations.models import Operation
    from corridor.reports import service

    rt = runtime()
    require_current_schema(rt)
    with unit_of_work(rt.factory, Actor(label="cli")) as session:
        found = session.query(Operation).filter_by(slug=operation).one_or_none()
        if found is None:
            fail(f"--operation: no operation {operation!r}")
        with console.status("copying the rows changed since the last refresh"):
            result = service.refresh_and_revise(session, operation=found)
    for name, rows in result["rows"].items():
        typer.echo(f"{name}: {rows:,} rows copied")
    for revised in result["revised"]:
        typer.echo(f"revised: {revised['first_day']} version {revised['version']}")
