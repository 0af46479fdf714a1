"""``corridor linkage dedupe``: the CSV contract, bad rows, bad files."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from corridor.cli import app
from corridor.linkage.synthetic import generate

HEADER = "record_id,given_name,father_name,grandfather_name,family_name,sex,birth_date,origin"


def _run(*args: str):
    return CliRunner().invoke(app, ["linkage", "dedupe", *args])


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_duplicates_across_scripts_get_one_cluster(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    generate(300, seed=5).write(source)
    with source.open("a", encoding="utf-8") as handle:
        # record_id, given, father, grandfather, family, mother, sex, birth_date,
        # age_estimate, registered_on, origin, true_person, true_household
        handle.write("A1,خالد,عبد الرحمن,,الحلبي,,m,1987-03-14,,,SY02,,\n")
        handle.write("A2,Khaled,Abdel Rahman,,Al-Halabi,,M,1987,,,SY02,,\n")
    out = tmp_path / "out.csv"
    result = _run("--input", str(source), "--output", str(out))
    assert result.exit_code == 0, result.output
    rows = _read(out)
    assert list(rows[0]) == ["record_id", "cluster_id", "match_probability"]
    assert len(rows) == 302
    by_id = {row["record_id"]: row for row in rows}
    assert by_id["A1"]["cluster_id"] == by_id["A2"]["cluster_id"] == "A1"
    assert float(by_id["A2"]["match_probability"]) >= 0.9


def test_bad_rows_are_reported_with_their_line_and_kept_alone(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        f"{HEADER},mother_name,notes\n"
        "1,Ali,Omar,,Halabi,m,1990,SY02,,anything\n"
        "2,,,,,f,1990,SY02,,\n"
        "3,Ali,Omar,,Halabi,m,1990-13-01,SY02,,\n"
        "4,علي,عمر,,الحلبي,,١٩٩٠,SY02,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = _run("--input", str(source), "--output", str(out))
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2
    assert "line 3" in warnings[0] and "names" in warnings[0]
    assert "line 4" in warnings[1] and "birth_date" in warnings[1]
    clusters = {row["record_id"]: row["cluster_id"] for row in _read(out)}
    assert clusters["2"] == "2" and clusters["3"] == "3"
    assert set(clusters) == {"1", "2", "3", "4"}


def test_a_file_without_the_required_columns_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("record_id,given_name,family_name\n1,Ali,Halabi\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = _run("--input", str(source), "--output", str(out))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "father_name" in lines[0] and "birth_date" in lines[0]
    assert not out.exists()


def test_a_repeated_record_id_exits_2(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(f"{HEADER}\n1,Ali,,,,m,,\n1,Omar,,,,m,,\n", encoding="utf-8")
    result = _run("--input", str(source), "--output", str(tmp_path / "out.csv"))
    assert result.exit_code == 2
    assert "line 3" in result.stderr and "record_id" in result.stderr


def test_a_missing_input_file_or_unknown_engine_exits_2(tmp_path: Path) -> None:
    result = _run("--input", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "o.csv"))
    assert result.exit_code == 2 and "--input" in result.stderr
    source = tmp_path / "in.csv"
    source.write_text(f"{HEADER}\n", encoding="utf-8")
    result = _run("--input", str(source), "--output", str(tmp_path / "o.csv"), "--engine", "x")
    assert result.exit_code == 2 and "--engine" in result.stderr


def test_a_document_number_vouches_for_a_record_but_not_for_another_given_name(
    tmp_path: Path,
) -> None:
    """Sharing a document number merges a record whose birth year was mistyped;
    twins, whose numbers are one apart, stay two people."""
    source = tmp_path / "in.csv"
    rows = [
        "D1,Khaled,Abdel Rahman,,Al-Halabi,m,1987,SY02,N-4401237",
        "D2,خالد,عبد الرحمن,,الحلبي,m,1978,SY02,N 4401237",  # the year's digits swapped
        "T1,Hasan,Omar,,Al-Idlibi,m,2001-05-02,SY07,7120051",
        "T2,Husam,Omar,,Al-Idlibi,m,2001-05-02,SY07,7120052",  # his twin brother
    ]
    background = tmp_path / "background.csv"
    generate(300, seed=6).write(background)
    with background.open(encoding="utf-8", newline="") as handle:
        others = [
            ",".join(row[c] for c in HEADER.split(",")) + "," for row in csv.DictReader(handle)
        ]
    source.write_text(
        f"{HEADER},id_number\n" + "\n".join([*others, *rows]) + "\n", encoding="utf-8"
    )
    out = tmp_path / "out.csv"
    result = _run("--input", str(source), "--output", str(out))
    assert result.exit_code == 0, result.output
    by_id = {row["record_id"]: row["cluster_id"] for row in _read(out)}
    assert by_id["D1"] == by_id["D2"] == "D1"
    assert by_id["T1"] != by_id["T2"]
