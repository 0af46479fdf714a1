"""The report's files: HXL CSV and JSON valid against the committed schema (libhxl),
GeoJSON, the PDF (A4, fonts embedded, nothing personal), the CLI's files and errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import hxl
import pytest
from hxl.input import InputOptions
from typer.testing import CliRunner

from corridor.cli import app
from corridor.db.session import Actor, unit_of_work
from corridor.operations.models import Operation
from corridor.reports import hxl as report_hxl
from corridor.reports import pdf, service
from tests.reports.conftest import DAY, ReportWorld

ADM1 = ["AD04", "AD07"]


def _draft(world: ReportWorld, first=DAY, last=None) -> dict:
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        operation = session.get(Operation, world.operation.id)
        return service.draft(
            session, operation=operation, period=service.period(session, first, last)
        )


def _some_figures(world: ReportWorld) -> None:
    world.headcount(world.north_gate, DAY, 9, "outbound", female_18_59=30, male_0_4=2, injured=1)
    world.headcount(world.south_gate, DAY, 10, "inbound", male_18_59=12)
    world.distribution(DAY, 10, people=8, **{"FOOD-PARCEL": 8})
    world.consultations(DAY, trauma_injury=6, maternal=2)


def _validate(path: Path, selector: str | None = None) -> dict:
    schema = path.parent / "schema.csv"
    schema.write_text(report_hxl.schema_csv(ADM1))
    options = InputOptions(allow_local=True, selector=selector)
    return hxl.validation.validate(
        hxl.data(str(path), options), hxl.data(str(schema), InputOptions(allow_local=True))
    )


@pytest.mark.db
@pytest.mark.parametrize("with_data", [True, False], ids=["figures", "empty-day"])
def test_hxl_csv_and_json_pass_the_committed_schema(
    world: ReportWorld, tmp_path: Path, with_data: bool
) -> None:
    if with_data:
        _some_figures(world)
    content = _draft(world)
    (tmp_path / "sitrep.csv").write_text(report_hxl.to_csv(content))
    (tmp_path / "sitrep.json").write_bytes(report_hxl.to_json(content))
    for name, selector in (("sitrep.csv", None), ("sitrep.json", "data")):
        report = _validate(tmp_path / name, selector)
        assert report["is_valid"], report["issues"]
    rows = list(csv.reader(io.StringIO(report_hxl.to_csv(content))))
    assert rows[1] == list(report_hxl.TAGS)
    assert "#value" not in rows[1]
    by_tag = [dict(zip(rows[1], r, strict=True)) for r in rows[2:]]
    if with_data:
        small = [r for r in by_tag if r["#meta+suppressed"] == "yes"]
        assert small and all(r["#affected+crossed"] == "" and r["#output+num"] == "" for r in small)
        assert {r["#adm1+code"] for r in by_tag} - {""} <= set(ADM1)
    else:
        crossed = [r for r in by_tag if r["#indicator+code"] == "crossed"]
        assert crossed and all(r["#affected+crossed"] == "0" for r in crossed)


@pytest.mark.db
@pytest.mark.parametrize(
    "break_it",
    [
        lambda row: row.__setitem__("#affected+crossed", "-3"),
        lambda row: row.__setitem__("#date", "20/11/2026"),
        lambda row: row.__setitem__("#adm1+code", "AD99"),
        lambda row: row.__setitem__("#indicator+code", "made_up"),
    ],
    ids=["negative-count", "date-format", "unknown-pcode", "unknown-indicator"],
)
def test_the_schema_refuses_broken_files(world: ReportWorld, tmp_path: Path, break_it) -> None:
    _some_figures(world)
    rows = list(csv.reader(io.StringIO(report_hxl.to_csv(_draft(world)))))
    tags = rows[1]
    first = next(
        dict(zip(tags, r, strict=True)) for r in rows[2:] if r[tags.index("#affected+crossed")]
    )
    break_it(first)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([rows[0], tags, [first[t] for t in tags]])
    (tmp_path / "broken.csv").write_text(out.getvalue())
    assert not _validate(tmp_path / "broken.csv")["is_valid"]


@pytest.mark.db
def test_geojson_has_the_map_layers(world: ReportWorld) -> None:
    content = _draft(world)
    collection = json.loads(report_hxl.to_geojson(content))
    layers = {f["properties"]["layer"] for f in collection["features"]}
    assert {"corridors", "checkpoints", "aid_points", "area"} <= layers


@pytest.mark.db
def test_the_pdf_is_a4_with_arabic_embedded_and_no_personal_data(
    world: ReportWorld, tmp_path: Path
) -> None:
    _some_figures(world)
    content = _draft(world)
    path = tmp_path / "sitrep.pdf"
    path.write_bytes(pdf.sitrep_pdf(content, version=1))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89" in info  # A4 in points
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    assert "Amiri" in fonts.stdout and " yes " in fonts.stdout  # embedded
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Situation report" in text and "Test operation" in text and str(DAY) in text
    assert "OpenStreetMap" in text  # the map's attribution
    assert "<5" in text  # a small count, withheld
    assert any("\u0600" <= ch <= "\u06ff" for ch in text)  # area names in Arabic
    # The Arabic PDF too.
    arabic = tmp_path / "sitrep-ar.pdf"
    arabic.write_bytes(pdf.sitrep_pdf(content, language="ar"))
    text_ar = subprocess.run(
        ["pdftotext", str(arabic), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert sum("\u0600" <= ch <= "\u06ff" for ch in text_ar) > 100


@pytest.mark.db
def test_cli_writes_the_four_files_and_refuses_bad_input(
    world: ReportWorld, tmp_path: Path
) -> None:
    _some_figures(world)
    runner = CliRunner()
    env = {
        "CORRIDOR_DATA_DIR": str(world.runtime.settings.data_dir),
        "CORRIDOR_DATABASE_URL": world.runtime.settings.effective_database_url,
    }
    slug = world.operation.slug
    result = runner.invoke(
        app,
        ["report", "sitrep", "--operation", slug, "--date", str(DAY), "--out", str(tmp_path)],
        env=env,
    )
    assert result.exit_code == 0, result.output
    for suffix in ("pdf", "csv", "json", "geojson"):
        assert (tmp_path / f"sitrep-{slug}-{DAY}.{suffix}").stat().st_size > 0
    for args, message in (
        (["--operation", "nowhere", "--date", str(DAY)], "--operation"),
        (["--operation", slug, "--date", "2026-02-30"], "--date"),
        (["--operation", slug, "--from", "2026-01-01", "--to", "2026-12-01"], "--to"),
        (["--operation", slug], "--date"),
    ):
        bad = runner.invoke(app, ["report", "sitrep", *args, "--out", str(tmp_path / "x")], env=env)
        assert bad.exit_code == 2, bad.output
        assert bad.output.strip().startswith(f"error: {message}"), bad.output
        assert len(bad.output.strip().splitlines()) == 1
        assert not (tmp_path / "x").exists()


@pytest.mark.db
def test_no_personal_data_reaches_a_report(world: ReportWorld, tmp_path: Path) -> None:
    """An incident's description and source, a hazard's note and a status change's
    reason may name people: none of them is in any file of the report."""
    from corridor.operations.models import CorridorStatusChange
    from corridor.routing.models import Hazard, HazardKind, Incident
    from tests.reports.conftest import local

    secret = "Rami Nabil Al-Khoury"
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        session.add(
            Incident(
                operation_id=world.operation.id,
                occurred_at=local(DAY, 11),
                lon=1.5,
                lat=42.5,
                corridor_id=world.north,
                kind=HazardKind.SHELLING,
                injured=2,
                source=secret,
                description=f"reported by {secret}",
            )
        )
        session.add(
            Hazard(
                operation_id=world.operation.id,
                name="Shelling near the bridge",
                kind=HazardKind.SHELLING,
                geometry={"type": "Point", "coordinates": [1.5, 42.5]},
                effective_geometry={"type": "Point", "coordinates": [1.5, 42.5]},
                valid_from=local(DAY, 12),
                note=f"seen by {secret}",
                source=secret,
            )
        )
        session.add(
            CorridorStatusChange(
                corridor_id=world.south,
                operation_id=world.operation.id,
                from_status="open",
                to_status="suspended",
                reason=f"asked by {secret}",
                changed_at=local(DAY, 13),
            )
        )
    content = _draft(world)
    assert [i["kind"] for i in content["incidents"]] == ["shelling"]
    assert content["corridors"][1]["changes"][-1]["to"] == "suspended"
    path = tmp_path / "sitrep.pdf"
    path.write_bytes(pdf.sitrep_pdf(content))
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for published in (
        json.dumps(content, ensure_ascii=False),
        report_hxl.to_csv(content),
        report_hxl.to_json(content).decode(),
        report_hxl.to_geojson(content).decode(),
        text,
    ):
        assert "Rami" not in published and "Khoury" not in published
