"""The Spark engine's warehouse: its tables, their snapshots, and the pointer readers open.

The Spark tables (parquet, Derby metastore, under warehouse/spark) are the incremental state a
build continues from. After a build, write-audit-publish goes by snapshot:

1. snapshot: every table's parquet files are linked into `warehouse/snapshots/<id>/<schema>/
   <table>/` (hard links: a snapshot costs one link per file, not a copy of the bytes; Spark never
   rewrites a parquet file in place, so later builds cannot change a snapshot). Its
   `snapshot.json` lists each file with its sha256; a file already hashed in the previous
   snapshot (same inode) is not read again, so a night hashes only the files it wrote.
2. candidate pointer: `warehouse/candidate.duckdb` is a small DuckDB file of views over the
   snapshot's parquet files (and the snapshot's digest), so the quality gate, the dashboard,
   lineage trace and audit verify read a Spark-built warehouse exactly as a DuckDB-built one.
3. publish: the existing atomic `os.replace` of candidate.duckdb onto carepulse.duckdb is the
   pointer switch; readers see the old snapshot or the new one.

A build whose candidate was not published (the gate refused it, or it crashed) has moved the
Spark tables past the published state: the next build first restores them from the published
snapshot (copying its files back: that costs the warehouse's size, on the rare night after a
refusal only), as the DuckDB engine restarts from a copy of the published file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path

from carepulse import paths
from extract.landing import atomic_write, sha256_file
from transform.spark_engine import SCRATCH_SCHEMA, spark_dir

log = logging.getLogger("transform.spark_warehouse")

# The schemas a build writes (dbt_project.yml's +schema per layer, seeds in reference, the build's
# bookkeeping in build, the fingerprint in main); the scratch schema `parse` is never snapshotted
# (verbatim text).
SCHEMAS = ("main", "build", "staging", "intermediate", "marts", "reference")
STATE = "state.json"  # which snapshot the Spark tables equal, and the fingerprint they were built with


def snapshots_dir(home: Path) -> Path:
    return paths.warehouse_dir(home) / "snapshots"


def _state_path(home: Path) -> Path:
    return spark_dir(home) / STATE


def read_state(home: Path) -> dict:
    try:
        return json.loads(_state_path(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_state(home: Path, **fields) -> None:
    state = {**read_state(home), **fields}
    atomic_write(_state_path(home), json.dumps(state, indent=1, sort_keys=True).encode(), mode=0o600)


def tables(spark) -> list[tuple[str, str]]:
    """(schema, table) of every CarePulse table in the metastore (dbt's work tables left out)."""
    existing = {row[0] for row in spark.sql("show databases").collect()}
    found = []
    for schema in (s for s in SCHEMAS if s in existing):
        for row in spark.sql(f"show tables in {schema}").collect():
            if not row.isTemporary and "__dbt_tmp" not in row.tableName:
                found.append((schema, row.tableName))
    return sorted(found)


def drop_all(spark) -> None:
    """An empty Spark warehouse (a full refresh): every CarePulse schema dropped with its data,
    and any folder left in the local warehouse directory (a crash between the metastore and the
    files, or a home copied elsewhere, whose metastore names the old paths), which would make
    the next CREATE TABLE of the same name fail."""
    for schema in (*SCHEMAS, SCRATCH_SCHEMA):
        spark.sql(f"drop database if exists {schema} cascade")
    tables_dir = spark.conf.get("spark.sql.warehouse.dir")
    if tables_dir.startswith(("file:", "/")):
        for schema in (*SCHEMAS, SCRATCH_SCHEMA):
            shutil.rmtree(Path(tables_dir.removeprefix("file:")) / f"{schema}.db", ignore_errors=True)


def drop_scratch(spark) -> None:
    """The scratch schema (verbatim text) and the session's temporary views: dbt-spark's
    incremental models leave `<model>__dbt_tmp` views behind, which a later `dbt docs generate`
    in the same session lists without a schema and fails on."""
    spark.sql(f"drop database if exists {SCRATCH_SCHEMA} cascade")
    for view in spark.catalog.listTables():
        if view.isTemporary:
            spark.catalog.dropTempView(view.name)


def _location(spark, schema: str, table: str) -> Path:
    row = spark.sql(f"describe formatted {schema}.{table}").where("col_name = 'Location'").first()
    location = row.data_type
    return Path(location.removeprefix("file:"))


def _is_view(spark, schema: str, table: str) -> bool:
    return spark.catalog.getTable(f"{schema}.{table}").tableType == "VIEW"


def _columns(spark, schema: str, table: str) -> list[tuple[str, str]]:
    """(name, Spark type) in the table's order, partition columns included."""
    return [(f.name, f.dataType.simpleString()) for f in spark.table(f"{schema}.{table}").schema.fields]


def _partition_columns(spark, schema: str, table: str) -> list[str]:
    return [c.name for c in spark.catalog.listColumns(f"{schema}.{table}") if c.isPartition]


def _link_tree(source: Path, target: Path, previous: dict[str, dict], base: Path) -> dict[str, dict]:
    """Link every data file under `source` into `target`; their sha256 (reused from `previous`
    when the inode is the same, i.e. the same immutable file)."""
    files: dict[str, dict] = {}
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name.startswith((".", "_")):
            continue  # Spark's _SUCCESS markers and .crc checksums
        dest = target / path.relative_to(source)
        if dest != path:
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, dest)
            except OSError:  # another file system: a copy
                shutil.copy2(path, dest)
        st = dest.stat()
        rel = str(dest.relative_to(base))
        known = previous.get(rel)
        same = known and known.get("inode") == st.st_ino and known.get("size") == st.st_size
        files[rel] = {"sha256": known["sha256"] if same else sha256_file(dest),
                      "size": st.st_size, "inode": st.st_ino}
    return files


