"""The scorer's candidate filter finds every pair the blocking rules would."""

from __future__ import annotations

from splink import Linker

from corridor.linkage import model
from corridor.linkage.engines import duckdb_api
from corridor.linkage.features import row_features
from corridor.linkage.matching import SEARCH_RULES, Scorer
from corridor.linkage.synthetic import generate
from corridor.linkage.table import to_arrow


def _pairs(table) -> set[tuple[str, str]]:
    return {
        tuple(sorted((str(left), str(right))))
        for left, right in zip(
            table.column("unique_id_l").to_pylist(),
            table.column("unique_id_r").to_pylist(),
            strict=True,
        )
    }


def test_candidates_lose_no_pair_that_scoring_the_whole_table_finds() -> None:
    rows = [row_features(row)[0] for row in generate(600, seed=21).rows]
    registered, queries = to_arrow(rows[:-15]), to_arrow(rows[-15:])
    starting = model.settings(prior_match=model._prior(len(rows)))
    trained = model.with_priors(starting, starting)
    for rules in ([], SEARCH_RULES):
        scorer = Scorer(registered, trained, rules=rules)
        assert scorer.candidates(queries).num_rows < registered.num_rows  # it does filter
        api = duckdb_api()
        whole = Linker(api.register(registered), trained).inference.predict_between(
            api.register(registered),
            api.register(queries),
            blocking_rules_to_generate_predictions=scorer.rules,
            threshold_match_probability=0.01,
        )
        expected = _pairs(whole.as_pyarrow_table())
        assert expected, "the queries should have candidates"
        assert _pairs(scorer.score(queries)) == expected
