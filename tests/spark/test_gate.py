"""The marts gate on Spark gives the DuckDB gate's results on the same data.

The shared published warehouse (DuckDB) is copied table by table into a Spark metastore (the
tables the gate reads, views included), then both gates run: every suite must read the same
rows (the window and the build's rows, through the SQL translated for Spark), and every
expectation must have the same outcome. A broken row written into both warehouses (a negative
count, a duplicated mention) fails both gates with the same failures, naming the mart and the
column.

The helpers (run, outcome, differences, gate_tables, load_tables) also serve a comparison
outside pytest, on any DuckDB warehouse and its Spark copy.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest

from expectations import GateReport, ValidationFailed, suites, validate_marts, validate_marts_spark
from expectations.engines import DuckDBWarehouse, SparkWarehouse
from expectations.marts_frames import RECONCILIATION, WINDOW_DAYS, _read

# A Spark copy of the shared warehouse and both gates on it: about 4 minutes of one worker, in
# `make test-spark` beside the two-engine nights rather than in `make test`'s budget.
pytestmark = [pytest.mark.slow, pytest.mark.engines]
COUNTS = ("element_count", "unexpected_count", "missing_count")


def run(gate, *args, **kwargs) -> GateReport:
    """The gate's report, passed or failed."""
    try:
        return gate(*args, **kwargs)
    except ValidationFailed as failed:
        return failed.report


def outcome(report: GateReport) -> dict[str, Any]:
    """What must be equal between engines, from the results JSON the gate wrote: per suite, per
    expectation (in order) its type and arguments, success, counts, observed aggregate, raised."""
    document = json.loads(Path(report.results_path).read_text())
    per_suite = {}
    for name, result in document["results"].items():
        rows = []
        for r in result["results"]:
            config = r["expectation_config"]
            kwargs = {k: v for k, v in config["kwargs"].items() if k != "batch_id"}  # names the datasource
            observed = r["result"].get("observed_value")
            info = r["exception_info"]
            raised = bool(info.get("raised_exception")) if "raised_exception" in info else None
            rows.append((config["type"], json.dumps(kwargs, sort_keys=True, default=str), r["success"],
                         *(r["result"].get(k) for k in COUNTS),
                         None if observed is None else str(observed), raised))
        per_suite[name] = rows
    return {"success": report.success, "suites": report.suites, "failures": sorted(report.failures),
            "expectations": per_suite}


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """The differences between two outcomes, one line each (none: equal)."""
    found = [f"{key}: {a[key]!r} != {b[key]!r}" for key in ("success", "suites", "failures")
             if a[key] != b[key]]
    for name in sorted(set(a["expectations"]) | set(b["expectations"])):
        rows_a, rows_b = a["expectations"].get(name, []), b["expectations"].get(name, [])
        if len(rows_a) != len(rows_b):
            found.append(f"{name}: {len(rows_a)} != {len(rows_b)} expectations")
        found += [f"{name}: {x} != {y}" for x, y in zip(rows_a, rows_b, strict=False) if x != y]
    return found


def gate_tables() -> list[str]:
    """schema.table of every relation the marts gate reads."""
    from expectations.suites import marts__reconciliation as recon

    names = {"build.int_build", "build.int_build_dates", "staging.stg_quarantine", "marts.dim_brands",
             *recon.SNAPSHOT_TABLES.values(), *recon.COMMENT_TABLES.values()}
    for name in suites.MARTS:
        names |= set(re.findall(r"\b(?:marts|intermediate|staging|build)\.\w+", suites.module(name).SQL))
    return sorted(names)


def load_tables(duckdb_path: Path, spark: Any, tables: list[str], scratch: Path) -> list[str]:
    """Copy `tables` (schema.table, base tables or views) from DuckDB into Spark's metastore
    (tests/spark/from_duckdb.py copies base tables only; fct_patient_questions is a view)."""
    loaded = []
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        con = duckdb.connect(str(duckdb_path), read_only=True)
        try:
            for name in tables:
                schema, table = name.split(".")
                target = Path(tmp) / f"{name}.parquet"
                con.execute(f"copy (select * from \"{schema}\".\"{table}\") to '{target}' (format parquet)")
                spark.sql(f"create database if not exists {schema}")
                spark.sql(f"drop table if exists {name}")
                spark.read.parquet(str(target)).write.format("parquet").saveAsTable(name)
                loaded.append(name)
        finally:
            con.close()
    return loaded


# -- the tests (slow: the shared published world, a Spark session) ------------------------------

