"""Write-audit-publish: the candidate replaces the published warehouse only after the gate.

The gate's verdict is written to `audit/<run_id>/gate.json` together with the sha256 of the
candidate it judged, so `publish` can refuse a candidate that changed after validation or
that never passed. The swap is one `os.replace` in the warehouse folder: readers see the old
file or the new one, never a half-written one. On refusal the published file is untouched
and the candidate stays for inspection.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from extract.landing import atomic_write, sha256_file
from transform.build import candidate_path, published_path


class PublishRefused(RuntimeError):
    """The candidate is missing, failed a check, or is not the file the gate judged."""


@dataclass
class PublishResult:
    published: Path
    sha256: str
    previous_sha256: str | None
    record: Path


def record_gate(audit: Path, candidate: Path, stages: dict[str, dict]) -> Path:
    """Write gate.json: per stage (raw, marts) success and failures, and the candidate's hash."""
    doc = {
        "candidate_sha256": sha256_file(candidate) if candidate.exists() else None,
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


def publish(home: Path, audit: Path) -> PublishResult:
    """Swap the validated candidate in; raise PublishRefused (published file untouched) if not."""
    candidate, published = candidate_path(home), published_path(home)
    if not candidate.exists():
        raise PublishRefused(f"{candidate}: no candidate warehouse to publish")
    if candidate.with_name(candidate.name + ".wal").exists():
        raise PublishRefused(f"{candidate}: a write-ahead log is still open (a writer is running?)")
    gate = _gate(audit)
    if not gate.get("passed"):
        failed = [f for s in gate["stages"].values() for f in s.get("failures", [])]
        raise PublishRefused("quality gate failed; published warehouse unchanged; failed: "
                             + ("; ".join(failed) or "see " + str(audit / "gate.json")))
    sha = sha256_file(candidate)
    if sha != gate["candidate_sha256"]:
        raise PublishRefused(f"{candidate}: changed after validation (sha256 {sha[:12]} != "
                             f"{str(gate['candidate_sha256'])[:12]}); validate again")
    previous = sha256_file(published) if published.exists() else None
    with candidate.open("rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(candidate, published)
    dir_fd = os.open(published.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    record = audit / "publish.json"
    doc = {"published": str(published.name), "sha256": sha, "previous_sha256": previous,
           "published_at": datetime.now(UTC).isoformat(timespec="seconds")}
    atomic_write(record, json.dumps(doc, indent=1, sort_keys=True).encode(), mode=0o644)
    return PublishResult(published, sha, previous, record)
