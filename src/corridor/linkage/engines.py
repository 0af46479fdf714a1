"""Where Splink runs: DuckDB on one machine (the default) or Spark to scale out.

The model is the same on both; only the SQL spelling of two functions and the
way a table is handed over differ, and they are kept here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class SqlDialect:
    """The two SQL functions the comparisons need, as this engine spells them."""

    name: str
    overlap: str  # arrays share an element
    jaro_winkler: str
    edit_distance: str

    def shares(self, left: str, right: str) -> str:
        return f"{self.overlap}({left}, {right})"

    def similar(self, left: str, right: str, threshold: float) -> str:
        return f"{self.jaro_winkler}({left}, {right}) >= {threshold}"

    def close(self, left: str, right: str) -> str:
        """Skeletons one typo apart, or similar enough (a typo in a longer name)."""
        return (
            f"((greatest(length({left}), length({right})) >= 3 "
            f"AND {self.edit_distance}({left}, {right}) <= 1) "
            f"OR {self.jaro_winkler}({left}, {right}) >= 0.9)"
        )


DUCKDB = SqlDialect("duckdb", "list_has_any", "jaro_winkler_similarity", "damerau_levenshtein")
SPARK = SqlDialect("spark", "arrays_overlap", "jaro_winkler", "levenshtein")


def dialect_of(engine: str) -> SqlDialect:
    if engine == "duckdb":
        return DUCKDB
    if engine == "spark":
        return SPARK
    raise ValueError(f"engine must be one of {', '.join(ENGINES)}")


def duckdb_api(connection: Any = None) -> Any:
    import duckdb
    from splink import DuckDBAPI

    return DuckDBAPI(connection=connection or duckdb.connect())
