"""Write-audit-publish on Spark: snapshots of the Spark tables and the DuckDB pointer over them.

A snapshot must read back (through DuckDB, as the dashboard reads it) with the values and types
Spark wrote, must not change when later builds overwrite the tables, must hash only the files
a build wrote, and must restore the tables after a candidate that was not published.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from transform import spark_engine, spark_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    home = tmp_path_factory.mktemp("spark-home")
    env = pytest.MonkeyPatch()
    env.setenv("CAREPULSE_PSEUDONYM_KEY", "snapshot-test-pseudonym-key-0123")  # the functions need one
    session = spark_engine.session(home)
    session.sql("create database if not exists marts")
    session.sql("create database if not exists staging")
    session.sql("""
        create table marts.daily (day date, brand string, mentions bigint, share decimal(7,6),
                                  seen_at timestamp, tags array<string>)
        using parquet partitioned by (day)""")
    # Spark keeps partition columns last
    session.sql("""
        insert into marts.daily values
            ('lakemont', 3, 0.5, timestamp'2026-12-01 10:15:00', array('a', 'b'), date'2026-12-01'),
            ('lakemont', 4, 0.25, timestamp'2026-12-02 23:59:59.123456', array(), date'2026-12-02'),
            ('rival', null, null, null, null, date'2026-12-02')""")
    session.sql("create table staging.empty_one (id string, n int) using parquet")
    session.sql("create table staging.plain using parquet as select 'x' as id, 1.5d as score")
    session.sql("create view staging.plain_view as select id, score * 2 as doubled from staging.plain")
    yield home, session
    spark_engine.stop()
    env.undo()


def _read(pointer: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(pointer), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_pointer_reads_what_spark_wrote(spark, tmp_path):
    home, session = spark
    root = spark_warehouse.snapshot(session, home, "s1")
    pointer = spark_warehouse.write_pointer(root, tmp_path / "candidate.duckdb")
    rows = _read(pointer, "select day, brand, mentions, share, seen_at, tags from marts.daily "
                          "order by day, brand")
    assert rows == [
        (date(2026, 12, 1), "lakemont", 3, Decimal("0.500000"), datetime(2026, 12, 1, 10, 15), ["a", "b"]),
        (date(2026, 12, 2), "lakemont", 4, Decimal("0.250000"),
         datetime(2026, 12, 2, 23, 59, 59, 123456), []),
        (date(2026, 12, 2), "rival", None, None, None, None),
    ]
    types = dict(_read(pointer, "select column_name, data_type from information_schema.columns "
                                "where table_name = 'daily'"))
    assert types == {"day": "DATE", "brand": "VARCHAR", "mentions": "BIGINT", "share": "DECIMAL(7,6)",
                     "seen_at": "TIMESTAMP", "tags": "VARCHAR[]"}
    assert _read(pointer, "select count(*) from staging.empty_one") == [(0,)]
    assert _read(pointer, "select id, score from staging.plain") == [("x", 1.5)]
    assert _read(pointer, "select id, doubled from staging.plain_view") == [("x", 3.0)]  # its rows
    assert _read(pointer, "select id from main.carepulse_snapshot") == [("s1",)]


def test_a_snapshot_never_changes_and_hashes_only_new_files(spark, tmp_path):
    home, session = spark
    first = spark_warehouse.snapshot(session, home, "s2")
    before = json.loads((first / "snapshot.json").read_text())
    session.sql("insert overwrite table marts.daily partition (day) "
                "select 'lakemont', 9, 0.9, null, array('z'), date'2026-12-02'")
    second = spark_warehouse.snapshot(session, home, "s3")
    after = json.loads((second / "snapshot.json").read_text())
    # the overwritten day changed in the new snapshot only
    old = _read(spark_warehouse.write_pointer(first, tmp_path / "old.duckdb"),
                "select count(*) from marts.daily where day = date'2026-12-02'")
    new = _read(spark_warehouse.write_pointer(second, tmp_path / "new.duckdb"),
                "select brand, mentions from marts.daily where day = date'2026-12-02'")
    assert old == [(2,)] and new == [("lakemont", 9)]
    assert before["sha256"] != after["sha256"]
    assert json.loads((first / "snapshot.json").read_text()) == before
    # the untouched partition's files are the same files (links), hashed once
    kept = [rel for rel in after["files"] if "day=2026-12-01" in rel]
    assert kept and all(after["files"][rel]["inode"] == before["files"][rel]["inode"] for rel in kept)


def test_restore_brings_back_the_published_tables(spark, tmp_path):
    home, session = spark
    spark_warehouse.snapshot(session, home, "published")
    session.sql("insert into staging.plain values ('unpublished', 0.0)")
    spark_warehouse.restore(session, home, "published")
    assert sorted(r.id for r in session.sql("select id from staging.plain").collect()) == ["x"]
    partitions = [c.name for c in session.catalog.listColumns("marts.daily") if c.isPartition]
    assert partitions == ["day"]
    assert spark_warehouse.read_state(home)["snapshot"] == "published"


def test_prune_keeps_the_published_and_the_newest(spark):
    home, session = spark
    for name in ("p1", "p2", "p3", "p4"):
        spark_warehouse.snapshot(session, home, name)
    removed = spark_warehouse.prune(home, keep={"p1"}, retain=2)
    left = {p.name for p in spark_warehouse.snapshots_dir(home).iterdir()}
    assert {"p1", "p3", "p4"} <= left and "p2" in removed and "p2" not in left
