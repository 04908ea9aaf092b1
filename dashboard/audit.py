"""Did the numbers on screen pass the quality gate? Read from the run's evidence bundle.

Publish writes `audit/<run_id>/publish.json` with the sha256 of the file it swapped in, beside
the gate's `gate.json` (which names the sha256 of the candidate it judged). The dashboard
hashes the published file it is reading and looks for the run whose records name that hash,
so the data-health panel speaks about exactly this file, not about whatever ran last. A later
run whose gate failed is reported too: its night is missing because publish refused it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from carepulse import paths
from dashboard.data import Snapshot
from extract.landing import sha256_file


@dataclass(frozen=True)
class GateStatus:
    """The quality-gate verdict behind the published file."""

    run_id: str | None = None  # audit folder of the publish that produced this file
    passed: bool | None = None  # None when no record names this file
    published_at: str | None = None
    stages: dict[str, bool] = field(default_factory=dict)
    failures: tuple[str, ...] = ()
    later_failed_run: str | None = None  # a newer run whose gate failed (nothing published)
    later_failures: tuple[str, ...] = ()


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _publish_record(audit: Path, sha: str) -> tuple[Path, dict] | None:
    """The newest audit folder whose publish.json swapped in the file with this sha256."""
    found = [(folder, doc) for folder in audit.glob("*/") if (doc := _read(folder / "publish.json"))
             and doc.get("sha256") == sha]
    return max(found, key=lambda item: item[1].get("published_at", "")) if found else None


def _later_failure(audit: Path, after: str) -> tuple[str, tuple[str, ...]] | None:
    """The newest gate recorded after `after` that failed, with its failures."""
    failed = [(doc.get("recorded_at", ""), folder.name, doc) for folder in audit.glob("*/")
              if (doc := _read(folder / "gate.json")) and not doc.get("passed")
              and doc.get("recorded_at", "") > after]
    if not failed:
        return None
    _, run_id, doc = max(failed, key=lambda item: item[0])
    return run_id, tuple(f for stage in doc.get("stages", {}).values() for f in stage.get("failures", []))


@st.cache_data(show_spinner=False, max_entries=16)
def _sha256(snap: Snapshot) -> str:
    """The published file's sha256, hashed once per published version."""
    return sha256_file(Path(snap.path))


def gate_status(snap: Snapshot, home: Path) -> GateStatus:
    """The gate verdict for this published version. The small JSON records are read on every
    rerun (not cached): a later failed run changes them without changing the published file."""
    audit = paths.audit_dir(home)
    record = _publish_record(audit, _sha256(snap))
    if record is None:
        return GateStatus()
    folder, published = record
    gate = _read(folder / "gate.json") or {}
    stages = gate.get("stages", {})
    judged_this_file = gate.get("candidate_sha256") == published.get("sha256")
    later = _later_failure(audit, published.get("published_at", ""))
    return GateStatus(
        run_id=folder.name, passed=bool(gate.get("passed")) and judged_this_file,
        published_at=published.get("published_at"),
        stages={name: bool(stage.get("success")) for name, stage in stages.items()},
        failures=tuple(f for stage in stages.values() for f in stage.get("failures", [])),
        later_failed_run=later[0] if later else None, later_failures=later[1] if later else ())
