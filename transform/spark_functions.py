"""CarePulse's functions on a SparkSession: the Spark twin of transform/duckdb_plugin.py.

Each is a pandas UDF (a batch of rows per call through Arrow, not one Python call per row)
over the same Python code DuckDB calls, so both engines compute the same values:
`redact_phi` and `phi_residue` (transform/privacy.py), `pseudonym` (keyed HMAC, key from the
environment), `reply_phi_flags` and `without_reviewer_name` (transform/reply_screening.py),
`article_id` and `canonical_link` (carepulse/urls.py). The dbt Python models (sentiment,
aspects, screening) run in this process too: `register` installs dbt-spark's `session`
submission method (transform/spark_models.py).
"""

from __future__ import annotations

import glob
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from carepulse import urls
from transform import privacy
from transform.duckdb_plugin import pseudonym_key
from transform.reply_screening import reply_flags, without_reviewer_name


def _none(value):
    """pandas gives NaN/None for a NULL; the Python functions expect None."""
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def _series(fn: Callable, *columns: pd.Series) -> pd.Series:
    if len(columns) == 1:
        return pd.Series([fn(_none(v)) for v in columns[0]], dtype=object)
    return pd.Series([fn(*map(_none, vs)) for vs in zip(*columns, strict=True)], dtype=object)


def local_files(pattern: str | None) -> list[str]:
    return sorted(glob.glob(pattern)) if pattern else []


def local_text(path: str | None) -> str | None:
    return Path(path).read_text(encoding="utf-8") if path else None


def register(spark) -> None:
    from pyspark.sql.functions import pandas_udf

    key = pseudonym_key()

    def scalar(name: str, fn: Callable, return_type: str, arity: int = 1) -> None:
        def one(a: pd.Series) -> pd.Series:
            return _series(fn, a)

        def two(a: pd.Series, b: pd.Series) -> pd.Series:
            return _series(fn, a, b)

        spark.udf.register(name, pandas_udf(one if arity == 1 else two, return_type))

    scalar("redact_phi", privacy.redact, "string")
    scalar("phi_residue", privacy.phi_residue, "boolean")
    scalar("pseudonym", lambda p, a: privacy.pseudonym(key, p, a), "string", 2)
    scalar("reply_phi_flags", reply_flags, "array<string>", 2)
    scalar("without_reviewer_name", without_reviewer_name, "string", 2)
    scalar("article_id", urls.article_id, "string")
    scalar("canonical_link", urls.canonical_link, "string")
    spark.udf.register("local_files", local_files, "array<string>")
    spark.udf.register("local_text", local_text, "string")

    from transform import spark_models

    spark_models.install()
