"""Write-audit-publish: the candidate replaces the published warehouse only after the gate,
and only once the evidence of what it publishes is sealed.

The gate's verdict is written to `audit/<run_id>/gate.json` together with the sha256 of the
candidate it judged, so `publish` can refuse a candidate that changed after validation or
that never passed. A publish is one recoverable transaction:

    publish.json -> intent (warehouse/publishing.json) -> evidence sealed -> os.replace -> intent removed

The swap is one `os.replace` in the warehouse folder: readers see the old file or the new
one, never a half-written one. A process that dies anywhere in between leaves the intent,
and the next writer (`recover`) either completes the publish (the bundle was sealed: the
evidence names the candidate, so it is swapped in) or reverts it (never sealed: the published
file was not touched; the half-written bundle is removed). On refusal the published file is
untouched and the candidate stays for inspection.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from carepulse import paths
from extract.landing import atomic_write, sha256_file
from transform.build import candidate_path, published_path

INTENT = "publishing.json"
DOCS_PAGE = "dbt_docs.html"
# What the last publish knew of the published file: its sha256 and the mart digests' parts,
# valid while the file is the one it describes (same inode, size and mtime): a night then hashes
# the warehouse once (the gate), not three times, and sums only the mart rows it wrote.
RECORD = "published_state.json"


class PublishRefused(RuntimeError):
    """The candidate is missing, failed a check, or is not the file the gate judged."""


class PublishRecoveryFailed(RuntimeError):
    """An interrupted publish can be neither completed nor reverted automatically."""


@dataclass
class PublishResult:
    published: Path
    sha256: str
    previous_sha256: str | None
    record: Path


def file_state(path: Path) -> dict[str, int]:
    """What identifies one version of a file without reading it (a rewrite changes one of them)."""
    st = path.stat()
    return {"inode": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def published_state(home: Path) -> dict:
    """The last publish's record of the published file ({"sha256", "file", "mart_parts"}), or {}
    when there is none or the file is no longer the one it describes."""
    path, published = paths.warehouse_dir(home) / RECORD, published_path(home)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return doc if doc.get("file") == file_state(published) else {}
    except (OSError, ValueError):
        return {}


def record_published(home: Path, sha: str, mart_parts: dict) -> None:
    doc = {"sha256": sha, "file": file_state(published_path(home)), "mart_parts": mart_parts}
    atomic_write(paths.warehouse_dir(home) / RECORD, json.dumps(doc).encode(), mode=0o644)


def hash_candidate(candidate: Path) -> tuple[str, dict[str, int]] | None:
    """The candidate's sha256 with the identity the file had before it was read (record_gate
    uses the hash only if the file still has it): may run in a thread beside the gate."""
    try:
        state = file_state(candidate)
        return sha256_file(candidate), state
    except FileNotFoundError:
        return None


def record_gate(audit: Path, candidate: Path, stages: dict[str, dict],
                hashed: tuple[str, dict[str, int]] | None = None) -> Path:
    """Write gate.json: per stage (raw, marts) success and failures, and the candidate's hash
    (with the file's identity, so that publish need not read it again if it is unchanged).
    `hashed`: hash_candidate's result, computed while the gate ran."""
    exists = candidate.exists()
    state = file_state(candidate) if exists else None
    if exists and not (hashed and hashed[1] == state):
        hashed = hash_candidate(candidate)
    doc = {
        "candidate_sha256": hashed[0] if exists and hashed else None,
        "candidate_file": hashed[1] if exists and hashed else None,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "passed": all(s.get("success") for s in stages.values()) and bool(stages),
        "stages": stages,
    }
    target = audit / "gate.json"
    atomic_write(target, json.dumps(doc, indent=1, sort_keys=True).encode(), mode=0o644)
    return target


def _gate(audit: Path) -> dict:
    path = audit / "gate.json"
    if not path.exists():
        raise PublishRefused(f"{path}: no quality-gate record; run `carepulse validate` first")
    return json.loads(path.read_text(encoding="utf-8"))


def _checked_candidate(home: Path, audit: Path) -> str:
    """The candidate's sha256, once every refusal has been ruled out."""
    candidate = candidate_path(home)
    if not candidate.exists():
        raise PublishRefused(f"{candidate}: no candidate warehouse to publish")
    if candidate.with_name(candidate.name + ".wal").exists():
        raise PublishRefused(f"{candidate}: a write-ahead log is still open (a writer is running?)")
    gate = _gate(audit)
    if not gate.get("passed"):
        failed = [f for s in gate["stages"].values() for f in s.get("failures", [])]
        raise PublishRefused("quality gate failed; published warehouse unchanged; failed: "
                             + ("; ".join(failed) or "see " + str(audit / "gate.json")))
    unchanged = gate.get("candidate_file") is not None and gate["candidate_file"] == file_state(candidate)
    sha = gate["candidate_sha256"] if unchanged else sha256_file(candidate)
    if sha != gate["candidate_sha256"]:
        raise PublishRefused(f"{candidate}: changed after validation (sha256 {sha[:12]} != "
                             f"{str(gate['candidate_sha256'])[:12]}); validate again")
    return sha


def publish(home: Path, audit: Path, seal: Callable[[], object] | None = None) -> PublishResult:
    """Swap the validated candidate in; raise PublishRefused (published file untouched) if not.

    `seal` writes and seals the run's evidence; it runs after publish.json and before the swap,
    so a published warehouse always has its sealed bundle (callers that publish for real pass
    it: `carepulse.nightly.publish`)."""
    candidate, published = candidate_path(home), published_path(home)
    sha = _checked_candidate(home, audit)
    previous = (published_state(home).get("sha256") or sha256_file(published)) if published.exists() else None
    record = audit / "publish.json"
    doc = {"published": str(published.name), "sha256": sha, "previous_sha256": previous,
           "published_at": datetime.now(UTC).isoformat(timespec="seconds")}
    atomic_write(record, json.dumps(doc, indent=1, sort_keys=True).encode(), mode=0o644)
    _write_intent(home, audit.name, sha)
    if seal is not None:
        try:
            seal()
        except BaseException:
            _revert(home, audit.name)
            raise
    _swap(candidate, published)
    _finish(home, audit)
    return PublishResult(published, sha, previous, record)


def _swap(candidate: Path, published: Path) -> None:
    with candidate.open("rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(candidate, published)
    dir_fd = os.open(published.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


# -- the intent, and finishing or undoing what it announced -----------------------------------------


def _intent_path(home: Path) -> Path:
    return paths.warehouse_dir(home) / INTENT


def _write_intent(home: Path, run_id: str, sha: str) -> None:
    doc = {"run_id": run_id, "sha256": sha, "at": datetime.now(UTC).isoformat(timespec="seconds")}
    atomic_write(_intent_path(home), json.dumps(doc).encode(), mode=0o644)


def published_docs(home: Path) -> Path:
    """The dbt docs page of the published warehouse (lineage graph, model and column docs)."""
    return home / "docs" / "dbt" / "index.html"


def _finish(home: Path, audit: Path) -> None:
    """After the swap: the run's docs page becomes the published one; the intent goes."""
    page = audit / DOCS_PAGE
    if page.exists():
        target = published_docs(home)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(page, target)
    _intent_path(home).unlink(missing_ok=True)


def _revert(home: Path, run_id: str) -> None:
    """Undo a publish whose evidence was never sealed: the published file was not touched."""
    from carepulse.audit import BUNDLE, sealed_run_ids

    audit = paths.audit_dir(home) / run_id
    if run_id not in sealed_run_ids(home):
        (audit / BUNDLE).unlink(missing_ok=True)
    (audit / "publish.json").unlink(missing_ok=True)
    _intent_path(home).unlink(missing_ok=True)


def interrupted(home: Path) -> dict | None:
    """The intent of a publish that a dead process left unfinished, if any."""
    path = _intent_path(home)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def recover(home: Path) -> str | None:
    """Complete or revert a publish a dead process left half done; what was done, or None.

    Only a writer holding the home calls this (commands under the home lock, the DAG's first
    task), so nothing else is publishing."""
    from carepulse.audit import sealed_run_ids

    intent = interrupted(home)
    if intent is None:
        return None
    run_id, sha = intent["run_id"], intent["sha256"]
    audit = paths.audit_dir(home) / run_id
    if run_id not in sealed_run_ids(home):
        _revert(home, run_id)
        return (f"reverted the interrupted publish of run {run_id}: its evidence was never sealed and "
                "the published warehouse was not touched")
    candidate, published = candidate_path(home), published_path(home)
    if candidate.exists() and sha256_file(candidate) == sha:
        _swap(candidate, published)
    elif not (published.exists() and sha256_file(published) == sha):
        raise PublishRecoveryFailed(
            f"run {run_id} sealed the publish of a warehouse with sha256 {sha[:12]}, but neither "
            f"{candidate} nor {published} is that file; restore it from a backup, or run the night "
            f"again (`carepulse run --date ...`) to publish a new one")
    _finish(home, audit)
    return f"completed the interrupted publish of run {run_id} (sha256 {sha[:12]})"
