"""The demos against the loopback simulator: throwaway credentials, the closing summary, and the
night run through Airflow's real scheduler (`carepulse demo-scheduler`, `make demo-scheduler`)."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlparse

from rich.console import Console
from rich.table import Table

from carepulse import paths
from carepulse.config import LoadedConfig
from carepulse.sources import SOURCES
from deploy.services import ServiceError

# only ever used against the loopback simulator
DEMO_CREDENTIALS = {name: source.demo_credential for name, source in SOURCES.items()}
DEMO_PSEUDONYM_KEY = "demo-only-pseudonym-key-not-for-real-data"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def demo_credentials(loaded: LoadedConfig, console: Console) -> dict[str, str]:
    """Credentials for loopback-only platforms and the pseudonym key, where the environment has
    none (a real credential or key that is set always wins)."""
    values = {}
    for name, pcfg in loaded.config.platforms.enabled().items():
        if urlparse(pcfg.endpoint).hostname in LOOPBACK and not os.environ.get(pcfg.credential_env):
            values[pcfg.credential_env] = DEMO_CREDENTIALS[name]
    key_env = loaded.config.privacy.pseudonym_key_env
    if not os.environ.get(key_env):
        console.print(f"[yellow]{key_env} is not set: using a demo-only pseudonym key[/yellow]")
        values[key_env] = DEMO_PSEUDONYM_KEY
    return values


def fill_demo_credentials(loaded: LoadedConfig, console: Console) -> None:
    os.environ.update(demo_credentials(loaded, console))


def print_summary(home: Path, state: str, run_id: str, console: Console) -> None:
    from carepulse.nightly import folder_name
    from carepulse.publish import published_docs
    from transform.build import published_path

    audit = paths.audit_dir(home) / folder_name(run_id)
    gate = audit / "gate.json"
    verdict = json.loads(gate.read_text())["passed"] if gate.exists() else None
    colour = "green" if state == "success" else "red"
    console.print(f"DAG run [{colour}]{state}[/{colour}]; quality gate passed: {verdict}")
    if published_path(home).exists():
        print_mart_counts(published_path(home), console)
    lineage = list((paths.lineage_dir(home) / "airflow").glob("events*"))
    for label, where in (("published warehouse", published_path(home)), ("evidence", audit),
                         ("data docs", audit / "data_docs" / "marts" / "index.html"),
                         ("dbt docs", published_docs(home)),
                         ("lineage", f"{paths.lineage_dir(home)} ({len(lineage)} OpenLineage events)")):
        console.print(f"  {label:<20} {where}")
    console.print("  dashboard            carepulse dashboard   (or: make dashboard)")
    console.print("  audit                carepulse audit verify")
    if published_path(home).exists():
        from lineage.trace import examples

        console.print("Trace a published number to its raw evidence:")
        for args in examples(published_path(home)):
            console.print(f"  uv run carepulse lineage trace {' '.join(args)}", markup=False)


def print_mart_counts(db: Path, console: Console) -> None:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                           "where table_schema = 'marts' order by 1").fetchall()]
        table = Table("mart", "rows", title=f"marts in {db.name}")
        for name in names:
            (n,) = con.execute(f'select count(*) from marts."{name}"').fetchone()
            table.add_row(name, f"{n:,}")
    finally:
        con.close()
    console.print(table)


@contextmanager
def _only_stack_on(home: Path):
    """One scheduler stack per home: a second would delete the first one's files."""
    import fcntl

    home.mkdir(parents=True, exist_ok=True)
    lock = home / "scheduler.lock"
    with lock.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise ServiceError(f"another scheduler stack runs on {home} ({handle.read().strip()}); "
                               "stop it (Ctrl-C in its terminal) first") from None
        handle.truncate(0)
        handle.write(f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n")
        handle.flush()
        yield


def scheduler_demo(loaded: LoadedConfig, night: date, nights: int, volume: int, executor: str,
                   keep_running: bool, console: Console) -> str:
    """The night through the real scheduler (processes, not containers); the run's state.

    The stack's own files (Postgres, AIRFLOW_HOME, component logs) go to
    `$CAREPULSE_HOME/scheduler/` and are recreated on every start; the warehouse and evidence
    are the home's, as with `carepulse demo`.
    """
    import time

    from carepulse.airflow_local import logical_date
    from deploy.stack import SchedulerStack
    from extract.simulator.server import SimulatorServer

    home = paths.home().resolve()
    root = home / "scheduler"
    say = lambda m: console.print(m, highlight=False)  # noqa: E731
    with _only_stack_on(home), SimulatorServer(loaded.config, mentions_per_night=volume, port=0) as sim:
        console.print(f"simulator on {sim.url}; CAREPULSE_HOME={home}")
        env_values = demo_credentials(loaded, console)
        with SchedulerStack(root, home, env_values, executor=executor, config=loaded.path,
                            extra_env={"CAREPULSE_SIMULATOR_URL": sim.url}, say=say) as stack:
            user = stack.values["_AIRFLOW_WWW_USER_USERNAME"]
            password = stack.values["_AIRFLOW_WWW_USER_PASSWORD"]
            console.print(f"Airflow UI: [bold]{stack.ui_url}[/bold]  login: {user} / {password}")
            run_id = stack.trigger(logical_date(night), {"history_days": nights})
            console.print(f"triggered {run_id} for night {night} (backfilling {nights} nights when "
                          "nothing is published yet)")
            state = stack.wait(run_id, timeout=3 * 3600)
            print_summary(home, state, run_id, console)
            console.print(f"component logs: {stack.logs}; task logs: {stack.airflow_home / 'logs'}")
            if keep_running:
                console.print(f"Airflow UI stays up at [bold]{stack.ui_url}[/bold] (login {user} / "
                              f"{password}); Ctrl-C stops every process")
                try:
                    while True:
                        stack.check_alive()
                        time.sleep(5)
                except KeyboardInterrupt:
                    console.print("stopping the scheduler stack")
    return state