def snapshot(spark, home: Path, snapshot_id: str) -> Path:
    """Link the Spark tables' files into a new snapshot folder; its snapshot.json describes it."""
    root = snapshots_dir(home) / snapshot_id
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    previous = _previous_files(home)
    doc: dict = {"id": snapshot_id, "tables": {}, "files": {}}
    for schema, table in tables(spark):
        folder = root / schema / table
        if _is_view(spark, schema, table):
            # a view has no files: its rows are written (this costs the view's size)
            spark.table(f"{schema}.{table}").write.parquet(str(folder))
            files = _link_tree(folder, folder, {}, root)
        else:
            folder.mkdir(parents=True)
            files = _link_tree(_location(spark, schema, table), folder, previous, root)
        doc["files"].update(files)
        doc["tables"][f"{schema}.{table}"] = {
            "columns": _columns(spark, schema, table),
            "partitions": _partition_columns(spark, schema, table),
            "empty": not files,
        }
    doc["sha256"] = digest(doc)
    atomic_write(root / "snapshot.json", json.dumps(doc, indent=1, sort_keys=True).encode(), mode=0o644)
    write_state(home, snapshot=snapshot_id)
    return root


def digest(doc: dict) -> str:
    """One sha256 over the snapshot's tables, columns and every file's content hash."""
    h = hashlib.sha256()
    h.update(json.dumps(doc["tables"], sort_keys=True).encode())
    for rel in sorted(doc["files"]):
        h.update(f"{rel}:{doc['files'][rel]['sha256']}\n".encode())
    return h.hexdigest()


def _previous_files(home: Path) -> dict[str, dict]:
    state = read_state(home)
    path = snapshots_dir(home) / str(state.get("snapshot")) / "snapshot.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError):
        return {}


# -- the pointer: a DuckDB file of views over one snapshot --------------------------------------


def duckdb_type(spark_type: str) -> str:
    import sqlglot

    if spark_type == "timestamp":  # read back as the UTC wall clock (_column_sql)
        return "TIMESTAMP"
    return sqlglot.exp.DataType.build(spark_type, dialect="spark").sql("duckdb")


