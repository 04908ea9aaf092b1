"""The production layout as processes on one machine: the nightly DAG under Airflow's real scheduler.

What docker-compose.yml runs in containers, started here as plain processes: a private
Postgres (metadata DB), `carepulse airflow-init`, `airflow api-server`, `airflow scheduler`,
`airflow dag-processor`, and for the Celery layout a private Redis plus Celery workers. Every
component gets its compose service's environment (docker-compose.yml, plus
docker-compose.celery.yml for Celery), with container paths and service names mapped to local
folders and loopback ports. Tasks therefore run the way they run in production: forked by the
LocalExecutor or a Celery worker, supervised, cut off from the metadata DB.

Deviations from compose, each needed to run on one host beside other stacks:
- free loopback ports for the api-server, the scheduler's health server and each log server;
- `[scheduler] use_job_schedule = False`: runs happen only when triggered, so unpausing the DAG
  does not also start the cron's own run (a 14-night first backfill) beside the one asked for;
- Celery workers get distinct node names (`--celery-hostname`), as separate hosts would have.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from deploy import compose
from deploy.services import PrivatePostgres, PrivateRedis, ServiceError, free_port, wait_for_port

ROOT = compose.ROOT
DAG_ID = "social_listening_nightly"
FINISHED = {"success", "failed"}
TASK_FINISHED = {"success", "skipped", "failed", "upstream_failed"}
# What a container would have from the image (Dockerfile ENV) or the host; nothing else of the
# caller's environment reaches a component.
_PASSED_THROUGH = ("HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME",
                   "PYTHONDONTWRITEBYTECODE")
_IMAGE_ENV = {"PYTHONUNBUFFERED": "1", "DO_NOT_TRACK": "1", "SCARF_ANALYTICS": "false",
              "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "GX_ANALYTICS_ENABLED": "false"}


def env_file_values(secrets_env: Mapping[str, str]) -> dict[str, str]:
    """What `.env` would hold: fresh random Airflow secrets, then the caller's values."""
    from cryptography.fernet import Fernet

    values = {
        "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
        "AIRFLOW_FERNET_KEY": Fernet.generate_key().decode(),
        "AIRFLOW_JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW_API_SECRET_KEY": secrets.token_urlsafe(32),
        "_AIRFLOW_WWW_USER_USERNAME": "admin",
        "_AIRFLOW_WWW_USER_PASSWORD": secrets.token_urlsafe(12),
    }
    values.update(secrets_env)
    return values


@dataclass
class Worker:
    """One Celery worker process: the queues it consumes."""

    name: str
    queues: tuple[str, ...]


