"""Airflow in this process: the nightly DAG run with `dag.test()` on a SQLite metadata DB.

What `make demo` and the end-to-end tests use; production runs the same DAG file under the
scheduler (docker-compose.yml). `configure` must run before anything imports Airflow, since
Airflow reads its configuration at import time.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from carepulse import paths

ROOT = Path(__file__).resolve().parent.parent
DAGS = ROOT / "dags"
DAG_ID = "social_listening_nightly"


def configure(home: Path) -> Path:
    """Point Airflow at `home/airflow` (SQLite) and OpenLineage at files under `home/lineage`."""
    airflow_home = home / "airflow"
    lineage = paths.lineage_dir(home) / "airflow"
    airflow_home.mkdir(parents=True, exist_ok=True)
    lineage.mkdir(parents=True, exist_ok=True)
    # one in-process dbt build unless asked for per-model Cosmos tasks (3x slower under dag.test)
    os.environ.setdefault("CAREPULSE_DBT_TASKS", "single")
    os.environ.update({
        "CAREPULSE_HOME": str(home),
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "carepulse",
        # one file per event: tasks never interleave writes
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(lineage / "events"), "append": False}),
    })
    return airflow_home


def migrate(airflow_home: Path) -> None:
    """Create the metadata DB once per home (about 15 s), then reuse it."""
    marker = airflow_home / ".migrated"
    if marker.exists():
        return
    from airflow.utils import db

    db.initdb()
    marker.touch()


def logical_date(night: date) -> datetime:
    """A manual run at this logical date processes `night`: its data interval is the day before
    (the 02:00 UTC trigger of CronTriggerTimetable)."""
    return datetime.combine(night + timedelta(days=1), time(2, 0), UTC)


def run_night(night: date, history_days: int = 1):
    """Run the DAG for `night` (triggered at 02:00 UTC the day after); returns the DagRun."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.dags[DAG_ID].test(logical_date=logical_date(night), run_conf={"history_days": history_days})


def main(argv: list[str] | None = None) -> int:
    """`python -m carepulse.airflow_local --night D [--history-days N]`: one DAG run, exit 0 on success.

    Runs with the environment it is given (CAREPULSE_HOME, platform credentials, endpoints), so
    tests can drive the real DAG in a separate process with its own Airflow configuration.
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--night", required=True, type=date.fromisoformat)
    parser.add_argument("--history-days", type=int, default=1)
    args = parser.parse_args(argv)
    airflow_home = configure(paths.home().resolve())
    migrate(airflow_home)
    dag_run = run_night(args.night, args.history_days)
    print(json.dumps({"run_id": dag_run.run_id, "state": str(dag_run.state)}))
    return 0 if str(dag_run.state) == "success" else 1


if __name__ == "__main__":
    raise SystemExit(main())
