"""What the production-path tests share: one night run under a real scheduler stack, and the
checks that read its task instances, logs and OpenLineage events."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import httpx

from carepulse.airflow_local import logical_date
from carepulse.config import load_config
from deploy.pools import DEFAULT_PLATFORM_SLOTS, WRITER_POOL
from deploy.stack import DAG_ID, SchedulerStack
from extract.simulator.server import SimulatorServer
from tests.conftest import CONFIG, ROOT
from tests.dbt.conftest import finished_manifests
from tests.e2e.helpers import CANARY, PSEUDONYM_KEY, night_clock

PROBE_DAG = Path(__file__).parent / "dags" / "worker_pool_probe.py"
PROBE_ID = "worker_pool_probe"


@dataclass
class StackRun:
    """A finished night: its stack (stopped), run id and state, task instances and the probe's."""

    stack: SchedulerStack
    home: Path
    nights: list[date]
    run_id: str
    state: str
    tis: list[dict]
    probe: dict
    ui: tuple[int, str]  # what a browser gets from the api-server's root


def env_values() -> dict[str, str]:
    """The `.env` a deployer writes: canary credentials and the pseudonym key."""
    cfg = load_config(CONFIG).config
    values = {getattr(cfg.platforms, p).credential_env: secret for p, secret in CANARY.items()}
    values[cfg.privacy.pseudonym_key_env] = PSEUDONYM_KEY
    return values


def dags_folder(root: Path) -> Path:
    """The project's dags/ (as compose mounts it) plus the worker-pool probe DAG."""
    folder = root / "dags"
    folder.mkdir(parents=True)
    for dag_file in [*(ROOT / "dags").glob("*.py"), PROBE_DAG]:
        shutil.copy(dag_file, folder / dag_file.name)
    return folder


def run_night_under_scheduler(root: Path, executor: str, nights: list[date], *, seed: int, volume: int,
                              dotenv: dict | None = None, extra_env: dict | None = None,
                              timeout: float = 1500) -> StackRun:
    """Probe DAG, then the nightly DAG for the last night backfilling all `nights`, then stop.
    `dotenv` adds `.env` values; `extra_env` reaches every component's environment."""
    cfg = load_config(CONFIG)
    home = root / "home"
    with SimulatorServer(cfg.config, seed=seed, mentions_per_night=volume, port=0) as sim:
        sim.set_clock(night_clock(nights[-1]))
        # every answer takes 0.5 s: a platform's tasks last long enough (several seconds) that
        # the pool, not the machine's load, decides how many of them run at once
        sim.faults.add("*", {"kind": "slow", "delay_s": 0.5, "times": 1_000_000})
        stack = SchedulerStack(root / "stack", home, {**env_values(), **(dotenv or {})}, executor=executor,
                               extra_env={"CAREPULSE_SIMULATOR_URL": sim.url, **(extra_env or {})},
                               dags_folder=dags_folder(root), config=CONFIG)
        with stack:
            ui = httpx.get(f"{stack.ui_url}/", follow_redirects=True, timeout=60)
            probe = run_probe(stack)
            run_id = stack.trigger(logical_date(nights[-1]), {"history_days": len(nights)})
            state = stack.wait(run_id, timeout)
            tis = stack.task_instances(run_id)
            if state != "success":
                raise AssertionError(f"{run_id} {state}:\n{failed_logs(stack, run_id)}")
    return StackRun(stack, home, nights, run_id, state, tis, probe, (ui.status_code, ui.text))


def run_probe(stack: SchedulerStack) -> dict:
    """The probe DAG's one task to success; what it saw (its XCom)."""
    run_id = stack.trigger(datetime(2026, 1, 1, tzinfo=UTC), {}, dag_id=PROBE_ID)
    assert stack.wait(run_id, 300, dag_id=PROBE_ID) == "success", failed_logs(stack, run_id, PROBE_ID)
    value = stack.api("GET", f"/api/v2/dags/{PROBE_ID}/dagRuns/{run_id}/taskInstances/score_in_workers/"
                             "xcomEntries/return_value")["value"]
    return value if isinstance(value, dict) else json.loads(value)


def check_ui(run: StackRun) -> None:
    status, page = run.ui
    assert status == 200 and "<html" in page.lower() and "airflow" in page.lower(), (status, page[:300])


def failed_logs(stack: SchedulerStack, run_id: str, dag_id: str = DAG_ID) -> str:
    out = []
    for ti in stack.task_instances(run_id, dag_id):
        if ti["state"] in ("failed", "up_for_retry"):
            log = stack.task_log(ti)
            text = log.read_text()[-4000:] if log.exists() else "no log"
            out.append(f"--- {ti['task_id']} ({log})\n{text}")
    return "\n".join(out) or stack.log_tail("scheduler")


# -- checks ---------------------------------------------------------------------------------------


