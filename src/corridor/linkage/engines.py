"""Where Splink runs: DuckDB on one machine (the default) or Spark to scale out.

The model is the same on both; only the SQL spelling of two functions and the
way a table is handed over differ, and they are kept here.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import Any

ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class SqlDialect:
    """The two SQL functions the comparisons need, as this engine spells them."""

    name: str
    overlap: str  # arrays share an element
    jaro_winkler: str
    edit_distance: str  # Damerau-Levenshtein: a swap of two letters is one typo
    levenshtein: str  # for skeletons, where a swap of two consonants is another name

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


DUCKDB = SqlDialect(
    "duckdb", "list_has_any", "jaro_winkler_similarity", "damerau_levenshtein", "levenshtein"
)
SPARK = SqlDialect("spark", "arrays_overlap", "jaro_winkler", "damerau_levenshtein", "levenshtein")


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


def spark_session() -> Any:
    """A local Spark session for Splink: its similarity functions' jar, few partitions.

    Scale-out means pointing ``SPARK_REMOTE``/``spark-submit`` at a cluster; the
    model and the SQL are the same.
    """
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as error:  # the [spark] extra is not installed
        raise RuntimeError("the spark engine needs: pip install 'corridor[spark]'") from error
    session = (
        SparkSession.builder.master("local[1]")
        .appName("corridor-linkage")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.jars", similarity_jar_location())
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    # Splink breaks long query plans with checkpoints.
    session.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="corridor-spark-"))
    return session


def spark_api(session: Any = None) -> Any:
    from splink.backends.spark import SparkAPI

    return SparkAPI(spark_session=session or spark_session())


def as_engine_table(api: Any, engine: str, table: Any) -> Any:
    """An Arrow table in the form the engine's database API registers."""
    if engine == "spark":
        return api.spark.createDataFrame(table.to_pandas(), schema=_spark_schema(table.schema))
    return table


def _spark_schema(schema: Any) -> Any:
    """The Arrow schema in Spark's types (a column of nulls must still have a type)."""
    import pyarrow as pa
    from pyspark.sql import types as t

    def spark_type(arrow: Any) -> Any:
        if pa.types.is_list(arrow):
            return t.ArrayType(spark_type(arrow.value_type))
        if pa.types.is_integer(arrow):
            return t.IntegerType() if arrow.bit_width <= 32 else t.LongType()
        if pa.types.is_floating(arrow):
            return t.DoubleType()
        return t.StringType()

    return t.StructType([t.StructField(f.name, spark_type(f.type), True) for f in schema])
