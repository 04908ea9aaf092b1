"""The nightly DAG (Airflow dag.test in its own process) against the simulator: its manifest
records each platform's requests, which the mapped platform tasks leave in the run on disk for
finalize_extraction. The tasks after the extraction are marked successful without running
(their run is tests/e2e's subject), so the test costs the extraction alone."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from carepulse.config import load_config
from extract.manifest import ExtractionRun
from extract.simulator.server import SimulatorServer
from tests.conftest import CONFIG, ROOT
from tests.e2e.helpers import N2, child_env, night_clock

pytestmark = pytest.mark.slow

# The DAG run in the child: dag.test runs plan, the mapped platform tasks and finalize_extraction
AFTER_EXTRACTION = r"^(validate_raw|prepare_candidate|transform|dbt\..*|validate_marts|publish)$"
CHILD = f"""
import sys
from datetime import date
from carepulse import airflow_local, paths
airflow_local.migrate(airflow_local.configure(paths.home().resolve()))
from airflow.dag_processing.dagbag import DagBag
dag = DagBag(dag_folder=str(airflow_local.DAGS)).dags[airflow_local.DAG_ID]
run = dag.test(logical_date=airflow_local.logical_date(date.fromisoformat(sys.argv[1])),
               run_conf={{"history_days": 1}}, mark_success_pattern={AFTER_EXTRACTION!r})
sys.exit(0 if str(run.state) == "success" else 1)
"""


def test_dag_manifest_records_requests_of_every_platform(tmp_path):
    home = tmp_path / "home"
    cfg = load_config(CONFIG)
    env = dict(child_env(cfg), CAREPULSE_HOME=str(home), PYTHONUNBUFFERED="1")
    with SimulatorServer(cfg.config, seed=3, mentions_per_night=60, port=0) as sim:
        env["CAREPULSE_SIMULATOR_URL"] = sim.url
        sim.set_clock(night_clock(N2))
        proc = subprocess.run([sys.executable, "-c", CHILD, N2.isoformat()], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=900)
        served = sim.stats_snapshot()["requests"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert not (home / "warehouse").exists()  # the tasks after the extraction were only marked
    [run] = ExtractionRun.all_runs(home / "raw", N2)
    manifest = run.manifest()
    enabled = sorted(cfg.config.platforms.enabled())
    assert manifest["platforms"] == enabled
    assert sorted(manifest["requests"]) == enabled
    for platform in enabled:
        sent = manifest["requests"][platform]
        # the connectors count what they sent, the simulator what it received (logins included)
        assert sent["requests"] == served[platform]["total"] > 0, (platform, sent, served[platform])
        assert sent.keys() == {"requests", "retries", "waited_s"}
        lines = (run.dir / "requests" / f"{platform}.jsonl").read_text().splitlines()
        assert sum(json.loads(line)["requests"] for line in lines) == sent["requests"]
