"""The intermediate SQL models on Spark equal DuckDB's, from the same inputs, row by row.

A DuckDB warehouse built by the nightly chain (CAREPULSE_TEST_DUCKDB_WAREHOUSE, e.g. a
`carepulse demo --nights 2` home's warehouse/carepulse.duckdb) is copied; its staging,
reference, intermediate and build tables are loaded into a Spark home
(tests/spark/from_duckdb.py; the three Python models' tables come from DuckDB this way).

1. Full build: the eight SQL models are built on Spark (--full-refresh, the DuckDB build's id)
   and compared with DuckDB's tables.
2. Incremental night: in the DuckDB copy some staged posts are stamped with a new build and
   changed (ten lose every brand and topic, ten gain a brand, a topic, a campaign keyword and a
   question; ten Bluesky posts are rewritten as they are; three posts are held back by the
   privacy screen); the changed staging tables are loaded into Spark; both engines build the
   models incrementally with that build id, and every table is compared, the build stamps
   (which rows each build wrote) included: Spark's delete_rows and delete+insert by build
   partition must leave what DuckDB's deletes leave.

By hand, over a DuckDB warehouse and a Spark home whose intermediate models were built:

    python -m tests.spark.layer_intermediate <warehouse.duckdb> <spark home>

A development tool, not part of `make test` (whose tests/spark/test_engines_equal.py builds every
layer on both engines from the raw zone): it proves one layer at a time, from a DuckDB warehouse
named by CAREPULSE_TEST_DUCKDB_WAREHOUSE, with `pytest tests/spark/layer_intermediate.py`.
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

from tests.spark.equality import compare, normal
from tests.spark.from_duckdb import spark_env, to_duckdb

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
INPUT_SCHEMAS = ("staging", "reference", "intermediate", "build", "main")
MODELS = ("int_author_profiles", "int_build", "int_build_dates", "int_campaign_posts",
          "int_mentions_matched", "int_patient_questions", "int_post_topics", "int_posts_unified")
TABLES = {"intermediate": MODELS[:1] + MODELS[3:], "build": MODELS[1:3]}
CHANGED_STAGING = ("staging.stg_x__posts", "staging.stg_bluesky__posts", "staging.stg_quarantine")
# Hive's partition filter grammar rejects a column name starting with '_': Spark must prune the
# build-stamp partitions itself (transform/spark_engine.py should set this; until then, here).
SPARK_CONF = {"spark.sql.hive.metastorePartitionPruningFallbackOnException": "true"}


def _spark(home: Path, *dbt_args: str) -> subprocess.CompletedProcess:
    code = ("import sys; from pathlib import Path; from transform import spark_engine; "
            f"spark_engine.session(Path({str(home)!r}).resolve(), conf={SPARK_CONF!r}); "
            "raise SystemExit(spark_engine.main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, *dbt_args], cwd=ROOT, env=spark_env(home),
                          capture_output=True, text=True, timeout=3600)


def _duckdb_dbt(home: Path, *dbt_args: str) -> subprocess.CompletedProcess:
    dbt = str(Path(sys.executable).parent / "dbt")
    return subprocess.run([dbt, *dbt_args, "--project-dir", "dbt_project", "--profiles-dir", "dbt_project"],
                          cwd=ROOT, env=spark_env(home),
                          capture_output=True, text=True, timeout=3600)


def change_staged_posts(database: Path, build_id: str) -> None:
    """Stamp some staged posts with `build_id` and change them (see the module docstring)."""
    con = duckdb.connect(str(database))
    try:
        named = [r[0] for r in con.execute(
            "select distinct post_key from staging.stg_x__posts "
            "where post_key in (select post_key from intermediate.int_mentions_matched) order by 1"
        ).fetchall()]
        unnamed = [r[0] for r in con.execute(
            "select post_key from staging.stg_x__posts "
            "where post_key not in (select post_key from intermediate.int_mentions_matched) order by 1"
        ).fetchall()]
        bluesky = [r[0] for r in con.execute(
            "select post_key from staging.stg_bluesky__posts order by 1 limit 10").fetchall()]
        con.execute("update staging.stg_x__posts set _loaded_in_build = ?, "
                    "text_redacted = 'nothing to see here', "
                    "hashtags = []::varchar[], mentioned_handles = []::varchar[] "
                    "where post_key in (select unnest(?))", [build_id, named[:10]])
        con.execute("update staging.stg_x__posts set _loaded_in_build = ?, text_redacted = "
                    "coalesce(text_redacted, '') "
                    "|| ' how is the flu shot at lakemont health? lakemont flu clinic' "
                    "where post_key in (select unnest(?))", [build_id, named[10:20]])
        con.execute("update staging.stg_bluesky__posts set _loaded_in_build = ? "
                    "where post_key in (select unnest(?))", [build_id, bluesky])
        con.execute("insert into staging.stg_quarantine (quarantine_key, platform, entity, natural_key, "
                    "reason, _loaded_in_build) "
                    "select 'test:' || k, 'x', 'post', k, 'test', ? from unnest(?) as t(k)",
                    [build_id, unnamed[:3]])
    finally:
        con.close()


def load_tables(database: Path, home: Path, tables: tuple[str, ...]) -> None:
    """Replace these Spark tables of `home` by DuckDB's (as tests/spark/from_duckdb.py loads)."""
    from transform import spark_engine

    spark = spark_engine.session(home)
    with tempfile.TemporaryDirectory(dir=spark_engine.spark_dir(home)) as tmp:
        con = duckdb.connect(str(database), read_only=True)
        try:
            for table in tables:
                target = Path(tmp) / f"{table}.parquet"
                con.execute(f"copy {table} to '{target}' (format parquet)")
                frame = spark.read.parquet(str(target))
                spark.sql(f"drop table if exists {table}")
                frame.write.format("parquet").saveAsTable(table)
        finally:
            con.close()


