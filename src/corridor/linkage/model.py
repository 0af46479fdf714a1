"""The Splink model over registrations: blocking, comparisons, training, clusters.

Why not Splink's textbook set-up: it blocks and compares raw strings, so
``محمد`` and ``Mohamed`` never meet and ``Abdel Rahman``/``Abd al-Rahman``
score as different. Here blocking runs on the name skeletons of
:mod:`corridor.linkage.names` (several rules, so one typo or a swapped name
order does not lose a pair), and each name is compared by its keys first, by
string similarity of its skeleton second. Dates of birth are compared as
overlapping ranges, not as equal strings.

Parameters are trained by expectation maximisation on the operation's own
records. Every level starts from a prior (``m_probability``) that reflects
registrations in the field, so a small operation, where EM has too little to
learn from, still gets sensible weights.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from corridor.linkage.engines import SqlDialect, dialect_of

AUTO_MERGE_PROBABILITY = 0.5  # above: merged without review (when nothing contradicts)
REVIEW_PROBABILITY = 0.2  # between the two, or contradicted: a person decides
MIN_RECORDS_FOR_EM = 500
U_SAMPLING_SEED = 7
log = logging.getLogger(__name__)


# Comparisons ------------------------------------------------------------------------


def _level(
    sql: str, label: str, m: float | None = None, *, null: bool = False, u: float | None = None
) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if null:
        level["is_null_level"] = True
    if m is not None:
        level["m_probability"] = m
    if u is not None:
        level["u_probability"] = u  # kept when random pairs hold too few to estimate it
    return level


def flat_near(sql: SqlDialect, left: str, right: str) -> str:
    """The left record's name ``left`` and the right record's name ``right``, read as
    one word (``{name}_flat``), within one edit of each other but not the same
    skeleton twice: a typo across scripts, or one that split a name.

    Hassan and Hussein share their skeleton (they differ only in vowels) and stay
    out of this level; short skeletons (two consonants) are too often one edit
    apart by chance to count, and so are two consonants swapped (Mahdi/Ahmad).
    """
    a, b = f"{left}_flat_l", f"{right}_flat_r"
    return (
        f"(({a} <> {b} OR {left}_bk_l <> {right}_bk_r) "
        f"AND least(length({a}), length({b})) >= 3 "
        f"AND {sql.levenshtein}({a}, {b}) <= 1)"
    )


def resembles(sql: SqlDialect, left: str, right: str, *, loosely: bool = False) -> str:
    """For telling a swap: the same keys, one typo apart or the same consonants;
    ``loosely`` also within one edit read as one word."""
    strict = (
        f"{sql.shares(f'{left}_keys_l', f'{right}_keys_r')} "
        f"OR {sql.edit_distance}({left}_txt_l, {right}_txt_r) <= 1 "
        f"OR {left}_flat_l = {right}_flat_r"
    )
    return f"({strict} OR {flat_near(sql, left, right)})" if loosely else f"({strict})"


def name_comparison(
    name: str, sql: SqlDialect, *, swapped_with: str, counts_swap: bool
) -> dict[str, Any]:
    """Same spelling > same keys (any script) > one typo apart > one edit apart read
    as one word > similar skeleton > else.

    A record written family name first agrees with another "swapped"; the given
    name's comparison counts that once, and the family name's comparison stays
    neutral on it (counting it twice would be counting one fact twice).
    """
    keys_l, keys_r = f"{name}_keys_l", f"{name}_keys_r"
    # Both crossed names alike, one of them at most a typo apart.
    swapped = (
        f"(({resembles(sql, name, swapped_with)} "
        f"AND {resembles(sql, swapped_with, name, loosely=True)}) "
        f"OR ({resembles(sql, name, swapped_with, loosely=True)} "
        f"AND {resembles(sql, swapped_with, name)}))"
    )
    levels = [_level(f"{keys_l} IS NULL OR {keys_r} IS NULL", "missing", null=True)]
    if not counts_swap:
        levels.append(
            _level(f"NOT {sql.shares(keys_l, keys_r)} AND {swapped}", "swapped", null=True)
        )
    levels += [
        _level(f"{name}_txt_l = {name}_txt_r", "same spelling", 0.55),
        _level(sql.shares(keys_l, keys_r), "same name keys", 0.3),
    ]
    if counts_swap:
        # Lists written family name first are common in the field.
        levels.append(_level(swapped, f"swapped with {swapped_with}", 0.1))
    levels += [
        _level(f"{sql.edit_distance}({name}_txt_l, {name}_txt_r) <= 1", "one typo apart", 0.04),
        _level(flat_near(sql, name, name), "one edit apart as one word", 0.03),
        # Vowels apart: another spelling, or another name (Hassan/Hussein).
        _level(f"{name}_bk_l = {name}_bk_r", "same skeleton", 0.03),
        _level(sql.close(f"{name}_lat_l", f"{name}_lat_r"), "similar skeleton", 0.02),
        _level("ELSE", "different", 0.02 if counts_swap else 0.06),
    ]
    return {
        "output_column_name": name,
        "comparison_description": f"{name} name",
        "comparison_levels": levels,
    }


def parents_comparison(sql: SqlDialect) -> dict[str, Any]:
    """Father, grandfather and mother as one piece of evidence, not three.

    Brothers and sisters share all three; counted separately (Splink assumes the
    comparisons independent) they outweigh a different given name and merge
    siblings into one person. Counted once, they say "same family", and the
    given name and the date of birth decide which member.
    """

    def agree(name: str) -> str:
        return sql.shares(f"{name}_keys_l", f"{name}_keys_r")

    similar = f"(father_bk_l = father_bk_r OR {sql.close('father_lat_l', 'father_lat_r')})"
    typo = (
        f"({sql.edit_distance}(father_txt_l, father_txt_r) <= 1 "
        f"OR {flat_near(sql, 'father', 'father')})"
    )
    return {
        "output_column_name": "parents",
        "comparison_description": "father's name, with grandfather's and mother's",
        "comparison_levels": [
            _level("father_keys_l IS NULL OR father_keys_r IS NULL", "missing", null=True),
            _level(
                f"{agree('father')} AND ({agree('grandfather')} OR {agree('mother')})",
                "father and grandfather or mother",
                0.55,
            ),
            _level(agree("father"), "father", 0.25),
            _level(
                f"{typo} AND ({agree('grandfather')} OR {agree('mother')})",
                "father one typo apart, grandfather or mother",
                0.05,
            ),
            _level(typo, "father one typo apart", 0.05),
            # A father's name mistyped beyond a typo, the rest of the family right.
            _level(
                f"{similar} AND ({agree('grandfather')} OR {agree('mother')})",
                "father similar, grandfather or mother",
                0.03,
            ),
            _level(similar, "father similar", 0.03),
            _level("ELSE", "different", 0.06),
        ],
    }


def birth_comparison() -> dict[str, Any]:
    """Ranges of uncertainty: same day > same month > same year > overlap > near > else."""
    overlap = "dob_lo_l <= dob_hi_r AND dob_lo_r <= dob_hi_l"
    return {
        "output_column_name": "birth",
        "comparison_description": "date of birth as a range",
        "comparison_levels": [
            _level("dob_lo_l IS NULL OR dob_lo_r IS NULL", "missing", null=True),
            _level(
                "dob_lo_l = dob_hi_l AND dob_lo_r = dob_hi_r AND dob_lo_l = dob_lo_r",
                "same day",
                0.2,
            ),
            _level(
                f"{overlap} AND dob_hi_l - dob_lo_l <= 31 AND dob_hi_r - dob_lo_r <= 31",
                "same month",
                0.1,
            ),
            _level(
                f"{overlap} AND dob_hi_l - dob_lo_l <= 366 AND dob_hi_r - dob_lo_r <= 366",
                "same year",
                0.45,
            ),
            _level(overlap, "ranges overlap", 0.15),
            _level(
                "greatest(dob_lo_l - dob_hi_r, dob_lo_r - dob_hi_l) <= 730", "within 2 years", 0.07
            ),
            _level("ELSE", "different", 0.03),
        ],
    }


def origin_comparison() -> dict[str, Any]:
    """Place of origin: the same place > the same governorate > else.

    The governorate comes from the gazetteer (:mod:`corridor.linkage.places`),
    so a P-code and a place name in either script compare; a P-code and a name
    the gazetteer doesn't know can't be compared, and say nothing.
    """
    unknown = (
        "origin_l IS NULL OR origin_r IS NULL OR ("
        "(origin_area_l IS NULL OR origin_area_r IS NULL) "
        "AND substr(origin_l, 1, 2) <> substr(origin_r, 1, 2))"
    )
    return {
        "output_column_name": "origin",
        "comparison_levels": [
            _level(unknown, "missing, or a P-code against an unknown name", null=True),
            # A governorate's code and a place in it agree as far as the code says.
            _level(
                "origin_l = origin_r OR (origin_area_l = origin_area_r "
                "AND (origin_l = 'A:' || origin_area_l OR origin_r = 'A:' || origin_area_r))",
                "same",
                0.8,
            ),
            _level("origin_area_l = origin_area_r", "same governorate", 0.15),
            _level("ELSE", "different", 0.05),
        ],
    }


def phone_comparison(sql: SqlDialect) -> dict[str, Any]:
    """Same number > one digit mistyped > else. A household shares one phone, so
    a shared number says "same household" as much as "same person"."""
    return {
        "output_column_name": "phone",
        "comparison_levels": [
            _level("phone_l IS NULL OR phone_r IS NULL", "missing", null=True),
            _level("phone_l = phone_r", "same", 0.75, u=1e-4),
            _level(f"{sql.edit_distance}(phone_l, phone_r) <= 1", "one digit apart", 0.1, u=1e-3),
            _level("ELSE", "different", 0.15, u=0.999),
        ],
    }


def document_comparison(sql: SqlDialect) -> dict[str, Any]:
    """A document number (ID card, passport, case number): same > one character
    mistyped > else. Unlike a phone, it belongs to one person."""
    return {
        "output_column_name": "document",
        "comparison_levels": [
            _level("id_number_l IS NULL OR id_number_r IS NULL", "missing", null=True),
            _level("id_number_l = id_number_r", "same", 0.85, u=1e-6),
            _level(
                f"{sql.edit_distance}(id_number_l, id_number_r) <= 1",
                "one character apart",
                0.1,
                u=1e-4,
            ),
            _level("ELSE", "different", 0.05, u=0.9999),
        ],
    }


def exact_comparison(column: str, m_same: float = 0.95) -> dict[str, Any]:
    return {
        "output_column_name": column,
        "comparison_levels": [
            _level(f"{column}_l IS NULL OR {column}_r IS NULL", "missing", null=True),
            _level(f"{column}_l = {column}_r", "same", m_same),
            _level("ELSE", "different", round(1 - m_same, 4)),
        ],
    }


# Pairs of columns that must agree for two records to be compared at all. Each
# rule needs two facts, so a typo or a swapped name order in one field leaves
# other rules that still bring the pair together (measured on the synthetic set:
# 98.7% of true pairs are generated). "swap" rules read one record's given name
# as the other's family name (a list written family name first).
_SAME = [
    ("given_bk", "family_bk"),
    ("given_bk", "father_bk"),
    ("father_bk", "family_bk"),
    ("given_bk", "grandfather_bk"),
    ("father_bk", "grandfather_bk"),
    ("father_bk", "mother_bk"),
    ("given_bk", "birth_year"),
    ("family_bk", "birth_year"),
    ("father_bk", "birth_year"),
    ("grandfather_bk", "birth_year"),
]
_IDENTIFIERS = [
    "l.phone = r.phone",
    "l.id_number = r.id_number",
    # A date of birth to the day is nearly an identifier (year-only dates, the
    # most common, are left out: their blocks would be large).
    "l.dob_lo = r.dob_lo AND l.dob_hi = r.dob_hi AND l.dob_lo = l.dob_hi",
]
_SWAPPED = [
    "l.given_bk = r.family_bk AND l.family_bk = r.given_bk",
    "l.given_bk = r.family_bk AND l.father_bk = r.father_bk",
    "l.family_bk = r.given_bk AND l.father_bk = r.father_bk",
    "l.given_bk = r.family_bk AND l.birth_year = r.birth_year",
    "l.family_bk = r.given_bk AND l.birth_year = r.birth_year",
]


def blocking_rules() -> list[str]:
    same = [" AND ".join(f"l.{c} = r.{c}" for c in columns) for columns in _SAME]
    return [*same, *_SWAPPED, *_IDENTIFIERS]


IDENTIFIERS = {"phone": "phone", "document": "id_number"}  # comparison → column


def settings(
    engine: str = "duckdb",
    prior_match: float = 0.0005,
    identifiers: Iterable[str] = tuple(IDENTIFIERS),
) -> dict[str, Any]:
    """The model's settings; ``identifiers`` names the identifier comparisons the
    data has (EM can't estimate a comparison that is always missing: its m
    would fall to zero)."""
    sql = dialect_of(engine)
    wanted = set(identifiers)
    comparisons = [
        name_comparison("given", sql, swapped_with="family", counts_swap=True),
        parents_comparison(sql),
        name_comparison("family", sql, swapped_with="given", counts_swap=False),
        birth_comparison(),
        exact_comparison("sex", 0.98),
        *([phone_comparison(sql)] if "phone" in wanted else []),
        *([document_comparison(sql)] if "document" in wanted else []),
        origin_comparison(),
    ]
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior_match,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule, "sql_dialect": engine} for rule in blocking_rules()
        ],
        "comparisons": comparisons,
        "retain_intermediate_calculation_columns": True,  # per-comparison weights explain a match
        "retain_matching_columns": False,
    }


# Running ----------------------------------------------------------------------------


@dataclass
class Linked:
    """The outcome of one run."""

    clusters: dict[str, str]  # record id → cluster id (the smallest record id in it)
    best: dict[str, float]  # record id → probability of its best link
    review: list[tuple[str, str, float]] = field(default_factory=list)  # pairs to look at
    comparisons: int = 0  # scored pairs (all candidate pairs when counted)
    model: dict[str, Any] | None = None
    weights: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)  # why


def train(frame: Any, starting: dict[str, Any], records: int) -> dict[str, Any]:
    """u from random pairs; m by EM when there are enough records, priors otherwise."""
    from splink import Linker, block_on
    from splink.internals.exceptions import EMTrainingException

    linker = Linker(frame, starting)
    # A fixed seed: the same records give the same model, so a re-run moves no one.
    linker.training.estimate_u_using_random_sampling(
        max_pairs=min(2_000_000, records * 200), seed=U_SAMPLING_SEED
    )
    model = linker.misc.save_model_to_json()
    if records < MIN_RECORDS_FOR_EM:
        return model
    # EM learns "same person" only from blocks where siblings rarely meet: a given
    # name with a birth range, or a given name with a father's name. A session
    # does not estimate the comparisons whose columns its rule uses (Splink reads
    # the names), so the given name keeps its prior and every other comparison
    # is estimated at least once. Each session starts from the last good model: a
    # session that fails (EM drove a level's m to 0) leaves it as it was.
    for rule in (block_on("given_bk", "dob_lo"), block_on("given_bk", "father_bk")):
        linker = Linker(frame, model)
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, fix_probability_two_random_records_match=True
            )
        except (ValueError, EMTrainingException) as error:
            # EM drove a level's m to 0, or the rule found no pairs (no father's
            # names in this data): keep the estimates of the last good session.
            log.warning("an EM session kept the previous estimates: %s", str(error).splitlines()[0])
            continue
        model = linker.misc.save_model_to_json()
    return model


def dedupe(
    table: Any,
    *,
    ids: list[str],
    engine: str = "duckdb",
    db_api: Any = None,
    model: dict[str, Any] | None = None,
    auto_merge: float = AUTO_MERGE_PROBABILITY,
    review: float = REVIEW_PROBABILITY,
    count_comparisons: bool = False,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[frozenset[str]] = (),
) -> Linked:
    """Link the feature ``table`` (pyarrow, or a Spark frame) into persons."""
    from splink import Linker

    from corridor.linkage.engines import as_engine_table, duckdb_api, spark_api

    _quiet_splink()
    api = db_api or (spark_api() if engine == "spark" else duckdb_api())
    frame = api.register(as_engine_table(api, engine, table))
    if model is None:
        starting = settings(engine, prior_match=_prior(len(ids)), identifiers=_present(table))
        model = with_priors(train(frame, starting, len(ids)), starting)
    linker = Linker(frame, model)
    predictions = linker.inference.predict(threshold_match_probability=review)
    pairs = predictions.as_pyarrow_table()
    consistent = consistent_pairs(model, pairs)
    linked = link_pairs(
        ids,
        pairs.column("unique_id_l").to_pylist(),
        pairs.column("unique_id_r").to_pylist(),
        pairs.column("match_probability").to_pylist(),
        consistent,
        auto_merge=auto_merge,
        must_link=must_link,
        cannot_link=cannot_link,
    )
    to_review = {(left, right) for left, right, _p in linked.review}
    weights = {
        name.removeprefix("mw_"): pairs.column(name).to_pylist()
        for name in pairs.column_names
        if name.startswith("mw_")
    }
    for index, (left, right) in enumerate(
        zip(
            pairs.column("unique_id_l").to_pylist(),
            pairs.column("unique_id_r").to_pylist(),
            strict=True,
        )
    ):
        if (str(left), str(right)) in to_review:
            linked.weights[(str(left), str(right))] = {
                name: round(values[index] or 0.0, 2) for name, values in weights.items()
            }
    linked.model = linker.misc.save_model_to_json()
    if count_comparisons:
        from splink.blocking_analysis import count_comparisons_from_blocking_rules

        counted = count_comparisons_from_blocking_rules(
            frame,
            blocking_rules=blocking_rules(),
            link_type="dedupe_only",
            record_sample_proportion=1.0,
        )
        linked.comparisons = counted[-1]["cumulative_comparison_count"]
    return linked


M_FLOOR = 0.01

# Levels that contradict "same person" outright. A pair with one of them is never
# merged without a person looking at it, however strong the rest (unless an
# identifier agrees, see consistent_pairs). Fellegi-Sunter adds evidence up, so
# brothers and sisters, who agree on father, grandfather, mother, family name
# and place, outweigh one different given name; and two people who happen to
# share three common names outweigh birth years twenty years apart.
CONTRADICTIONS: dict[str, tuple[str, ...]] = {
    "given": ("similar skeleton", "different"),  # Dina/Nadia, Imad/Adi
    "parents": ("different",),
    "family": ("different",),
    "birth": ("different",),
    "sex": ("different",),
}
# Given names that only look alike (Lina/Leesa: a typo in a short name, or a
# sister) are not a contradiction when the births agree to the year: sisters
# are rarely born the same year, a mistyped record of one person always is.
# Measured on the synthetic set: 44 true pairs against 3 false ones.
NARROW_BIRTH = ("same day", "same month", "same year")
# A family name mistyped beyond recognition is not a contradiction when the
# given name, the father with the grandfather or mother, and the birth year all
# agree (12 true pairs against none on the synthetic set).
SAME_GIVEN = ("same spelling", "same name keys", "one typo apart")
SAME_PARENTS = ("father and grandfather or mother",)


def consistent_pairs(model: dict[str, Any], pairs: Any) -> list[bool]:
    """For each scored pair (an Arrow table of predictions with ``mw_`` columns):
    True when no comparison sits at a contradicting level.

    The same document number lifts every contradiction. The same phone number,
    or a document number one character apart, lifts every one but the given
    name's: a household shares its phone, so it can't tell brothers apart. The
    level is read back from its match weight: two levels of one comparison with
    the same weight to 1e-9 would be
    indistinguishable, and don't occur (m and u are estimated per level).
    """

    def at(comparison: str, labels: tuple[str, ...]) -> list[bool]:
        if f"mw_{comparison}" not in pairs.column_names:
            return [False] * pairs.num_rows  # not in this model (no such column in the data)
        weights = [level_weight(model, comparison, label) for label in labels]
        return [
            value is not None and any(math.isclose(value, w, abs_tol=1e-9) for w in weights)
            for value in pairs.column(f"mw_{comparison}").to_pylist()
        ]

    document = at("document", ("same",))
    document_near = at("document", ("one character apart",))
    # A phone number, or a document number with one character mistyped: they
    # lift every contradiction but the given name's (twins' documents are
    # often numbered one apart, and a household shares its phone).
    phone = [a or b for a, b in zip(at("phone", ("same",)), document_near, strict=True)]
    given_different = at("given", ("different",))
    given_agrees = at("given", (*SAME_GIVEN, "swapped with family"))
    given_alike = at("given", tuple(x for x in CONTRADICTIONS["given"] if x != "different"))
    narrow_birth = at("birth", NARROW_BIRTH)
    family_different = at("family", CONTRADICTIONS["family"])
    lineage = [
        a and b and c
        for a, b, c in zip(
            at("given", SAME_GIVEN), at("parents", SAME_PARENTS), narrow_birth, strict=True
        )
    ]
    others = [at(c, labels) for c, labels in CONTRADICTIONS.items() if c not in ("given", "family")]
    result = []
    for i in range(len(document)):
        given = (
            given_different[i]
            or (given_alike[i] and not narrow_birth[i])
            # Documents numbered one apart: a typo, or twins (Hasan and Husam);
            # only the same given name says which.
            or (document_near[i] and not given_agrees[i])
        )
        family = family_different[i] and not lineage[i]
        contradicted = family or any(other[i] for other in others)
        result.append(document[i] or (not given and (phone[i] or not contradicted)))
    return result


def level_weight(model: dict[str, Any], comparison: str, label: str) -> float:
    """The match weight (log2 m/u) of one level of a trained model."""
    for item in model["comparisons"]:
        if item["output_column_name"] == comparison:
            for level in item["comparison_levels"]:
                if level.get("label_for_charts") == label:
                    # u is missing when too few records were sampled: call it "always".
                    u = level.get("u_probability") or 1.0
                    return math.log2(level["m_probability"] / u)
    raise KeyError(f"{comparison}: no level {label!r}")


PRIOR_WEIGHT = 0.5


def with_priors(model: dict[str, Any], priors: dict[str, Any]) -> dict[str, Any]:
    """EM's m probabilities, shrunk halfway towards the priors, none below ``M_FLOOR``.

    Unsupervised EM learns its "match" class mostly from the easy duplicates
    (the same spelling twice), so it says a typo or a transliteration "never"
    happens to a true match, and one such disagreement then vetoes a pair
    whatever else agrees. Registrations are full of both.
    """
    model["retain_intermediate_calculation_columns"] = True  # the weights explain a match
    prior_m = {
        (c["output_column_name"], level["label_for_charts"]): level.get("m_probability")
        for c in priors["comparisons"]
        for level in c["comparison_levels"]
    }
    for comparison in model["comparisons"]:
        levels = [
            level for level in comparison["comparison_levels"] if not level.get("is_null_level")
        ]
        for level in levels:
            m = level.get("m_probability")
            prior = prior_m.get((comparison["output_column_name"], level["label_for_charts"]))
            if m is None:
                m = prior
            elif prior is not None:
                m = (1 - PRIOR_WEIGHT) * m + PRIOR_WEIGHT * prior
            if m is not None:
                level["m_probability"] = max(m, M_FLOOR)
        total = sum(level.get("m_probability") or 0 for level in levels)
        for level in levels:
            if level.get("m_probability") is not None:
                level["m_probability"] /= total
    return model


def link_pairs(
    ids: list[str],
    lefts: list[Any],
    rights: list[Any],
    probabilities: list[float],
    consistent: list[bool],
    *,
    auto_merge: float = AUTO_MERGE_PROBABILITY,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[frozenset[str]] = (),
) -> Linked:
    """Persons from scored pairs: merged above ``auto_merge`` when nothing contradicts.

    ``consistent`` says, per pair, that no field contradicts "same person" (see
    :data:`CONTRADICTIONS`): the guard Fellegi-Sunter cannot give by itself. A
    pair that is not consistent is never merged without a person looking at it.

    People's decisions come first: pairs decided "same" are linked, and no
    merge, direct or through others, puts a pair decided "different" in one
    person. Strong pairs are merged before weaker ones.
    """
    known = set(ids)
    parent = {record_id: record_id for record_id in ids}
    members = {record_id: {record_id} for record_id in ids}
    apart: dict[str, set[str]] = defaultdict(set)
    for pair in cannot_link:
        first, second = tuple(pair)
        apart[first].add(second)
        apart[second].add(first)

    def root(record_id: str) -> str:
        while parent[record_id] != record_id:
            parent[record_id] = parent[parent[record_id]]
            record_id = parent[record_id]
        return record_id

    def union(left: str, right: str) -> bool:
        a, b = root(left), root(right)
        if a == b:
            return True
        small, large = (a, b) if len(members[a]) <= len(members[b]) else (b, a)
        if any(root(other) == large for record in members[small] for other in apart[record]):
            return False  # someone decided two of these are different people
        keep, drop = min(a, b), max(a, b)  # the older (smaller) id names the person
        parent[drop] = keep
        members[keep] |= members.pop(drop)
        return True

    for left, right in must_link:
        if left in known and right in known:
            union(left, right)
    best: dict[str, float] = {}
    review: list[tuple[str, str, float]] = []
    scored = sorted(
        zip(lefts, rights, probabilities, consistent, strict=True), key=lambda row: -row[2]
    )
    for left_raw, right_raw, probability, agrees in scored:
        left, right = str(left_raw), str(right_raw)
        best[left] = max(best.get(left, 0.0), probability)
        best[right] = max(best.get(right, 0.0), probability)
        merged = probability >= auto_merge and agrees
        if not (merged and union(left, right)):
            review.append((left, right, probability))
    clusters = {record_id: root(record_id) for record_id in ids}
    return Linked(clusters, best, review, len(probabilities))


def transfer(trained: dict[str, Any], engine: str) -> dict[str, Any]:
    """A model trained on one engine, spelled for another: the same m and u per level."""
    target = settings(
        engine,
        prior_match=trained["probability_two_random_records_match"],
        identifiers=[c["output_column_name"] for c in trained["comparisons"]],
    )
    learned = {
        (c["output_column_name"], level.get("label_for_charts")): level
        for c in trained["comparisons"]
        for level in c["comparison_levels"]
    }
    for comparison in target["comparisons"]:
        for level in comparison["comparison_levels"]:
            source = learned.get((comparison["output_column_name"], level["label_for_charts"]))
            for key in ("m_probability", "u_probability"):
                if source is not None and source.get(key) is not None:
                    level[key] = source[key]
    for rule in target["blocking_rules_to_generate_predictions"]:
        rule["sql_dialect"] = engine
    return target


def _present(table: Any) -> list[str]:
    """The identifier comparisons whose column has a value somewhere in ``table``
    (an Arrow table; another engine's frame is assumed to have them all)."""
    if not hasattr(table, "num_rows"):
        return list(IDENTIFIERS)
    return [
        name
        for name, column in IDENTIFIERS.items()
        if column in table.column_names and table.column(column).null_count < table.num_rows
    ]


def _quiet_splink() -> None:
    """Splink narrates every step at INFO; a CLI run shows its own progress instead."""
    for name in [*logging.root.manager.loggerDict, "splink"]:
        if name.startswith("splink"):
            logging.getLogger(name).setLevel(logging.ERROR)


def _prior(records: int) -> float:
    """Expected duplicates ~ a fifth of records, among n(n-1)/2 pairs."""
    if records < 2:
        return 0.5
    return min(0.5, max(1e-7, 0.2 * records / (records * (records - 1) / 2)))
