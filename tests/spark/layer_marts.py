"""The marts layer on Spark equals DuckDB's, from the same inputs, row by row.

A DuckDB home builds two nights (the nightly chain); its staging, reference, intermediate and
build tables are loaded into a Spark home (tests/spark/from_duckdb.py); the marts are built there
on Spark with the DuckDB build's id (a full build of the marts), and every mart, the view
included, is compared with DuckDB's (tests/spark/equality.py). Then the same marts are built again
incrementally over the stored marts (DuckDB's, loaded too) with the build's id: every incremental
path runs (delete_rows, delete+insert by partition) and must leave the marts as they were, and
the marts' dbt tests run on Spark.

By hand, over an existing DuckDB warehouse and a Spark home whose marts were built:

    python -m tests.spark.layer_marts <warehouse.duckdb> <spark home>

A development tool, not part of `make test` (whose tests/spark/test_engines_equal.py builds every
layer on both engines from the raw zone): it proves one layer at a time, from a DuckDB warehouse
named by CAREPULSE_TEST_DUCKDB_WAREHOUSE, with `pytest tests/spark/layer_marts.py`.
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
INPUT_SCHEMAS = ("staging", "reference", "intermediate", "build", "main")


def compare_marts(duckdb_path: Path, home: Path) -> tuple[dict[str, str], list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        from transform import spark_engine

        spark = spark_engine.session(home)
        marts = [r.tableName for r in spark.sql("show tables in marts").collect()
                 if not r.isTemporary and "__dbt_tmp" not in r.tableName]
        exported = to_duckdb(home, Path(tmp) / "spark_marts.duckdb", {"marts": marts})
        return compare(duckdb_path, exported, ("marts",))


def _dbt_spark(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "transform.spark_engine", *args], cwd=ROOT,
                          env=spark_env(home), capture_output=True, text=True, timeout=3600)


def _build_id(duckdb_path: Path) -> str:
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        return con.execute("select * from build.int_build").fetchone()[0]
    finally:
        con.close()


def test_marts_on_spark_equal_duckdb(tmp_path):
    """Needs a DuckDB warehouse built by the nightly chain: CAREPULSE_TEST_DUCKDB_WAREHOUSE
    (e.g. a `carepulse demo --nights 2` home's warehouse/carepulse.duckdb)."""
    source = os.environ.get("CAREPULSE_TEST_DUCKDB_WAREHOUSE")
    if not source:
        pytest.skip("CAREPULSE_TEST_DUCKDB_WAREHOUSE names no DuckDB warehouse")
    source = Path(source)
    home = tmp_path / "home"
    (home / "warehouse").mkdir(parents=True)
    shutil.copy(source.parent / "config.json", home / "warehouse" / "config.json")
    build = {"build_id": _build_id(source)}
    load = subprocess.run([sys.executable, "-m", "tests.spark.from_duckdb", str(source), str(home),
                           *INPUT_SCHEMAS], cwd=ROOT, env=spark_env(), capture_output=True, text=True,
                          timeout=3600)
    assert load.returncode == 0, load.stderr[-3000:]

    built = _dbt_spark(home, "run", "--select", "marts", "--vars", json.dumps(build))
    assert built.returncode == 0, built.stdout[-5000:]
    problems, compared = _compare_in_subprocess(source, home)
    assert not problems, problems
    assert len(compared) == 26

    # incremental over the stored marts: every mart's incremental path, the same result
    again = _dbt_spark(home, "build", "--select", "marts", "--vars", json.dumps(build))
    assert again.returncode == 0, again.stdout[-5000:]
    problems, compared = _compare_in_subprocess(source, home)
    assert not problems, problems


def _compare_in_subprocess(source: Path, home: Path):
    """A Spark session per process: the comparison runs in its own."""
    done = subprocess.run([sys.executable, "-m", "tests.spark.layer_marts", str(source), str(home),
                           "--json"], cwd=ROOT, env=spark_env(home), capture_output=True, text=True,
                          timeout=3600)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["problems"], result["compared"]


if __name__ == "__main__":
    problems, compared = compare_marts(Path(sys.argv[1]), Path(sys.argv[2]))
    if "--json" in sys.argv:
        print(json.dumps({"problems": problems, "compared": compared}))
    else:
        for name in compared:
            print(("DIFFERS " if name.split(" ")[0] in problems else "equal   ") + name)
        for name, text in problems.items():
            print(f"{name}: {text}")
    raise SystemExit(1 if problems else 0)
