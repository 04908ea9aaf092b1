"""Failure alerts: a failed Airflow task appends one JSON line to `audit/alerts.jsonl`.

The line names the DAG run, task, try and the error (masked like every log line), so the
team has a record even without a mail server; the next publish shows the night as partial
or failed in the data-health mart.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from carepulse import paths
from carepulse.secrets import mask

log = logging.getLogger("carepulse.alerts")


def alerts_file(home: Path | None = None) -> Path:
    return paths.audit_dir(home) / "alerts.jsonl"


def record_failure(context: dict[str, Any]) -> None:
    """Airflow on_failure_callback: record the failure; never raise from here."""
    try:
        ti = context.get("task_instance") or context.get("ti")
        error = context.get("exception")
        _append({
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "dag_id": getattr(ti, "dag_id", None),
            "run_id": getattr(ti, "run_id", None) or context.get("run_id"),
            "task_id": getattr(ti, "task_id", None),
            "map_index": getattr(ti, "map_index", None),
            "try_number": getattr(ti, "try_number", None),
            "error": mask(f"{type(error).__name__}: {error}") if error else None,
        })
    except Exception:  # a broken callback must not hide the task's own failure
        log.exception("could not record the failure alert")


def record_alert(home: Path, step: str, error: BaseException) -> None:
    """A step that carries on after a failure (the night is not lost) records it all the same."""
    _append({"at": datetime.now(UTC).isoformat(timespec="seconds"), "task_id": step,
             "error": mask(f"{type(error).__name__}: {error}")}, home)


def _append(entry: dict[str, Any], home: Path | None = None) -> None:
    target = alerts_file(home)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    log.error("alert recorded in %s: %s %s", target, entry["task_id"], entry["error"])


def run_failed(context: dict[str, Any]) -> None:
    """Airflow DAG-level on_failure_callback: the failed run gives the home back (its lease)."""
    try:
        from carepulse.home_lock import release_lease

        dag_run = context.get("dag_run")
        release_lease(paths.home(), getattr(dag_run, "run_id", None) or context.get("run_id"))
    except Exception:  # never raise from a callback
        log.exception("could not release the run's lease on the home")
