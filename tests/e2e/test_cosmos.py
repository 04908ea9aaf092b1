"""The production DAG mode end to end: dbt as one Cosmos task per model.

One night through the real DAG with `CAREPULSE_DBT_TASKS=cosmos` (a separate process, Airflow
dag.test on SQLite) publishes the same mart content as `carepulse run` (one in-process
`dbt build`) of the same night from the same simulator, and its sealed evidence carries the
Cosmos tasks' own dbt results, enough to trace a published number.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from carepulse.config import load_config
from extract.simulator.server import SimulatorServer
from tests.conftest import CONFIG, ROOT
from tests.e2e.helpers import N1, child_env, mart_content, night_clock, secret_leaks

pytestmark = pytest.mark.slow


def child(home, env, args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=dict(env, CAREPULSE_HOME=str(home)),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1200)


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The night published twice from one simulator: by the Cosmos DAG and by `carepulse run`."""
    root = tmp_path_factory.mktemp("cosmos")
    cfg = load_config(CONFIG)
    env = dict(child_env(cfg), CAREPULSE_DBT_TASKS="cosmos", SCARF_ANALYTICS="false")
    with SimulatorServer(cfg.config, seed=7, mentions_per_night=120, port=0) as sim:
        sim.set_clock(night_clock(N1))
        env["CAREPULSE_SIMULATOR_URL"] = sim.url
        dag = child(root / "dag", env, ["-m", "carepulse.airflow_local", "--night", N1.isoformat()])
        (root / "dag.log").write_text(dag.stdout)
        assert dag.returncode == 0, dag.stdout[-3000:]
        single = child(root / "single", env, ["-m", "carepulse.cli", "run", "--date", N1.isoformat()])
        assert single.returncode == 0, single.stdout[-3000:]
    return {"dag": root / "dag", "single": root / "single", "env": env}


def evidence(home):
    (folder,) = (home / "audit").glob("manual__*")
    return folder


def test_cosmos_tasks_publish_what_one_dbt_build_publishes(both):
    published = [mart_content(both[k] / "warehouse" / "carepulse.duckdb") for k in ("dag", "single")]
    assert len(published[0]) >= 15
    assert published[0] == published[1]


def test_the_bundle_holds_every_cosmos_tasks_dbt_results(both):
    folder = evidence(both["dag"])
    results = json.loads((folder / "dbt_run_results.json").read_text())
    tasks = results["metadata"]["invocations"]
    assert len(tasks) >= 40 and all(t.startswith("dbt.") for t in tasks), sorted(tasks)
    ran = {r["unique_id"].split(".")[0] for r in results["results"]}
    assert {"model", "seed", "test"} <= ran
    assert all(r["status"] in ("success", "pass") for r in results["results"])
    manifest = json.loads((folder / "dbt_manifest.json").read_text())
    assert manifest["nodes"]["model.carepulse.fct_share_of_voice_daily"]["compiled_code"]


def test_a_cosmos_published_number_traces_to_its_raw_evidence(both):
    import duckdb

    db = both["dag"] / "warehouse" / "carepulse.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        day, platform, brand = con.execute(
            "select mention_date::date::varchar, platform, brand_id from marts.fct_share_of_voice_daily"
            " where mentions > 0 order by mentions desc, sov_key limit 1").fetchone()
    out = child(both["dag"], both["env"], ["-m", "carepulse.cli", "lineage", "trace",
                                           "fct_share_of_voice_daily", day, platform, brand, "--json"])
    assert out.returncode == 0, out.stdout[-3000:]
    trace = json.loads(out.stdout[out.stdout.index("{"):])
    assert trace["verified"], trace
    assert len(trace["publish"]["dbt"]["cosmos_invocations"]) >= 40


def test_secrets_appear_in_no_cosmos_task_log_event_or_evidence(both):
    """Cosmos runs dbt once per task with the profile's env vars: none may reach a log, an
    OpenLineage event, the kept run results or the evidence."""
    home = both["dag"]
    scanned = [home.parent / "dag.log"]
    for folder in ("lineage", "audit", "airflow/logs", "warehouse/dbt_target", "warehouse/dbt_docs"):
        scanned += [p for p in (home / folder).rglob("*") if p.is_file()]
    assert any("cosmos_run_results" in str(p) for p in scanned)
    assert not secret_leaks(scanned)
