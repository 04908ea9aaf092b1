"""Move tables between a DuckDB warehouse and a Spark home (development and test tools).

Porting one layer of models to Spark does not need every layer below it on Spark: the layers
below, built by DuckDB, are loaded as Spark tables, the layer is built on Spark with
`--select`, and its tables are compared with DuckDB's.

    python -m tests.spark.from_duckdb <warehouse.duckdb> <spark home> staging intermediate
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import duckdb

from carepulse.demo import DEMO_PSEUDONYM_KEY
from transform import spark_engine


def load(duckdb_path: Path, home: Path, schemas: list[str]) -> list[str]:
    """Copy every table of `schemas` into the Spark metastore of `home`; the names copied."""
    spark = spark_engine.session(home)
    loaded = []
    with tempfile.TemporaryDirectory(dir=spark_engine.spark_dir(home)) as tmp:
        con = duckdb.connect(str(duckdb_path), read_only=True)
        try:
            tables = con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = current_database() and table_type = 'BASE TABLE' "
                "and table_schema in (select unnest(?))", [schemas]).fetchall()
            for schema, table in tables:
                target = Path(tmp) / f"{schema}.{table}.parquet"
                con.execute(f"copy \"{schema}\".\"{table}\" to '{target}' (format parquet)")
                spark.sql(f"create database if not exists {schema}")
                spark.sql(f"drop table if exists {schema}.{table}")
                spark.read.parquet(str(target)).write.format("parquet").saveAsTable(f"{schema}.{table}")
                loaded.append(f"{schema}.{table}")
        finally:
            con.close()
    return loaded


def spark_env(home: Path | None = None) -> dict[str, str]:
    """The environment of a Spark subprocess: the session registers the pseudonym function, which
    needs a key."""
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    env.setdefault("CAREPULSE_PSEUDONYM_KEY", DEMO_PSEUDONYM_KEY)
    if home is not None:
        env["CAREPULSE_HOME"] = str(home)
    return env


def to_duckdb(home: Path, target: Path, tables: dict[str, list[str]], conf: dict | None = None) -> Path:
    """A DuckDB file at `target` with one view per Spark table ({schema: [tables]}) over a parquet
    copy beside it; Spark's TIMESTAMP (an instant, which DuckDB reads WITH TIME ZONE) as the naive
    UTC TIMESTAMP DuckDB's models store."""
    spark = spark_engine.session(home, conf=conf)
    data = target.parent / (target.stem + "_parquet")
    con = duckdb.connect(str(target))
    try:
        for schema, names in tables.items():
            con.execute(f"create schema if not exists {schema}")
            for table in names:
                folder = data / schema / table
                spark.table(f"{schema}.{table}").write.parquet(str(folder))
                files = f"read_parquet('{folder}/*.parquet')"
                described = con.execute(f"describe select * from {files}").fetchall()
                columns = ", ".join(f"timezone('UTC', \"{name}\") as \"{name}\""
                                    if kind == "TIMESTAMP WITH TIME ZONE" else f'"{name}"'
                                    for name, kind, *_ in described)
                con.execute(f"create view {schema}.{table} as select {columns} from {files}")
    finally:
        con.close()
    return target


if __name__ == "__main__":
    names = load(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:])
    print(f"loaded {len(names)} tables: {', '.join(names)}")
