"""The three dbt Python models (int_sentiment_scores, int_text_aspects, int_post_screening) on
Spark equal DuckDB's, from the same inputs, row by row.

The model files are the same on both engines: dbt-spark's `session` submission runs them in the
launcher's process (transform/spark_models.py). A DuckDB warehouse built by the nightly chain is
copied, and the last day's texts and posts are forgotten by the three models (the build then
finds them new: the incremental path, with stored verdicts around them to re-judge). DuckDB
builds the three models incrementally on that copy; the same copy is loaded into a Spark home
and Spark builds them there; the tables are compared (tests/spark/equality.py). Then both
engines build them again with --full-refresh, and again they must be equal.

By hand, with a Spark home loaded by `prepare` and built:

    python -m tests.spark.layer_python_models prepare <start.duckdb> <spark home>
    python -m tests.spark.layer_python_models compare <warehouse.duckdb> <spark home>

A development tool, not part of `make test` (whose tests/spark/test_engines_equal.py builds every
layer on both engines from the raw zone): it proves one layer at a time, from a DuckDB warehouse
named by CAREPULSE_TEST_DUCKDB_WAREHOUSE, with `pytest tests/spark/layer_python_models.py`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

from tests.spark.equality import compare
from tests.spark.from_duckdb import spark_env, to_duckdb

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
MODELS = ("int_sentiment_scores", "int_text_aspects", "int_post_screening")
INPUT_SCHEMAS = ["staging", "reference", "intermediate", "build", "main"]


def forget_last_day(path: Path) -> None:
    """The three models without the last day's texts and posts (and the day before's verdicts):
    what an incremental build finds new."""
    con = duckdb.connect(str(path))
    try:
        last = "(select max(published_date) from intermediate.int_posts_unified)"
        gone = f"(select text_hash from intermediate.int_posts_unified where published_date = {last})"
        con.execute(f"delete from intermediate.int_sentiment_scores where text_hash in {gone}")
        con.execute(f"delete from intermediate.int_text_aspects where text_hash in {gone}")
        con.execute(f"delete from intermediate.int_post_screening where published_date >= {last} - 1")
    finally:
        con.close()


def prepare(start: Path, home: Path) -> None:
    """Load `start` into the Spark home: the loader's tables, the view the screening reads
    (int_author_profiles, a view over the staging tables) as its rows, and the screening table
    partitioned by day as the Spark build makes it."""
    from tests.spark import from_duckdb
    from transform import spark_engine

    from_duckdb.load(start, home, INPUT_SCHEMAS)
    spark = spark_engine.session(home)
    with tempfile.TemporaryDirectory(dir=spark_engine.spark_dir(home)) as tmp:
        con = duckdb.connect(str(start), read_only=True)
        try:
            for table in ("int_author_profiles", "int_post_screening"):
                con.execute(f"copy intermediate.{table} to '{tmp}/{table}.parquet' (format parquet)")
        finally:
            con.close()
        spark.sql("drop table if exists intermediate.int_author_profiles")
        spark.read.parquet(f"{tmp}/int_author_profiles.parquet").write.format("parquet").saveAsTable(
            "intermediate.int_author_profiles")
        spark.sql("drop table if exists intermediate.int_post_screening")
        spark.read.parquet(f"{tmp}/int_post_screening.parquet").write.format("parquet").partitionBy(
            "published_date").saveAsTable("intermediate.int_post_screening")


def compare_models(duckdb_path: Path, home: Path) -> tuple[dict[str, str], list[str]]:
    """Only the three models: the copy of the DuckDB warehouse holds them with the rest."""
    with tempfile.TemporaryDirectory() as tmp:
        exported = to_duckdb(home, Path(tmp) / "spark.duckdb", {"intermediate": list(MODELS)})
        only = Path(tmp) / "duckdb.duckdb"
        con = duckdb.connect(str(only))
        try:
            con.execute(f"attach '{duckdb_path}' as source (read_only)")
            con.execute("create schema intermediate")
            for model in MODELS:
                con.execute(f"create table intermediate.{model} as select * from source.intermediate.{model}")
        finally:
            con.close()
        return compare(only, exported, ("intermediate",))


def _run(args: list[str], home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=spark_env(home), capture_output=True,
                          text=True, timeout=3600)


def _dbt_duckdb(home: Path, *args: str) -> subprocess.CompletedProcess:
    project = str(ROOT / "dbt_project")
    code = ("import sys; from dbt.cli.main import dbtRunner; "
            "sys.exit(0 if dbtRunner().invoke(sys.argv[1:]).success else 1)")
    return _run(["-c", code, *args, "--project-dir", project, "--profiles-dir", project,
                 "--target-path", str(home / "dbt_target"), "--log-path", str(home / "dbt_logs")], home)


def _compared(source: Path, home: Path):
    done = _run(["-m", "tests.spark.layer_python_models", "compare", str(source), str(home), "--json"], home)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["problems"], result["compared"]


@pytest.mark.timeout(3600)  # four dbt runs, two Spark loads: past the default 600 s on a busy machine
def test_python_models_on_spark_equal_duckdb(tmp_path):
    """Needs a DuckDB warehouse built by the nightly chain: CAREPULSE_TEST_DUCKDB_WAREHOUSE
    (e.g. a `carepulse demo --nights 2` home's warehouse/carepulse.duckdb)."""
    source = os.environ.get("CAREPULSE_TEST_DUCKDB_WAREHOUSE")
    if not source:
        pytest.skip("CAREPULSE_TEST_DUCKDB_WAREHOUSE names no DuckDB warehouse")
    source = Path(source)
    start = tmp_path / "start.duckdb"
    shutil.copy(source, start)
    forget_last_day(start)
    duck, spark = tmp_path / "duck", tmp_path / "spark"
    for home in (duck, spark):
        (home / "warehouse").mkdir(parents=True)
        shutil.copy(source.parent / "config.json", home / "warehouse" / "config.json")
    shutil.copy(start, duck / "warehouse" / "candidate.duckdb")
    loaded = _run(["-m", "tests.spark.layer_python_models", "prepare", str(start), str(spark)], spark)
    assert loaded.returncode == 0, loaded.stderr[-3000:]

    for extra in ([], ["--full-refresh"]):  # incremental over the start, then from nothing
        built = _dbt_duckdb(duck, "run", "--select", *MODELS, *extra)
        assert built.returncode == 0, built.stdout[-5000:]
        built = _run(["-m", "transform.spark_engine", "run", "--select", *MODELS, *extra], spark)
        assert built.returncode == 0, built.stdout[-5000:]
        problems, compared = _compared(duck / "warehouse" / "candidate.duckdb", spark)
        assert not problems, (extra, problems)
        assert len(compared) == 3


if __name__ == "__main__":
    command, warehouse, spark_home = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if command == "prepare":
        prepare(warehouse, spark_home)
        raise SystemExit(0)
    problems, compared = compare_models(warehouse, spark_home)
    if "--json" in sys.argv:
        print(json.dumps({"problems": problems, "compared": compared}))
    else:
        for name in compared:
            print(("DIFFERS " if name.split(" ")[0] in problems else "equal   ") + name)
        for name, text in problems.items():
            print(f"{name}: {text}")
    raise SystemExit(1 if problems else 0)