def _column_sql(name: str, spark_type: str) -> str:
    quoted = '"' + name.replace('"', '""') + '"'
    # Spark writes its session-zone timestamps as UTC instants, which DuckDB reads as TIMESTAMPTZ:
    # back to the UTC wall-clock TIMESTAMP both engines' models compute
    return f"timezone('UTC', {quoted}) as {quoted}" if spark_type == "timestamp" else quoted


def _view_sql(root: Path, schema: str, table: str, spec: dict) -> str:
    columns = spec["columns"]
    if spec["empty"]:
        select = ", ".join(f"cast(null as {duckdb_type(t)}) as \"{n}\"" for n, t in columns)
        return f"select {select} where false"
    parts = {n: t for n, t in columns if n in spec["partitions"]}
    glob = str(root / schema / table / "**" / "*.parquet").replace("'", "''")
    options = ""
    if parts:
        types = ", ".join(f"'{n}': '{duckdb_type(t)}'" for n, t in parts.items())
        options = f", hive_partitioning = true, hive_types = {{{types}}}"
    else:
        options = ", hive_partitioning = false"
    select = ", ".join(_column_sql(n, t) for n, t in columns)
    return f"select {select} from read_parquet('{glob}'{options})"


def write_pointer(root: Path, target: Path) -> Path:
    """`target` (a DuckDB file) with one view per snapshot table and main.carepulse_snapshot."""
    import duckdb

    doc = json.loads((root / "snapshot.json").read_text(encoding="utf-8"))
    tmp = target.with_name("." + target.name + ".writing")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for name, spec in sorted(doc["tables"].items()):
            schema, table = name.split(".", 1)
            con.execute(f'create schema if not exists "{schema}"')
            if (schema, table) == ("main", "carepulse_build"):  # tiny: a table, as on DuckDB
                con.execute(f"create table main.carepulse_build as {_view_sql(root, schema, table, spec)}")
                continue
            con.execute(f'create view "{schema}"."{table}" as {_view_sql(root, schema, table, spec)}')
        con.execute("create table main.carepulse_snapshot as select ? as id, ? as sha256, ? as root",
                    [doc["id"], doc["sha256"], str(root)])
    finally:
        con.close()
    os.replace(tmp, target)
    return target


def pointed_snapshot(pointer: Path) -> str | None:
    """The snapshot id a pointer file names (None: none, or a DuckDB-built warehouse)."""
    from transform.build import stored_value

    return stored_value(pointer, "select id from main.carepulse_snapshot")


# -- restoring the tables from a snapshot, and pruning old snapshots ----------------------------


def restore(spark, home: Path, snapshot_id: str) -> None:
    """The Spark tables as the snapshot holds them (after a candidate that was not published)."""
    root = snapshots_dir(home) / snapshot_id
    doc = json.loads((root / "snapshot.json").read_text(encoding="utf-8"))
    drop_all(spark)
    for name, spec in sorted(doc["tables"].items()):
        schema, table = name.split(".", 1)
        spark.sql(f"create database if not exists {schema}")
        ddl = ", ".join(f"`{n}` {t}" for n, t in spec["columns"])
        frame = (spark.createDataFrame([], ddl) if spec["empty"] else
                 spark.read.schema(ddl).option("basePath", str(root / schema / table))
                 .parquet(str(root / schema / table)))
        writer = frame.write.format("parquet")
        if spec["partitions"]:
            writer = writer.partitionBy(*spec["partitions"])
        writer.saveAsTable(name)
    write_state(home, snapshot=snapshot_id)
    log.warning("Spark tables restored from the published snapshot %s (the last candidate was not "
                "published)", snapshot_id)


def prune(home: Path, keep: set[str], retain: int = 2) -> list[str]:
    """Delete snapshots neither kept (published, current) nor among the `retain` newest."""
    root = snapshots_dir(home)
    if not root.exists():
        return []
    ordered = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    newest = {p.name for p in ordered[-retain:]} if retain else set()
    removed = []
    for folder in ordered:
        if folder.name not in keep and folder.name not in newest:
            shutil.rmtree(folder)
            removed.append(folder.name)
    return removed
