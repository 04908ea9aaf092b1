"""CarePulse's dbt Python models on Spark: the same model files as on DuckDB, run in this process.

dbt-spark submits a Python model as a Databricks job; the `session` helper registered here
(`install`) runs the compiled model in this process against the active SparkSession instead, so
the Python the models call (transform/sentiment.py, language.py, aspects.py, screening.py)
is the code DuckDB runs and the values are the same.

The models are written against DuckDB's relation API (`filter`, `project`, `aggregate`, `join`,
`order`, `fetchall`, `to_arrow_table`) and return a pyarrow Table. `engine(dbt, session)` is the
one place that tells the engines apart: on DuckDB it returns them as they are; on Spark it wraps
them in the few relation methods the models use (each one a Spark SQL query over the DataFrame
before it) and converts the returned Table into a DataFrame.
"""

from __future__ import annotations

from typing import Any

SUBMISSION_METHOD = "session"


def engine(dbt, session):
    """(dbt, session, result): result(pyarrow Table) is what the model returns on this engine."""
    if not type(session).__module__.startswith("pyspark"):
        return dbt, session, lambda table: table
    return _Dbt(dbt, session), _Session(session), lambda table: _dataframe(session, table)


def _arrow(df):
    """A DataFrame's rows as Arrow, timestamps as naive UTC like DuckDB's TIMESTAMP (the session
    runs in UTC; collect() would convert them to this process's local time)."""
    import pyarrow as pa

    table = df.toArrow()
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            table = table.set_column(i, field.name, table.column(i).cast(pa.timestamp("us")))
    return table


def _dataframe(spark, table):
    """The model's Table as a DataFrame: dictionary columns decoded, naive timestamps read as
    UTC (Spark TIMESTAMP, not TIMESTAMP_NTZ), like DuckDB stores them."""
    import pyarrow as pa

    for i, field in enumerate(table.schema):
        column = table.column(i)
        if pa.types.is_dictionary(field.type):
            column = column.cast(field.type.value_type)
        if pa.types.is_timestamp(column.type) and column.type.tz is None:
            column = column.cast(pa.timestamp("us", "UTC"))
        table = table.set_column(i, field.name, column)
    return spark.createDataFrame(table)


class _Relation:
    """The DuckDB relation methods the models use, on a Spark DataFrame."""

    def __init__(self, spark, df) -> None:
        self._spark, self._df = spark, df

    def _query(self, sql: str, **frames) -> _Relation:
        # `{rel}` names this relation in `sql` (spark.sql's DataFrame arguments); the models'
        # expressions and literals hold no braces (transform/sql_literal.py refuses them)
        return _Relation(self._spark, self._spark.sql(sql, rel=self._df, **frames))

    def filter(self, condition: str) -> _Relation:
        return self._query(f"SELECT * FROM {{rel}} WHERE {condition}")

    def project(self, columns: str) -> _Relation:
        return self._query(f"SELECT {columns} FROM {{rel}}")

    def aggregate(self, expressions: str, groups: str) -> _Relation:
        return self._query(f"SELECT {expressions} FROM {{rel}} GROUP BY {groups}")

    def join(self, other: _Relation, condition: str, how: str = "inner") -> _Relation:
        kind = {"inner": "INNER", "anti": "LEFT ANTI", "semi": "LEFT SEMI", "left": "LEFT"}[how]
        # DuckDB's column order: the left side's columns as they are, then the right side's
        # others (Spark's USING puts the keys first)
        keys = {k.strip() for k in condition.split(",")}
        right = [] if how in ("anti", "semi") else [c for c in other._df.columns if c not in keys]
        columns = ", ".join([f"l.`{c}`" for c in self._df.columns] + [f"r.`{c}`" for c in right])
        return self._query(f"SELECT {columns} FROM {{rel}} AS l {kind} JOIN {{other}} AS r "
                           f"USING ({condition})", other=other._df)

    def order(self, columns: str) -> _Relation:
        return self._query(f"SELECT * FROM {{rel}} ORDER BY {columns}")

    def distinct(self) -> _Relation:
        return _Relation(self._spark, self._df.distinct())

    def limit(self, n: int) -> _Relation:
        return _Relation(self._spark, self._df.limit(n))

    def to_arrow_table(self):
        return _arrow(self._df)

    def fetchall(self) -> list[tuple]:
        table = _arrow(self._df)
        return list(zip(*(c.to_pylist() for c in table.columns), strict=True)) if table.num_columns else []


class _Session:
    def __init__(self, spark) -> None:
        self._spark = spark

    def sql(self, query: str) -> _Relation:
        return _Relation(self._spark, self._spark.sql(query))


class _Dbt:
    def __init__(self, dbt, spark) -> None:
        self._dbt, self._spark = dbt, spark
        self.is_incremental = dbt.is_incremental
        self.this = dbt.this
        self.config = dbt.config

    def ref(self, *args, **kwargs) -> _Relation:
        return _Relation(self._spark, self._dbt.ref(*args, **kwargs))


class SessionPythonJobHelper:
    """dbt-spark Python job submission to this process's SparkSession (method `session`)."""

    def __init__(self, parsed_model: dict, credentials: Any) -> None:
        self.parsed_model = parsed_model

    def submit(self, compiled_code: str) -> None:
        from pyspark.sql import SparkSession

        # the process's session (getActiveSession is per thread; dbt runs models on its own)
        spark = SparkSession.builder.getOrCreate()
        name = f"dbt_python_model.{self.parsed_model['alias']}"
        # lstrip: the materialization's Jinja indents the code's first line
        exec(compile(compiled_code.lstrip(), name, "exec"), {"__name__": name, "spark": spark})


def install() -> None:
    """Make `session` dbt-spark's Python submission method (default for every Python model)."""
    from dbt.adapters.base import PythonJobHelper
    from dbt.adapters.spark.impl import SparkAdapter

    helper = type("SessionPythonJobHelper", (SessionPythonJobHelper, PythonJobHelper), {})
    if SUBMISSION_METHOD in SparkAdapter.python_submission_helpers.fget(None):
        return
    helpers = SparkAdapter.python_submission_helpers.fget
    SparkAdapter.python_submission_helpers = property(
        lambda self: {**helpers(self), SUBMISSION_METHOD: helper})
    SparkAdapter.default_python_submission_method = property(lambda self: SUBMISSION_METHOD)