@pytest.fixture(scope="module")
def world(request, tmp_path_factory):
    """The DuckDB warehouse and its Spark copy. By default the shared published world;
    CAREPULSE_GATE_HOME=<a CAREPULSE_HOME> runs the module on that home's published warehouse,
    raw zone, config (warehouse/config.json) and newest night instead (read only: copied)."""
    from carepulse.config import LoadedConfig, load_config
    from tests.conftest import CONFIG, PUBLISHED_PSEUDONYM_KEY
    from transform import spark_engine
    from transform.build import published_path

    root = tmp_path_factory.mktemp("gate-spark")
    candidate = root / "candidate.duckdb"  # a copy: the broken-row test writes into it
    other = os.environ.get("CAREPULSE_GATE_HOME")
    if other:
        home = Path(other)
        config = LoadedConfig.model_validate_json((home / "warehouse" / "config.json").read_text())
    else:
        home = request.getfixturevalue("published_world")["home"]
        config = load_config(CONFIG)
    shutil.copy(published_path(home), candidate)
    with duckdb.connect(str(candidate), read_only=True) as con:
        (night,) = con.execute("select max(night) from marts.fct_data_health_nightly").fetchone()
    with pytest.MonkeyPatch.context() as mp:
        key = os.environ.get("CAREPULSE_PSEUDONYM_KEY", PUBLISHED_PSEUDONYM_KEY)
        mp.setenv("CAREPULSE_PSEUDONYM_KEY", key)  # the session registers CarePulse's functions
        spark = spark_engine.session(root / "spark-home")
        load_tables(candidate, spark, gate_tables(), spark_engine.spark_dir(root / "spark-home"))
        yield SimpleNamespace(candidate=candidate, spark=spark, raw=home / "raw", night=night,
                              config=config)
        spark_engine.stop()


def test_every_suite_reads_the_same_rows_on_both_engines(world):
    """The translated SQL runs on Spark in each of its forms (whole table; the window and the
    build's stamped rows; the window and the build's dates) and reads the rows DuckDB reads."""
    since = world.night - timedelta(days=WINDOW_DAYS)
    spark = SparkWarehouse(world.spark)
    con = duckdb.connect(str(world.candidate), read_only=True)
    try:
        duck = DuckDBWarehouse(con)
        for name in suites.MARTS:
            mod = suites.module(name)
            params = {"night": world.night, "platforms": ["x", "youtube"]} if name == RECONCILIATION else None
            for window, rewritten in ((None, False), (since, True), (since, False)):
                notes: list[str] = []
                frame = _read(spark, mod, window, notes, params, rewritten=rewritten)
                expected = _read(duck, mod, window, [], params, rewritten=rewritten)
                assert notes == [], (name, window, rewritten)
                assert sorted(frame.columns) == sorted(expected.columns), name
                assert frame.count() == len(expected), (name, window, rewritten)
    finally:
        con.close()


def test_both_engines_give_the_same_gate_results(world, tmp_path):
    duck = run(validate_marts, world.candidate, tmp_path / "duckdb", world.config, world.night,
               raw_root=world.raw)
    spark = run(validate_marts_spark, world.spark, world.raw, tmp_path / "spark", world.config, world.night)
    assert set(spark.suites) == set(suites.MARTS)
    assert differences(outcome(duck), outcome(spark)) == []
    assert spark.success, spark.failures  # the published world is clean
    assert json.loads(spark.results_path.read_text())["night"] == world.night.isoformat()


def test_a_broken_row_fails_the_spark_gate_as_it_fails_duckdbs(world, tmp_path):
    """A negative count in fct_post_engagement_daily and a duplicated fct_mentions row, written
    into both warehouses (last test of the module: the tables stay broken)."""
    from pyspark.sql import functions as F

    con = duckdb.connect(str(world.candidate))
    try:
        con.execute("insert into marts.fct_post_engagement_daily select * replace (-5 as engagements) "
                    "from marts.fct_post_engagement_daily where snapshot_date = $night limit 1",
                    {"night": world.night})
        con.execute("insert into marts.fct_mentions select * from marts.fct_mentions "
                    "where mention_date = $night and platform = 'x' limit 1", {"night": world.night})
    finally:
        con.close()
    engagement = world.spark.table("marts.fct_post_engagement_daily")
    (engagement.where(F.col("snapshot_date") == F.lit(world.night)).limit(1)
     .withColumn("engagements", F.lit(-5).cast(engagement.schema["engagements"].dataType))
     .write.insertInto("marts.fct_post_engagement_daily"))
    mentions = world.spark.table("marts.fct_mentions")
    (mentions.where((F.col("mention_date") == F.lit(world.night)) & (F.col("platform") == "x")).limit(1)
     .write.insertInto("marts.fct_mentions"))

    with pytest.raises(ValidationFailed) as caught:
        validate_marts_spark(world.spark, world.raw, tmp_path / "spark", world.config, world.night)
    message = str(caught.value)
    assert ("marts__fct_post_engagement_daily: expect_column_values_to_be_between(column=engagements): "
            "1 of ") in message
    assert ("marts__reconciliation: expect_column_pair_values_to_be_equal("
            "column_A=matched_mentions, column_B=fct_mentions): 1 of ") in message
    duck = run(validate_marts, world.candidate, tmp_path / "duckdb", world.config, world.night,
               raw_root=world.raw)
    assert differences(outcome(duck), outcome(caught.value.report)) == []
