"""The same model on Spark: parameters trained on DuckDB give the same persons.

Runs in CI's own Spark stage (marker ``spark``), on a local session
(``local[1]``, 2 shuffle partitions), with the ``[spark]`` extra installed.
"""

from __future__ import annotations

import pytest

from corridor.linkage import model
from corridor.linkage.engines import spark_api
from corridor.linkage.synthetic import generate
from corridor.linkage.table import to_arrow
from tests.linkage.test_model import _features

pytestmark = pytest.mark.spark


def test_spark_applies_the_duckdb_parameters_and_finds_the_same_persons() -> None:
    rows = generate(200, seed=21).rows
    features = _features(rows)
    ids = [row["unique_id"] for row in features]
    on_duckdb = model.dedupe(to_arrow(features), ids=ids)
    assert on_duckdb.model is not None
    assert len(set(on_duckdb.clusters.values())) < len(ids)  # some duplicates were found
    on_spark = model.dedupe(
        to_arrow(features),
        ids=ids,
        engine="spark",
        db_api=spark_api(),
        model=model.transfer(on_duckdb.model, "spark"),
    )
    assert on_spark.clusters == on_duckdb.clusters
    for record, probability in on_duckdb.best.items():
        assert on_spark.best[record] == pytest.approx(probability, abs=1e-6)


def test_the_cli_runs_on_spark(tmp_path) -> None:
    import csv

    from typer.testing import CliRunner

    from corridor.cli import app

    source = tmp_path / "in.csv"
    generate(80, seed=3).write(source)
    outputs = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / f"{engine}.csv"
        result = CliRunner().invoke(
            app,
            ["linkage", "dedupe", "--input", str(source), "--output", str(out), "--engine", engine],
        )
        assert result.exit_code == 0, result.output
        with out.open(encoding="utf-8") as handle:
            outputs[engine] = {
                row["record_id"]: row["cluster_id"] for row in csv.DictReader(handle)
            }
    assert len(outputs["spark"]) == 80
    assert outputs["spark"] == outputs["duckdb"]
