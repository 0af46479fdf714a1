"""One record against the operation's records: tracing searches and duplicate checks.

A family looking for a relative gives what it knows (names in any script,
an approximate age, a place); a new registration brings its members. Both are
scored against every registered record that shares a name skeleton with them,
with the model of the operation's last linkage run, and come back ranked by
person, each with the comparisons that agreed and their weights.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.linkage import model
from corridor.linkage.engines import duckdb_api
from corridor.linkage.models import LinkageRun, PersonRecord
from corridor.linkage.persons import member_features
from corridor.linkage.table import to_arrow

# A search may know one name only: one shared skeleton is enough to be a candidate.
SEARCH_RULES = [f"l.{column} = r.{column}" for column in ("given_bk", "family_bk", "father_bk")]
MIN_PROBABILITY = 0.01


@dataclass
class Candidate:
    """A registered person who may be the one looked for."""

    person_id: uuid.UUID | None
    member_ids: list[str]
    probability: float
    weights: dict[str, float] = field(default_factory=dict)  # per comparison: why

    @property
    def agreeing(self) -> list[str]:
        return [name for name, weight in self.weights.items() if weight > 0]


def operation_model(session: Session, operation_id: int, records: int) -> dict[str, Any]:
    """The model of the last linkage run, or the priors when there was none."""
    trained = session.scalar(
        select(LinkageRun.model)
        .where(LinkageRun.operation_id == operation_id, LinkageRun.finished_at.is_not(None))
        .order_by(LinkageRun.id.desc())
        .limit(1)
    )
    if trained:
        return trained
    starting = model.settings(prior_match=model._prior(max(records, 2)))
    return model.with_priors(starting, starting)


class Scorer:
    """Registered records, loaded once, against which new records are scored.

    Splink's ``predict_between`` joins the queries with the whole table once per
    blocking rule; against a million records that is seconds. The scorer first
    picks the candidates, the records that share a blocking key with a query, in
    one filtered scan of the table (DuckDB, parameters bound), and hands only
    those to Splink.
    """

    def __init__(
        self,
        records: Any,
        trained: dict[str, Any],
        api: Any = None,
        rules: list[str] | None = None,
    ) -> None:
        """``records``: the registered records' feature rows, as an Arrow table;
        ``rules``: blocking rules besides the model's (a search that knows one
        name needs rules on one name, :data:`SEARCH_RULES`, the default; a
        registration's members have full names and need none: ``[]``)."""
        import duckdb
        from splink import Linker

        model._quiet_splink()
        self.api = api or duckdb_api()
        self.records = records
        self.linker = Linker(self.api.register(records.slice(0, 0)), trained)
        extra = SEARCH_RULES if rules is None else rules
        self.rules = list(dict.fromkeys([*extra, *model.blocking_rules()]))
        # Each rule's equalities, both ways round: (registered column, query column).
        self.keys: list[list[tuple[str, str]]] = []
        for rule in self.rules:
            pairs = re.findall(r"l\.(\w+) = r\.(\w+)", rule)
            self.keys += [pairs, [(right, left) for left, right in pairs]]
        self.key_columns = list(dict.fromkeys(tuple(m for m, _q in k) for k in self.keys if k))
        # Beside the Arrow table, a DuckDB table of each record's position and one
        # hashed key per set of columns a rule compares: finding candidates is one
        # scan comparing integers, then taking those rows from the Arrow table.
        hashed = ", ".join(
            f"hash({', '.join(columns)}) AS key_{index}"
            for index, columns in enumerate(self.key_columns)
        )
        self.index = duckdb.connect()
        self.index.register("arrow_records", records)
        self.index.execute(
            "CREATE TABLE registered AS "
            f"SELECT (row_number() OVER ()) - 1 AS position, {hashed} FROM arrow_records"
        )
        self.index.unregister("arrow_records")

    def candidates(self, queries: Any) -> Any:
        """The registered records that share the columns of a blocking rule with a
        query, in either direction (a superset of what the rules generate)."""
        clauses: dict[tuple[int, tuple[Any, ...]], None] = {}
        for query in queries.to_pylist():
            for oriented in self.keys:
                asked = tuple(query.get(column) for _mine, column in oriented)
                if not oriented or any(value is None for value in asked):
                    continue
                index = self.key_columns.index(tuple(mine for mine, _column in oriented))
                clauses.setdefault((index, asked), None)
        if not clauses:
            return self.records.slice(0, 0)
        # Hash the asked values once (DuckDB's hash, as the table's keys were made),
        # then scan for integers.
        hashes = self.index.sql(
            "SELECT "
            + ", ".join(f"hash({', '.join('?' * len(asked))})" for _index, asked in clauses),
            params=[value for _index, asked in clauses for value in asked],
        ).fetchall()[0]
        where = " OR ".join(
            f"key_{index} = {int(value)}"
            for (index, _asked), value in zip(clauses, hashes, strict=True)
        )
        positions = self.index.sql(
            f"SELECT position FROM registered WHERE {where} ORDER BY position"
        ).to_arrow_table()
        return self.records.take(positions.column("position"))

    def score(self, queries: Any) -> Any:
        """Scored pairs (Arrow) between the queries and the registered records."""
        found = self.candidates(queries)
        if found.num_rows == 0:
            return pa.table(
                {
                    "unique_id_l": pa.array([], pa.string()),
                    "unique_id_r": pa.array([], pa.string()),
                    "match_probability": pa.array([], pa.float64()),
                }
            )
        existing = self.api.register(found)
        asked = self.api.register(queries)
        try:
            return self.linker.inference.predict_between(
                existing,
                asked,
                blocking_rules_to_generate_predictions=self.rules,
                threshold_match_probability=MIN_PROBABILITY,
            ).as_pyarrow_table()
        finally:
            for table in (asked, existing):
                table.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)


