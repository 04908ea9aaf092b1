"""Production path: the nightly DAG under Airflow's real scheduler, LocalExecutor on Postgres.

A stack of processes with docker-compose.yml's settings (deploy/stack.py: private Postgres,
`carepulse airflow-init`, api-server, scheduler, dag-processor) runs the worker-pool probe DAG,
then three nights (the first run's backfill) with the production default dbt mode: one Cosmos
task per model. Tasks are forked by the LocalExecutor and supervised, as in production, not run
inside the test's process as under dag.test().

The published marts must equal what one in-process `dbt build` publishes from the same landed
pages, and the sealed evidence must carry every Cosmos task's dbt results, enough to trace a
published number to its raw evidence.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import timedelta

import pytest

from carepulse.config import load_config
from tests.conftest import CONFIG, ROOT
from tests.deploy import scheduler
from tests.e2e.helpers import N1, N2, child_env, mart_content, secret_leaks

# a whole night under a real scheduler: `make test-scheduler`, CI's second step
pytestmark = [pytest.mark.slow, pytest.mark.scheduler, pytest.mark.timeout(1800)]

NIGHTS = [N1 - timedelta(days=1), N1, N2]
SEED, VOLUME = 13, 120


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> scheduler.StackRun:
    return scheduler.run_night_under_scheduler(tmp_path_factory.mktemp("scheduler-local"), "local", NIGHTS,
                                               seed=SEED, volume=VOLUME)


@pytest.fixture(scope="module")
def single_build(tmp_path_factory, night):
    """The same landed pages, published by one in-process `dbt build` (`carepulse transform`,
    `validate`, `publish`). The raw zone is the scheduler run's own copy: extraction is not a
    pure function of the night (a feed read conditionally lands a 304 after an earlier read),
    and nights that ran in another order would land other pages."""
    home = tmp_path_factory.mktemp("single") / "home"
    shutil.copytree(night.home / "raw", home / "raw")
    env = dict(child_env(load_config(CONFIG)), CAREPULSE_HOME=str(home))
    last = NIGHTS[-1].isoformat()
    for step in (["transform", "--date", last], ["validate", "--date", last], ["publish"]):
        proc = subprocess.run([sys.executable, "-m", "carepulse.cli", *step], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, (step, proc.stdout[-3000:] + proc.stderr[-3000:])
    return home


def test_worker_pool_survives_the_local_executors_task_runner(night):
    scheduler.check_probe(night)


def test_the_night_publishes_and_reconciles_with_the_raw_zone(night):
    assert night.state == "success"
    scheduler.check_reconciles_with_raw(night)


def test_dbt_ran_as_one_cosmos_task_per_model(night):
    dbt = [ti for ti in scheduler.ran(night.tis) if ti["task_id"].startswith("dbt.")]
    assert len(dbt) >= 40, len(dbt)
    assert all(ti["state"] == "success" for ti in dbt)


def test_duckdb_writers_never_overlapped_and_extraction_filled_its_pools(night):
    scheduler.check_pools_held(night)


def test_cosmos_tasks_publish_what_one_dbt_build_publishes(night, single_build):
    published = mart_content(night.home / "warehouse" / "carepulse.duckdb")
    assert len(published) >= 15
    assert published == mart_content(single_build / "warehouse" / "carepulse.duckdb")


def test_the_bundle_holds_every_cosmos_tasks_dbt_results(night):
    (folder,) = (night.home / "audit").glob("manual__*")
    results = json.loads((folder / "dbt_run_results.json").read_text())
    tasks = results["metadata"]["invocations"]
    assert len(tasks) >= 40 and all(t.startswith("dbt.") for t in tasks), sorted(tasks)
    ran = {r["unique_id"].split(".")[0] for r in results["results"]}
    assert {"model", "seed", "test"} <= ran
    assert all(r["status"] in ("success", "pass") for r in results["results"])
    manifest = json.loads((folder / "dbt_manifest.json").read_text())
    assert manifest["nodes"]["model.carepulse.fct_share_of_voice_daily"]["compiled_code"]


def test_a_published_number_traces_to_its_raw_evidence(night):
    import duckdb

    with duckdb.connect(str(night.home / "warehouse" / "carepulse.duckdb"), read_only=True) as con:
        day, platform, brand = con.execute(
            "select mention_date::date::varchar, platform, brand_id from marts.fct_share_of_voice_daily"
            " where mentions > 0 order by mentions desc, sov_key limit 1").fetchone()
    env = dict(child_env(load_config(CONFIG)), CAREPULSE_HOME=str(night.home))
    out = subprocess.run([sys.executable, "-m", "carepulse.cli", "lineage", "trace",
                          "fct_share_of_voice_daily", day, platform, brand, "--json"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    trace = json.loads(out.stdout[out.stdout.index("{"):])
    assert trace["verified"], trace
    assert len(trace["publish"]["dbt"]["cosmos_invocations"]) >= 40


def test_openlineage_files_hold_every_tasks_events(night):
    scheduler.check_lineage(night)


def test_no_secret_in_any_log_event_or_evidence(night):
    scanned = scheduler.scanned_files(night)
    assert any("attempt=" in p.name for p in scanned), "no task log was scanned"
    assert not secret_leaks(scanned)


def test_nothing_reached_for_the_internet(night):
    assert not scheduler.network_attempts(night)


def test_the_airflow_ui_is_served(night):
    scheduler.check_ui(night)