@dataclass
class SchedulerStack:
    """Start with `with SchedulerStack(...) as stack:`; everything stops on exit.

    `root` holds the stack's own files (AIRFLOW_HOME with the task logs, one log per component,
    Redis' folder) and is emptied at every start; `home` is CAREPULSE_HOME, outside it. Postgres
    lives in a temporary folder of its own (deploy/services.py). `env_values` are the `.env`
    values (credentials, pseudonym key; Airflow's own secrets are generated when absent).
    `extra_env` reaches every component (e.g. CAREPULSE_SIMULATOR_URL, CAREPULSE_DBT_TASKS: the
    DAG's shape must be the same in the dag-processor and in every task runner).
    """

    root: Path
    home: Path
    env_values: Mapping[str, str] = field(default_factory=dict)
    executor: str = "local"
    extra_env: Mapping[str, str] = field(default_factory=dict)
    dags_folder: Path = ROOT / "dags"
    config: Path = ROOT / "config" / "monitoring.yml"
    # compose runs one worker on both queues; two split ones show that the routing works
    workers: tuple[Worker, ...] = (Worker("default", ("default",)), Worker("extraction", ("extraction",)))
    say: Callable[[str], None] = print

    def __post_init__(self) -> None:
        if self.home.resolve().is_relative_to(self.root.resolve()):
            raise ValueError(f"the stack's folder {self.root} would hold CAREPULSE_HOME {self.home}; "
                             "it is emptied at every start")
        self.values = env_file_values(self.env_values)
        self.airflow_home = self.root / "airflow"
        self.logs = self.root / "logs"
        self.postgres = PrivatePostgres(self.logs / "postgres.log", password=self.values["POSTGRES_PASSWORD"])
        self.redis = PrivateRedis(self.root / "redis") if self.executor == "celery" else None
        self.api_port = 0
        self._procs: dict[str, subprocess.Popen] = {}
        self._token: str | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> SchedulerStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        """From nothing: what a crashed earlier stack in `root` left running is stopped and its
        files removed first."""
        self._reap_leftovers()
        shutil.rmtree(self.root, ignore_errors=True)
        for folder in (self.airflow_home, self.logs, self.home):
            folder.mkdir(parents=True, exist_ok=True)
        self.postgres.start()
        self._record()
        self.say(f"postgres: 127.0.0.1:{self.postgres.port}")
        if self.redis:
            self.redis.start()
            self._record()
            self.say(f"redis: {self.redis.url}")
        self.api_port = free_port()
        self.say("airflow-init: config check, db migrate, admin user, pools")
        self._run_once("airflow-init", ["carepulse", "airflow-init"])
        self._spawn("api-server", "airflow-apiserver",
                    ["airflow", "api-server", "--port", str(self.api_port)])
        self._spawn("scheduler", "airflow-scheduler", ["airflow", "scheduler"])
        self._spawn("dag-processor", "airflow-dag-processor", ["airflow", "dag-processor"])
        if self.executor == "celery":
            for worker in self.workers:
                self._spawn(f"worker-{worker.name}", "airflow-worker", [
                    "airflow", "celery", "worker", "--queues", ",".join(worker.queues),
                    "--celery-hostname", f"{worker.name}@%h"])
        wait_for_port(self.api_port, 120, "airflow api-server", self._procs["api-server"])
        self.say(f"api-server: {self.ui_url}")

    def stop(self) -> None:
        for proc in reversed(list(self._procs.values())):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self._procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        # task processes that outlived their parents (a killed worker's children)
        for proc in self._procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        self._procs.clear()
        if self.redis:
            self.redis.stop()
        self.postgres.stop()
        self._leftovers.unlink(missing_ok=True)

    # -- what a crash leaves behind -----------------------------------------------------------

    @property
    def _leftovers(self) -> Path:
        return self.root.parent / f".{self.root.name}.running.json"

    def _record(self) -> None:
        """Process groups and the Postgres folder, for the next start should this process die
        without `stop()` (SIGKILL): components run in sessions of their own and would outlive it."""
        groups = [proc.pid for proc in self._procs.values()] + ([self.redis.pid] if self.redis else [])
        state = {"groups": [[pid, _start_time(pid)] for pid in groups if pid],
                 "postgres": str(self.postgres.folder) if self.postgres.folder else None}
        self._leftovers.write_text(json.dumps(state))

    def _reap_leftovers(self) -> None:
        if not self._leftovers.exists():
            return
        state = json.loads(self._leftovers.read_text())
        for pid, started in state["groups"]:
            if started is not None and _start_time(pid) == started:  # the same process, not a reused pid
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
        if state["postgres"]:
            PrivatePostgres.reap(Path(state["postgres"]))
        self.say(f"stopped what an earlier stack in {self.root} left running")
        self._leftovers.unlink()

    # -- environment --------------------------------------------------------------------------

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def env_for(self, service: str) -> dict[str, str]:
        """The compose service's environment, localised, plus what the image would provide."""
        venv_bin = str(Path(sys.executable).parent)
        env = {k: os.environ[k] for k in _PASSED_THROUGH if k in os.environ}
        env.update(_IMAGE_ENV, PATH=f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
                   AIRFLOW_HOME=str(self.airflow_home))
        replacements = {
            "@postgres/": f"@127.0.0.1:{self.postgres.port}/",
            "//airflow-apiserver:8080/": f"//127.0.0.1:{self.api_port}/",
            compose.DATA_PATH: str(self.home),
            compose.DAGS_PATH: str(self.dags_folder),
            f"{compose.CONFIG_DIR}/monitoring.yml": str(self.config),
        }
        if self.redis:
            replacements["//redis:6379/"] = f"//127.0.0.1:{self.redis.port}/"
        env.update(compose.localize(compose.service_env(service, self.executor, self.values), replacements))
        env.update({
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        })
        env.update(self.extra_env)
        return env

    def _spawn(self, name: str, service: str, argv: list[str]) -> None:
        env = self.env_for(service)
        log = (self.logs / f"{name}.log").open("ab")
        self._procs[name] = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                             start_new_session=True)
        log.close()
        self._record()

    def _run_once(self, name: str, argv: list[str]) -> None:
        env = self.env_for(name)
        with (self.logs / f"{name}.log").open("ab") as log:
            proc = subprocess.run(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=600)
        if proc.returncode:
            raise ServiceError(f"{name} failed (exit {proc.returncode}); its log: "
                               f"{self.logs / f'{name}.log'}\n{self.log_tail(name)}")

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def check_alive(self) -> None:
        """Fail naming the component that died, with the end of its log."""
        for name, proc in self._procs.items():
            if proc.poll() is not None:
                raise ServiceError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    # -- the REST API, as an operator uses it -------------------------------------------------

    def api(self, method: str, path: str, **kwargs) -> dict:
        if self._token is None:
            self._token = self._login()
        response = httpx.request(method, f"{self.ui_url}{path}", timeout=60,
                                 headers={"Authorization": f"Bearer {self._token}"}, **kwargs)
        if response.status_code >= 400:
            raise ServiceError(f"{method} {path}: HTTP {response.status_code}: {response.text[:1000]}")
        return response.json()

    def _login(self) -> str:
        response = httpx.post(f"{self.ui_url}/auth/token", timeout=60, json={
            "username": self.values["_AIRFLOW_WWW_USER_USERNAME"],
            "password": self.values["_AIRFLOW_WWW_USER_PASSWORD"]})
        if response.status_code >= 400:
            raise ServiceError(f"login to the api-server failed: HTTP {response.status_code}: "
                               f"{response.text[:500]}")
        return response.json()["access_token"]

    def wait_for_dag(self, dag_id: str = DAG_ID, timeout: float = 180) -> None:
        """Until the dag-processor has parsed and serialised `dag_id` (its import errors otherwise)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(ServiceError, httpx.HTTPError):
                self.api("GET", f"/api/v2/dags/{dag_id}/details")
                return
            with contextlib.suppress(ServiceError, httpx.HTTPError):
                errors = self.api("GET", "/api/v2/importErrors")["import_errors"]
                if errors:
                    raise ServiceError(f"DAG import errors: {errors}")
            time.sleep(2)
        raise ServiceError(f"DAG {dag_id} was not parsed within {timeout:.0f} s; "
                           f"dag-processor log:\n{self.log_tail('dag-processor')}")

    def trigger(self, logical_date: datetime, conf: dict, dag_id: str = DAG_ID) -> str:
        """Unpause the DAG (compose creates DAGs paused) and trigger one run; its run id."""
        self.wait_for_dag(dag_id)
        self.api("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False})
        run = self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns",
                       json={"logical_date": logical_date.isoformat(), "conf": conf})
        return run["dag_run_id"]

    def task_instances(self, run_id: str, dag_id: str = DAG_ID) -> list[dict]:
        """Every task instance of the run, page by page (the API caps a page, 100 by default,
        and a night with per-model dbt tasks has more)."""
        out: list[dict] = []
        while True:
            found = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                             params={"limit": 100, "offset": len(out)})
            out += found["task_instances"]
            if not found["task_instances"] or len(out) >= found.get("total_entries", len(out)):
                return out

    def wait(self, run_id: str, timeout: float, dag_id: str = DAG_ID) -> str:
        """Until the run finishes; says how far it got whenever a task finishes. Returns its state."""
        deadline, last, tis = time.monotonic() + timeout, None, []
        while time.monotonic() < deadline:
            self.check_alive()
            state = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]
            tis = self.task_instances(run_id, dag_id)
            finished = sorted(ti["task_id"] for ti in tis if ti["state"] in TASK_FINISHED)
            if finished != last:
                self.say(f"{run_id}: {_progress(tis)}")
                last = finished
            if state in FINISHED:
                return state
            time.sleep(2)
        raise ServiceError(f"run {run_id} did not finish within {timeout:.0f} s ({_progress(tis)})")

    def task_log(self, ti: dict) -> Path:
        """Where the task runner wrote this attempt's log (Airflow's default layout)."""
        mapped = f"/map_index={ti['map_index']}" if ti["map_index"] >= 0 else ""
        return (self.airflow_home / "logs" / f"dag_id={ti['dag_id']}" / f"run_id={ti['dag_run_id']}"
                / f"task_id={ti['task_id']}{mapped}" / f"attempt={ti['try_number']}.log")


def _progress(tis: list[dict]) -> str:
    states = Counter(ti["state"] or "none" for ti in tis)
    done = states["success"] + states["skipped"]
    running = sorted(_label(ti) for ti in tis if ti["state"] == "running")
    failed = sorted(_label(ti) for ti in tis if ti["state"] in ("failed", "upstream_failed"))
    text = f"{done}/{len(tis)} tasks done"
    if running:
        text += f", running: {', '.join(running[:4])}{' ...' if len(running) > 4 else ''}"
    if failed:
        text += f", FAILED: {', '.join(failed[:4])}"
    return text


def _start_time(pid: int) -> int | None:
    """The kernel's start time of `pid` (clock ticks since boot), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _label(ti: dict) -> str:
    return f"{ti['task_id']}[{ti['map_index']}]" if ti["map_index"] >= 0 else ti["task_id"]