def find_matches(
    session: Session,
    *,
    operation_id: int,
    queries: list[dict[str, Any]] | None = None,
    members: set[str] | None = None,
    limit: int = 10,
) -> dict[str, list[Candidate]]:
    """For each query (feature row), or each of ``members`` (registered records,
    against the others), the likeliest persons, best first."""
    features, _members = member_features(session, operation_id)
    if members is not None:
        queries = [row for row in features if row["unique_id"] in members]
        features = [row for row in features if row["unique_id"] not in members]
    queries = queries or []
    if not features or not queries:
        return {query["unique_id"]: [] for query in queries}
    settings = operation_model(session, operation_id, len(features))
    # Registered members are checked by the model's own rules; a search may
    # know one name only, and gets rules on one name besides.
    rules = [] if members is not None else None
    scored = Scorer(to_arrow(features), settings, rules=rules).score(to_arrow(queries))
    owner = {
        str(member): person
        for member, person in session.execute(
            select(PersonRecord.member_id, PersonRecord.person_id).where(
                PersonRecord.operation_id == operation_id
            )
        )
    }
    query_ids = {query["unique_id"] for query in queries}
    found: dict[str, dict[Any, Candidate]] = {query_id: {} for query_id in query_ids}
    columns = scored.to_pydict()
    weights = [name for name in columns if name.startswith("mw_")]
    for index in range(scored.num_rows):
        left, right = str(columns["unique_id_l"][index]), str(columns["unique_id_r"][index])
        query_id, record_id = (right, left) if right in query_ids else (left, right)
        probability = columns["match_probability"][index]
        person = owner.get(record_id)
        key = person or record_id
        candidate = found[query_id].get(key)
        if candidate is None:
            candidate = found[query_id][key] = Candidate(person, [], probability)
        candidate.member_ids.append(record_id)
        if probability >= candidate.probability:
            candidate.probability = probability
            candidate.weights = {
                name.removeprefix("mw_"): round(columns[name][index] or 0.0, 2) for name in weights
            }
    return {
        query_id: sorted(candidates.values(), key=lambda c: -c.probability)[:limit]
        for query_id, candidates in found.items()
    }
