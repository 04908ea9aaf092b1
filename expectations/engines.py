"""The two warehouse engines the marts gate reads: DuckDB (a read-only connection to the
candidate file) and Spark (a SparkSession whose metastore holds the candidate's schemas).

The suites' SQL is written once, in DuckDB's dialect; on Spark it is translated by sqlglot
(`to_spark`), `$name` parameters becoming Spark's `:name` markers bound by `spark.sql(args=)`.
Both readers answer the same questions (a frame for a query, does a table or column exist)
so marts_frames composes the bounded-cost reads once for both.

A Spark frame stays a Spark DataFrame (GX validates it with its Spark datasource); its DATE
columns are cast to TIMESTAMP, as DuckDB's DATE arrives in pandas as datetime64, so the
freshness check compares the same kind of value on both engines.
"""

from __future__ import annotations

import functools
from typing import Any

import duckdb
import pandas as pd


class DuckDBWarehouse:
    """The candidate DuckDB file through a read-only connection; frames are pandas."""

    engine = "duckdb"
    errors: tuple[type[Exception], ...] = (duckdb.Error,)

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def frame(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or {}).df()

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        return self.con.execute(sql, params or {}).fetchone()[0]

    def has_table(self, schema: str, table: str) -> bool:
        return self.scalar("select count(*) from information_schema.tables "
                           "where table_schema = $schema and table_name = $table",
                           {"schema": schema, "table": table}) > 0

    def has_column(self, schema: str, table: str, column: str) -> bool:
        return self.scalar("select count(*) from information_schema.columns where table_schema = $schema "
                           "and table_name = $table and column_name = $column",
                           {"schema": schema, "table": table, "column": column}) > 0

    @staticmethod
    def settle(frame: pd.DataFrame) -> pd.DataFrame:
        return frame

    @staticmethod
    def empty() -> pd.DataFrame:
        return pd.DataFrame()

    @staticmethod
    def to_pandas(frame: pd.DataFrame) -> pd.DataFrame:
        return frame

    @staticmethod
    def from_pandas(frame: pd.DataFrame) -> pd.DataFrame:
        return frame


class SparkWarehouse:
    """The candidate's tables in a SparkSession's metastore; frames are Spark DataFrames."""

    engine = "spark"

    def __init__(self, spark: Any):
        from pyspark.errors import PySparkException

        self.spark = spark
        self.errors: tuple[type[Exception], ...] = (PySparkException,)

    def frame(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        from pyspark.sql import functions as F
        from pyspark.sql.types import DateType

        frame = self.spark.sql(to_spark(sql), args=params or None)
        dates = {f.name for f in frame.schema.fields if isinstance(f.dataType, DateType)}
        if not dates:
            return frame
        return frame.select(*(F.col(c).cast("timestamp").alias(c) if c in dates else F.col(c)
                              for c in frame.columns))

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        return self.spark.sql(to_spark(sql), args=params or None).first()[0]

    def has_table(self, schema: str, table: str) -> bool:
        return self.spark.catalog.databaseExists(schema) and self.spark.catalog.tableExists(table, schema)

    def has_column(self, schema: str, table: str, column: str) -> bool:
        return self.has_table(schema, table) and column in self.spark.table(f"{schema}.{table}").columns

    def settle(self, frame: Any) -> Any:
        """The frame computed once, in few partitions, its plan cut (GX runs several Spark jobs
        per suite: each would plan the SQL and rerun the pandas UDF again). The frames are the
        bounded rows the gate checks, not the history."""
        return frame.coalesce(self.spark.sparkContext.defaultParallelism).localCheckpoint()

    def empty(self) -> Any:
        from pyspark.sql.types import StructType

        return self.spark.createDataFrame([], StructType([]))

    @staticmethod
    def to_pandas(frame: Any) -> pd.DataFrame:
        return frame.toPandas()

    def from_pandas(self, frame: pd.DataFrame) -> Any:
        return self.spark.createDataFrame(frame)


def warehouse(con: Any) -> DuckDBWarehouse | SparkWarehouse:
    """A reader for a DuckDB connection, a SparkSession, or a reader already."""
    if isinstance(con, DuckDBWarehouse | SparkWarehouse):
        return con
    if isinstance(con, duckdb.DuckDBPyConnection):
        return DuckDBWarehouse(con)
    return SparkWarehouse(con)


@functools.lru_cache(maxsize=256)
def to_spark(sql: str) -> str:
    """DuckDB SQL as Spark SQL (sqlglot), with one fix: DuckDB's list length is NULL for a NULL
    list, Spark's size() -1 (legacy sizeOfNull), so a list length becomes array_size()."""
    import sqlglot
    from sqlglot import exp

    def null_safe_size(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.ArraySize):
            return exp.Anonymous(this="array_size", expressions=[node.this])
        return node

    (tree,) = sqlglot.parse(sql, read="duckdb")
    return tree.transform(null_safe_size).sql(dialect="spark")
