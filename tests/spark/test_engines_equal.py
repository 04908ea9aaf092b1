"""The same warehouse on DuckDB and on Spark: two nights, every mart equal row by row.

A Spark home runs two simulator nights through the CLI as production does
(`carepulse run --engine spark --date N`: extraction, raw gate, Spark build, marts gate on Spark
frames, snapshot publish); night 2 continues from night 1's published snapshot (the incremental
path). A DuckDB home receives the very same extraction runs night by night and goes through the
same nightly chain, night 2 continuing from its published file. After each night the two
published warehouses are compared table by table (tests/spark/equality.py says how types are
normalised). Then the dashboard reads the Spark-published snapshot and `carepulse lineage
trace` verifies a share-of-voice row of it down to the raw files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carepulse import nightly
from carepulse.cli import app
from carepulse.config import load_config
from carepulse.demo import DEMO_CREDENTIALS
from extract.simulator.server import SimulatorServer
from tests.audit.test_trace import busiest_sov_row
from tests.conftest import CONFIG
from tests.dbt.test_incremental import _arrive, _run_ids
from tests.dbt.test_marts import night_clock
from tests.spark.equality import compare

# Two Spark nights through the CLI (about 10 min each on this 2-core machine, mostly dbt-spark's
# per-node overhead: 743 nodes) and two DuckDB nights: `make test-spark`, a CI step of its own,
# keeps `make test` within its time.
pytestmark = [pytest.mark.slow, pytest.mark.engines, pytest.mark.timeout(3600)]
ROOT = Path(__file__).resolve().parents[2]
KEY = "engines-test-pseudonym-key-0123456789"
SEED, VOLUME = 23, 120
LAST = (datetime.now(UTC) - timedelta(days=3)).date()
NIGHTS = (LAST - timedelta(days=1), LAST)


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, CAREPULSE_HOME=str(home), CAREPULSE_CONFIG=str(CONFIG), DO_NOT_TRACK="1",
               CAREPULSE_PSEUDONYM_KEY=KEY)
    env.pop("CAREPULSE_ENGINE", None)
    for name, pcfg in load_config(CONFIG).config.platforms.enabled().items():
        env[pcfg.credential_env] = DEMO_CREDENTIALS[name]
    return env


def _spark_night(home: Path, night, sim: SimulatorServer) -> None:
    """`carepulse run --engine spark` for one night, in its own process, as the scheduler would."""
    sim.set_clock(night_clock(night))
    proc = subprocess.run(
        [sys.executable, "-m", "carepulse.cli", "run", "--engine", "spark", "--date", night.isoformat()],
        cwd=ROOT, env=dict(_env(home), CAREPULSE_SIMULATOR_URL=sim.url), capture_output=True, text=True,
        timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def _duckdb_night(home: Path, spark_home: Path, night) -> None:
    """The Spark night's extraction runs, then the nightly chain on DuckDB (in this process)."""
    raw = spark_home / "raw"
    if not (home / "raw" / "benchmarks").exists() and (raw / "benchmarks").exists():
        shutil.copytree(raw / "benchmarks", home / "raw" / "benchmarks")  # the HCAHPS landing
    _arrive(raw, home, _run_ids(raw, night))
    saved = {k: os.environ.get(k) for k in ("CAREPULSE_HOME", "CAREPULSE_PSEUDONYM_KEY", "CAREPULSE_ENGINE")}
    os.environ.update(CAREPULSE_HOME=str(home), CAREPULSE_PSEUDONYM_KEY=KEY, CAREPULSE_ENGINE="duckdb")
    try:
        loaded = load_config(CONFIG)
        audit = nightly.audit_dir(home, nightly.new_run_id(f"duckdb-{night}"))
        raw_gate = nightly.validate_raw(loaded, home, [night], audit)
        nightly.transform(loaded, home, night)
        nightly.validate_marts(loaded, home, audit, night, raw_gate)
        nightly.publish(home, audit, [night])
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


@pytest.fixture(scope="module")
def homes(tmp_path_factory) -> dict:
    """Both homes night by night; the comparison of their published marts after each night."""
    spark, duck = (tmp_path_factory.mktemp(f"engine-{e}") / "home" for e in ("spark", "duckdb"))
    compared = {}
    with SimulatorServer(load_config(CONFIG).config, seed=SEED, mentions_per_night=VOLUME, port=0) as sim:
        for night in NIGHTS:
            _spark_night(spark, night, sim)
            _duckdb_night(duck, spark, night)
            compared[night] = compare(duck / "warehouse" / "carepulse.duckdb",
                                      spark / "warehouse" / "carepulse.duckdb", schemas=("marts",))
    return {"spark": spark, "duckdb": duck, "compared": compared}


@pytest.mark.parametrize("night", NIGHTS, ids=["night-1", "night-2-incremental"])
def test_every_mart_is_equal_on_both_engines(homes, night):
    problems, compared = homes["compared"][night]
    assert len(compared) >= 20, compared
    assert not problems, "\n".join(f"{t}: {p}" for t, p in sorted(problems.items()))


def test_spark_published_a_snapshot_each_night_and_continued_from_it(homes):
    import duckdb

    home = homes["spark"]
    con = duckdb.connect(str(home / "warehouse" / "carepulse.duckdb"), read_only=True)
    try:
        (snapshot,) = con.execute("select id from main.carepulse_snapshot").fetchone()
        (days,) = con.execute("select count(distinct mention_date) "
                              "from marts.fct_share_of_voice_daily").fetchone()
    finally:
        con.close()
    state = json.loads((home / "warehouse" / "spark" / "state.json").read_text())
    assert state["snapshot"] == snapshot  # night 2 built on night 1's tables, nothing restored
    assert len(list((home / "warehouse" / "snapshots").iterdir())) == 2
    assert days >= 2


def test_lineage_trace_verifies_a_spark_published_share_of_voice_row(homes, monkeypatch):
    monkeypatch.setenv("CAREPULSE_HOME", str(homes["spark"]))
    key = busiest_sov_row(homes["spark"])
    out = CliRunner().invoke(app, ["lineage", "trace", "fct_share_of_voice_daily", *key])
    assert out.exit_code == 0, out.output
    assert "VERIFIED" in out.output


def test_the_dashboard_reads_the_spark_published_snapshot(homes, monkeypatch):
    from tests.dashboard.conftest import open_app, page

    monkeypatch.setenv("CAREPULSE_HOME", str(homes["spark"]))
    for name in ("overview", "share_of_voice"):
        at = open_app(page(name))
        assert not at.exception, name
        assert at.metric or at.dataframe, f"{name}: no figures shown"


def test_audit_verify_passes_on_the_spark_published_nights(homes, monkeypatch):
    monkeypatch.setenv("CAREPULSE_HOME", str(homes["spark"]))
    out = CliRunner().invoke(app, ["audit", "verify", "--json"])
    assert out.exit_code == 0, out.output
