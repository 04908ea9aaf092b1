"""The nightly chain end to end against the simulator.

- the real DAG (a separate process: `python -m carepulse.airflow_local`, Airflow dag.test on
  SQLite) runs two consecutive nights and publishes; the marts agree with the raw zone;
- `carepulse run` killed mid-transform leaves the published warehouse untouched, and its
  rerun gives the same marts as the DAG's clean run of that night (the same night run twice);
- bad raw data planted for a night fails the DAG at the gate; the published file keeps its
  bytes;
- secret canaries appear in no task log, OpenLineage event, gate result or Data Docs page.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from carepulse.config import load_config
from extract.base import Night, Page, Shard
from extract.manifest import ExtractionRun
from extract.simulator.server import SimulatorServer
from tests.conftest import CONFIG, ROOT
from tests.dbt.conftest import finished_manifests
from tests.e2e.helpers import N1, N2, child_env, mart_content, night_clock, secret_leaks, sha256

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e") / "home"
    cfg = load_config(CONFIG)
    env = dict(child_env(cfg), CAREPULSE_HOME=str(home), PYTHONUNBUFFERED="1")
    with SimulatorServer(cfg.config, seed=5, mentions_per_night=150, port=0) as sim:
        env["CAREPULSE_SIMULATOR_URL"] = sim.url
        yield {"home": home, "env": env, "sim": sim, "logs": []}


def run(world, args: list[str], *, night, kill_when=None) -> subprocess.CompletedProcess | None:
    """Run a child process at the simulator clock of `night`; keep its output for the scans."""
    world["sim"].set_clock(night_clock(night))
    log = world["home"].parent / f"child-{len(world['logs'])}.log"
    world["logs"].append(log)
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=world["env"], stdout=out,
                                stderr=subprocess.STDOUT)
        if kill_when is not None:
            deadline = time.time() + 600
            while proc.poll() is None and not kill_when() and time.time() < deadline:
                time.sleep(0.2)
            time.sleep(3)  # well inside dbt's build
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return None
        proc.wait(timeout=900)
    return subprocess.CompletedProcess(args, proc.returncode, log.read_text(errors="replace"))


def dag_run(world, night, history_days=1):
    return run(world, ["-m", "carepulse.airflow_local", "--night", night.isoformat(),
                       "--history-days", str(history_days)], night=night)


def published(world) -> Path:
    return world["home"] / "warehouse" / "carepulse.duckdb"


@pytest.fixture(scope="module")
def two_nights(world):
    first = dag_run(world, N1)
    assert first.returncode == 0, first.stdout[-3000:]
    after_first = mart_content(published(world))
    second = dag_run(world, N2)
    assert second.returncode == 0, second.stdout[-3000:]
    return {"after_first": after_first, "after_second": mart_content(published(world)),
            "sha": sha256(published(world))}


def test_two_nights_publish_and_agree_with_the_raw_zone(world, two_nights):
    con = duckdb.connect(str(published(world)), read_only=True)
    try:
        counts = dict(con.execute("select table_name, estimated_size from duckdb_tables() "
                                  "where schema_name = 'marts'").fetchall())
        # a view (fct_patient_questions adds each item's age when read) has no size estimate
        counts["fct_patient_questions"] = con.execute(
            "select count(*) from marts.fct_patient_questions").fetchone()[0]
        health = con.execute("select cast(night as varchar), platform, records_fetched "
                             "from marts.fct_data_health_nightly").fetchall()
        nights = {r[0] for r in con.execute("select distinct mention_date from marts.fct_mentions "
                                            "where mention_date >= ?", [N1]).fetchall()}
    finally:
        con.close()
    for mart in ("fct_mentions", "fct_share_of_voice_daily", "fct_post_engagement_daily",
                 "fct_patient_questions", "fct_data_health_nightly"):
        assert counts.get(mart, 0) > 0, mart
    assert {N1, N2} <= nights
    expected: dict[tuple[str, str], int] = {}
    for manifest in finished_manifests(world["home"] / "raw"):
        for shard in manifest["shards"].values():
            key = (manifest["night"], shard["platform"])
            expected[key] = expected.get(key, 0) + shard["records"]
    assert {(n, p): r for n, p, r in health} == expected
    assert two_nights["after_first"] != two_nights["after_second"]


def test_killed_run_then_rerun_equals_the_clean_run(world, two_nights):
    candidate = world["home"] / "warehouse" / "candidate.duckdb"
    candidate.unlink(missing_ok=True)
    run(world, ["-m", "carepulse.cli", "run", "--date", N2.isoformat()], night=N2,
        kill_when=candidate.exists)
    assert sha256(published(world)) == two_nights["sha"], "a killed run changed the published warehouse"
    rerun = run(world, ["-m", "carepulse.cli", "run", "--date", N2.isoformat()], night=N2)
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    assert mart_content(published(world)) == two_nights["after_second"]


def test_bad_raw_data_fails_the_gate_and_keeps_the_published_bytes(world, two_nights):
    before = sha256(published(world))
    plant_bad_tweets(world["home"] / "raw", N2)
    failed = dag_run(world, N2)
    assert failed.returncode != 0
    assert "validate_raw" in failed.stdout
    assert sha256(published(world)) == before
    gates = sorted((world["home"] / "audit").glob("*/gate.json"), key=lambda p: p.stat().st_mtime)
    gate = json.loads(gates[-1].read_text())
    assert gate["passed"] is False and gate["stages"]["raw"]["failures"]
    alerts = (world["home"] / "audit" / "alerts.jsonl").read_text().splitlines()
    assert any(json.loads(a)["task_id"] == "validate_raw" for a in alerts)


def plant_bad_tweets(raw: Path, night) -> None:
    """A finished extraction run for the night whose X page breaks the landing contract."""
    cfg = load_config(CONFIG)
    n = Night(night)
    shard = Shard("x", "mentions", "planted-bad", n.start, n.end)
    run = ExtractionRun.create(raw, n, cfg, [shard])
    tweet = {"id": None, "text": "planted", "author_id": "1", "created_at": f"{night}T12:00:00.000Z",
             "public_metrics": {"like_count": -5, "retweet_count": 0, "reply_count": 0, "quote_count": 0}}
    body = {"data": [tweet], "includes": {"users": []}, "meta": {"result_count": 1}}
    text = json.dumps(body, separators=(",", ":"))
    run.commit_page(shard, 1, Page("x.tweets.search.recent", "http://127.0.0.1/x/2/tweets/search/recent",
                                   {"query": "planted"}, 200, body, text, 1, None))
    run.end_shard(shard, "complete", None, None)
    run.finalize()


def test_secrets_appear_in_no_log_event_or_evidence(world, two_nights):
    scanned = list(world["logs"])
    for folder in ("lineage", "audit", "airflow/logs", "warehouse/dbt_target", "warehouse/dbt_docs"):
        scanned += [p for p in (world["home"] / folder).rglob("*") if p.is_file()]
    assert not secret_leaks(scanned)

