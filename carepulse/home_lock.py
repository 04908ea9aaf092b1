"""One writer per CAREPULSE_HOME.

Two writers on one home corrupt it for good: both open (or "resume") the same extraction run,
journal the same pages twice and race on the candidate warehouse. So every step that writes
holds the home's writer lock:

- a command (`carepulse run`, `extract`, `transform`, `validate`, `publish`, `raw purge`) holds
  it exclusively for its whole life (`exclusive`);
- an Airflow run writes from many task processes at once, so its tasks hold it shared
  (`shared`), and the run holds a lease (`lease.json`) from `plan` until it publishes or
  fails, which commands respect between its tasks (`take_lease` / `release_lease`).

The lock is `flock(2)` on `$CAREPULSE_HOME/.writer.lock`: the kernel releases it when its
holder dies, so a crashed writer never blocks the next one. Refusals name the holder: its
command, pid, nights and start time, and what to do.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK = ".writer.lock"
LEASE = "lease.json"


class HomeBusy(RuntimeError):
    """Another writer holds the home; the message names it and says what to do."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _lock_file(home: Path):
    home.mkdir(parents=True, exist_ok=True)
    return (home / LOCK).open("a+", encoding="utf-8")


def _holder_text(handle) -> str | None:
    """The exclusive holder as recorded in the lock file; None when none is recorded (the
    holders are Airflow tasks, which share the lock and record nothing)."""
    handle.seek(0)
    try:
        holder = json.loads(handle.read() or "null")
    except json.JSONDecodeError:
        return None
    if not holder:
        return None
    nights = ", ".join(holder.get("nights") or []) or "-"
    return (f"`{holder.get('what')}` (pid {holder.get('pid')} on {holder.get('host')}, "
            f"night(s) {nights}, started {holder.get('started')})")


@contextmanager
def exclusive(home: Path, what: str, nights: list[str] | None = None) -> Iterator[None]:
    """Hold the home alone for a command; HomeBusy when another writer or an Airflow run has it."""
    handle = _lock_file(home)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lease = read_lease(home)
            holder = _holder_text(handle) or (_lease_text(lease) if lease else "Airflow tasks")
            raise HomeBusy(f"{home} is being written by {holder}; wait until it finishes "
                           "(or stop it), then run this again") from None
        lease = read_lease(home)
        if lease:
            raise HomeBusy(f"{home} is leased to {_lease_text(lease)}, which has not published or "
                           f"failed yet; wait for it, or if Airflow shows that run as finished, delete "
                           f"{home / LEASE} and run this again")
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"what": what, "pid": os.getpid(), "host": socket.gethostname(),
                                 "nights": nights or [], "started": _now()}))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
    finally:
        handle.close()  # releases the flock


@contextmanager
def shared(home: Path, task: str) -> Iterator[None]:
    """For one Airflow task: write beside the run's other tasks, never beside a command."""
    handle = _lock_file(home)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise HomeBusy(f"task {task}: {home} is being written by {_holder_text(handle) or 'a command'}; "
                           "the task fails and Airflow retries it later") from None
        yield
    finally:
        handle.close()


# -- the Airflow run's lease ------------------------------------------------------------------------


def read_lease(home: Path) -> dict | None:
    path = home / LEASE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {"run_id": "unknown (unreadable lease file)", "started": "?"}


def _lease_text(lease: dict) -> str:
    return f"Airflow run {lease.get('run_id')} (started {lease.get('started')})"


def take_lease(home: Path, run_id: str) -> None:
    """The DAG's first task: the home belongs to this run until it publishes or fails. Under
    max_active_runs=1 an older lease is a finished run's that was never released: replaced."""
    from extract.landing import atomic_write

    atomic_write(home / LEASE, json.dumps({"run_id": run_id, "started": _now()}).encode(), mode=0o644)


def release_lease(home: Path, run_id: str | None = None) -> None:
    """Drop the lease (only this run's, when `run_id` is given)."""
    lease = read_lease(home)
    if lease and (run_id is None or lease.get("run_id") == run_id):
        (home / LEASE).unlink(missing_ok=True)
