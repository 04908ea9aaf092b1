"""The same warehouse on DuckDB and on Spark: two nights, every mart equal row by row.

The shared published world's two simulator nights (extracted once for the whole suite) are the
input. A DuckDB home and a Spark home each receive night 1's runs and go through the nightly
chain (raw gate, transform, marts gate, publish), then night 2's runs and the chain again:
night 2 continues from night 1's published state on both engines (the incremental path: Spark
restores nothing, DuckDB copies its published file). After each night the published warehouses
are compared table by table (tests/spark/equality.py says how types are normalised). Then
`carepulse run --engine spark` extends the Spark home by a third night through the CLI, with
extraction: it publishes, the dashboard reads the Spark-published snapshot, and
`carepulse lineage trace` verifies a share-of-voice row down to the raw files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carepulse import nightly
from carepulse.cli import app
from carepulse.config import load_config
from extract.simulator.server import SimulatorServer
from tests.audit.test_trace import busiest_sov_row
from tests.conftest import CONFIG, PUBLISHED_PSEUDONYM_KEY, PUBLISHED_SEED, PUBLISHED_VOLUME
from tests.dbt.test_incremental import _arrive, _run_ids
from tests.dbt.test_marts import night_clock
from tests.spark.equality import compare

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def raw(published_world) -> dict:
    """The published world's raw zone and its runs per night: {"raw": root, night: [run ids]}."""
    root = published_world["home"] / "raw"
    saved = {k: os.environ.get(k) for k in ("CAREPULSE_ENGINE", "CAREPULSE_HOME", "CAREPULSE_PSEUDONYM_KEY")}
    os.environ["CAREPULSE_PSEUDONYM_KEY"] = PUBLISHED_PSEUDONYM_KEY
    yield {"raw": root, "nights": published_world["nights"],
           **{n: _run_ids(root, n) for n in published_world["nights"]}}
    for k, v in saved.items():
        os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def _night(engine: str, home: Path, night) -> None:
    """The nightly chain as the DAG runs it, on one engine."""
    os.environ["CAREPULSE_ENGINE"] = engine
    os.environ["CAREPULSE_HOME"] = str(home)
    loaded = load_config(CONFIG)
    audit = nightly.audit_dir(home, nightly.new_run_id(f"{engine}-{night}"))
    raw_gate = nightly.validate_raw(loaded, home, [night], audit)
    nightly.transform(loaded, home, night)
    nightly.validate_marts(loaded, home, audit, night, raw_gate)
    nightly.publish(home, audit, [night])


@pytest.fixture(scope="module")
def homes(raw, tmp_path_factory) -> dict:
    """Night by night on both engines; the comparison of the published marts after each night."""
    homes = {e: tmp_path_factory.mktemp(f"engine-{e}") for e in ("duckdb", "spark")}
    compared = {}
    try:
        for night in raw["nights"]:
            for engine, home in homes.items():
                _arrive(raw["raw"], home, raw[night])
                _night(engine, home, night)
            compared[night] = compare(*(h / "warehouse" / "carepulse.duckdb" for h in homes.values()),
                                      schemas=("marts",))
    finally:
        os.environ.pop("CAREPULSE_ENGINE", None)
        from transform import spark_engine

        spark_engine.stop()  # the CLI test below starts its own, in another process
    return {"homes": homes, "compared": compared}


@pytest.mark.parametrize("which", [0, 1], ids=["night-1", "night-2-incremental"])
def test_every_mart_is_equal_on_both_engines(homes, raw, which):
    problems, compared = homes["compared"][raw["nights"][which]]
    assert len(compared) >= 20, compared
    assert not problems, "\n".join(f"{t}: {p}" for t, p in sorted(problems.items()))


def test_spark_night_two_continued_from_the_published_snapshot(homes):
    home = homes["homes"]["spark"]
    state = json.loads((home / "warehouse" / "spark" / "state.json").read_text())
    snapshots = sorted(p.name for p in (home / "warehouse" / "snapshots").iterdir())
    assert state["snapshot"] in snapshots and len(snapshots) == 2, snapshots


@pytest.fixture(scope="module")
def spark_cli_night(homes, published_world, tmp_path_factory) -> Path:
    """`carepulse run --engine spark` for the night after, with extraction, in the Spark home (the
    comparison above is done with it)."""
    home = homes["homes"]["spark"]
    night = published_world["nights"][-1] + timedelta(days=1)
    with SimulatorServer(load_config(CONFIG).config, seed=PUBLISHED_SEED,
                         mentions_per_night=PUBLISHED_VOLUME, port=0) as sim:
        sim.set_clock(night_clock(night))
        proc = subprocess.run(
            [sys.executable, "-m", "carepulse.cli", "run", "--engine", "spark", "--date", night.isoformat()],
            cwd=ROOT, capture_output=True, text=True, timeout=900,
            env=dict(published_world["env"], CAREPULSE_HOME=str(home), CAREPULSE_SIMULATOR_URL=sim.url))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return home


def test_carepulse_run_on_spark_publishes_a_snapshot(spark_cli_night):
    import duckdb

    published = spark_cli_night / "warehouse" / "carepulse.duckdb"
    con = duckdb.connect(str(published), read_only=True)
    try:
        (snapshot,) = con.execute("select id from main.carepulse_snapshot").fetchone()
        (days,) = con.execute("select count(distinct mention_date) "
                              "from marts.fct_share_of_voice_daily").fetchone()
    finally:
        con.close()
    assert (spark_cli_night / "warehouse" / "snapshots" / snapshot / "snapshot.json").exists()
    assert days >= 3


def test_lineage_trace_verifies_a_spark_published_share_of_voice_row(spark_cli_night, monkeypatch):
    monkeypatch.setenv("CAREPULSE_HOME", str(spark_cli_night))
    key = busiest_sov_row(spark_cli_night)
    out = CliRunner().invoke(app, ["lineage", "trace", "fct_share_of_voice_daily", *key])
    assert out.exit_code == 0, out.output
    assert "VERIFIED" in out.output


def test_the_dashboard_reads_the_spark_published_snapshot(spark_cli_night, monkeypatch):
    from tests.dashboard.conftest import open_app, page

    monkeypatch.setenv("CAREPULSE_HOME", str(spark_cli_night))
    at = open_app(page("overview"))
    assert not at.exception
    assert at.metric, "the overview shows its headline figures"