def ran(tis: list[dict]) -> list[dict]:
    """Task instances that ran in a process of their own (Cosmos' empty tasks never do)."""
    return [ti for ti in tis if ti["pid"] is not None and ti["start_date"] and ti["end_date"]]


def interval(ti: dict) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(ti["start_date"]), datetime.fromisoformat(ti["end_date"])


def max_concurrency(tis: list[dict]) -> int:
    """Most task instances running at one moment (an end and a start at the same instant do not
    overlap: ends sort first)."""
    spans = [interval(ti) for ti in ran(tis)]
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def writer_tasks(tis: list[dict]) -> list[dict]:
    return [ti for ti in ran(tis) if ti["pool"] == WRITER_POOL]


def extraction_by_platform(tis: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for ti in tis:
        if ti["task_id"].startswith("extract."):
            out.setdefault(ti["task_id"].split(".", 1)[1], []).append(ti)
    return out


def check_pools_held(run: StackRun) -> None:
    """One DuckDB writer at a time; no platform's extraction ran more nights at once than its
    pool's slots, and the pools did let nights run in parallel (whether a given platform's
    nights overlapped depends on how long its shards took beside the others')."""
    writers = writer_tasks(run.tis)
    assert {"validate_marts", "publish"} <= {ti["task_id"] for ti in writers}
    assert max_concurrency(writers) == 1, sorted((ti["start_date"], ti["task_id"]) for ti in writers)
    by_platform = extraction_by_platform(run.tis)
    assert sorted(by_platform) == sorted(load_config(CONFIG).config.platforms.enabled())
    slots = min(DEFAULT_PLATFORM_SLOTS, len(run.nights))
    for platform, tis in by_platform.items():
        assert len(tis) == len(run.nights), platform
        assert all(ti["pool"] == f"platform_{platform}" and ti["queue"] == "extraction" for ti in tis)
        assert max_concurrency(tis) <= slots, platform
    assert max(max_concurrency(tis) for tis in by_platform.values()) == slots


def check_reconciles_with_raw(run: StackRun) -> None:
    """Published; data health counts per night and platform equal the finished manifests'."""
    db = run.home / "warehouse" / "carepulse.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        health = con.execute("select cast(night as varchar), platform, records_fetched "
                             "from marts.fct_data_health_nightly").fetchall()
        mentions = con.execute("select count(*) from marts.fct_mentions").fetchone()[0]
    assert mentions > 0
    expected: dict[tuple[str, str], int] = {}
    for manifest in finished_manifests(run.home / "raw"):
        for shard in manifest["shards"].values():
            key = (manifest["night"], shard["platform"])
            expected[key] = expected.get(key, 0) + shard["records"]
    assert {n for n, _ in expected} == {n.isoformat() for n in run.nights}
    assert {(n, p): r for n, p, r in health} == expected


def check_probe(run: StackRun) -> None:
    """The probe ran as a real task process and its workers never imported Airflow."""
    probe = run.probe
    assert Path(probe["main"]).name == "airflow", probe  # started by the `airflow` entry script
    assert probe["scored"] == 600
    assert len({w["pid"] for w in probe["workers"]} - {probe["pid"]}) == 2
    assert not any(w["airflow_imported"] for w in probe["workers"])


def lineage_events(home: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((home / "lineage" / "airflow").glob("events*"))]


def check_lineage(run: StackRun) -> None:
    """Every task that ran left its OpenLineage START and COMPLETE events in the files."""
    seen: dict[str, set[str]] = {}
    for event in lineage_events(run.home):
        run_facets = event.get("run", {}).get("facets", {})
        airflow = run_facets.get("airflow", {}).get("dagRun", {})
        if airflow.get("run_id", airflow.get("dag_run_id")) not in (None, run.run_id):
            continue
        seen.setdefault(event["job"]["name"], set()).add(event["eventType"])
    missing = [ti["task_id"] for ti in ran(run.tis)
               if not {"START", "COMPLETE"} <= seen.get(f"{DAG_ID}.{ti['task_id']}", set())]
    assert not missing, f"no START+COMPLETE OpenLineage events for {missing[:10]}"


def scanned_files(run: StackRun) -> list[Path]:
    """Everything a secret could leak into: component and task logs, lineage, evidence, dbt output."""
    files = [p for p in run.stack.root.rglob("*") if p.is_file()]
    for folder in ("lineage", "audit", "warehouse/dbt_target", "warehouse/dbt_docs", "docs"):
        files += [p for p in (run.home / folder).rglob("*") if p.is_file()]
    return files


def network_attempts(run: StackRun) -> list[str]:
    """Log lines of a component or task that tried to reach the internet (rule: platforms only)."""
    hits = []
    for log in run.stack.root.rglob("*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if "scarf.sh" in line or "Unable to emit usage metrics" in line:
                hits.append(f"{log.name}: {line[:200]}")
    return hits