def stamps(database: Path) -> dict[str, list]:
    """Rows per build stamp of each incremental model (left out by equality.compare)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        return {table: con.execute(f"select _loaded_in_build, count(*) from intermediate.{table} "
                                   "group by 1 order by 1").fetchall()
                for table in TABLES["intermediate"] if table != "int_author_profiles"}
    finally:
        con.close()


def compare_tables(duckdb_path: Path, home: Path):
    with tempfile.TemporaryDirectory() as tmp:
        exported = to_duckdb(home, Path(tmp) / "spark_intermediate.duckdb", TABLES, SPARK_CONF)
        problems, compared = compare(duckdb_path, exported, tuple(TABLES))
        # compare() holds every table of the schemas: DuckDB's have the Python models' too
        problems = {k: v for k, v in problems.items() if k.split(".")[1] in MODELS}
        compared = [c for c in compared if c.split(" ")[0].split(".")[1] in MODELS]
        left, right = stamps(duckdb_path), stamps(exported)
        for table in left:
            if [tuple(map(normal, r)) for r in left[table]] != [tuple(map(normal, r)) for r in right[table]]:
                problems[f"intermediate.{table}"] = f"rows per build differ: {left[table]} vs {right[table]}"
        return problems, compared


def _compare_in_subprocess(source: Path, home: Path):
    """A Spark session per process: the comparison runs in its own."""
    done = subprocess.run([sys.executable, "-m", "tests.spark.layer_intermediate", str(source),
                           str(home), "--json"], cwd=ROOT,
                          env=spark_env(home), capture_output=True, text=True,
                          timeout=3600)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["problems"], result["compared"]


@pytest.mark.timeout(3600)
def test_intermediate_on_spark_equal_duckdb(tmp_path):
    source = os.environ.get("CAREPULSE_TEST_DUCKDB_WAREHOUSE")
    if not source:
        pytest.skip("CAREPULSE_TEST_DUCKDB_WAREHOUSE names no DuckDB warehouse")
    source = Path(source)
    duck_home, spark_home = tmp_path / "duck", tmp_path / "spark"
    for home in (duck_home, spark_home):
        (home / "warehouse").mkdir(parents=True)
        shutil.copy(source.parent / "config.json", home / "warehouse" / "config.json")
    duck = duck_home / "warehouse" / "candidate.duckdb"
    shutil.copy(source, duck)
    con = duckdb.connect(str(duck), read_only=True)
    build_id = con.execute("select * from build.int_build").fetchone()[0]
    con.close()
    load = subprocess.run([sys.executable, "-m", "tests.spark.from_duckdb", str(duck), str(spark_home),
                           *INPUT_SCHEMAS], cwd=ROOT, env=spark_env(), capture_output=True, text=True,
                          timeout=3600)
    assert load.returncode == 0, load.stderr[-3000:]

    # 1. a full build on Spark (its tables partitioned as the models say) equals DuckDB's
    built = _spark(spark_home, "run", "--select", *MODELS, "--full-refresh",
                   "--vars", json.dumps({"build_id": build_id}))
    assert built.returncode == 0, built.stdout[-5000:]
    problems, compared = _compare_in_subprocess(duck, spark_home)
    assert not problems, problems
    assert len(compared) == len(MODELS)

    # 2. an incremental night on both engines
    night = {"build_id": "spark-intermediate-test-night"}
    change_staged_posts(duck, night["build_id"])
    loaded = subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                             "from tests.spark.layer_intermediate import load_tables; "
                             "load_tables(Path(sys.argv[1]), Path(sys.argv[2]), tuple(sys.argv[3:]))",
                             str(duck), str(spark_home), *CHANGED_STAGING],
                            cwd=ROOT, env=spark_env(), capture_output=True, text=True, timeout=3600)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    on_duckdb = _duckdb_dbt(duck_home, "run", "--select", *MODELS, "--vars", json.dumps(night))
    assert on_duckdb.returncode == 0, on_duckdb.stdout[-5000:]
    on_spark = _spark(spark_home, "run", "--select", *MODELS, "--vars", json.dumps(night))
    assert on_spark.returncode == 0, on_spark.stdout[-5000:]
    problems, compared = _compare_in_subprocess(duck, spark_home)
    assert not problems, problems
    assert len(compared) == len(MODELS)
    assert dict(stamps(duck))["int_posts_unified"][-1][0] == night["build_id"]


if __name__ == "__main__":
    problems, compared = compare_tables(Path(sys.argv[1]), Path(sys.argv[2]))
    if "--json" in sys.argv:
        print(json.dumps({"problems": problems, "compared": compared}))
    else:
        for name in compared:
            print(("DIFFERS " if name.split(" ")[0] in problems else "equal   ") + name)
        for name, text in problems.items():
            print(f"{name}: {text}")
    raise SystemExit(1 if problems else 0)
