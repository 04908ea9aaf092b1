"""Load a DuckDB warehouse's tables into a Spark home's metastore (a development and test tool).

Porting one layer of models to Spark does not need every layer below it on Spark: the layers
below, built by DuckDB, are loaded as Spark tables, the layer is built on Spark with
`--select`, and its tables are compared with DuckDB's.

    python -m tests.spark.from_duckdb <warehouse.duckdb> <spark home> staging intermediate
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import duckdb

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


if __name__ == "__main__":
    names = load(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:])
    print(f"loaded {len(names)} tables: {', '.join(names)}")
