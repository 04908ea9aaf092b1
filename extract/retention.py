"""Raw-text retention: after `privacy.raw_text_retention_days`, raw pages are deleted.

Manifests stay as they are (immutable, still listing each file's sha256); a tombstone
line per deleted file goes to the run's `tombstones.jsonl`, so an auditor can tell a
purged file from a missing or altered one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from extract.manifest import ExtractionRun, ShardJournal, utcnow


@dataclass
class PurgeResult:
    files: int
    bytes: int
    runs: int


def tombstones(run: ExtractionRun) -> ShardJournal:
    return ShardJournal(run.dir / "tombstones.jsonl")


def purge_expired(raw_root: Path, retention_days: int, today: date, *, dry_run: bool = False) -> PurgeResult:
    """Delete raw pages of finished runs whose night is older than the retention window."""
    cutoff = today - timedelta(days=retention_days)
    files = size = runs = 0
    for night_dir in sorted((Path(raw_root) / "manifests").glob("date=*")):
        night = date.fromisoformat(night_dir.name.removeprefix("date="))
        if night >= cutoff:
            continue
        for run in ExtractionRun.all_runs(raw_root, night):
            if not run.finished:
                continue
            purged = _purge_run(run, retention_days, dry_run)
            files += purged[0]
            size += purged[1]
            runs += purged[0] > 0
    return PurgeResult(files, size, runs)


def _purge_run(run: ExtractionRun, retention_days: int, dry_run: bool) -> tuple[int, int]:
    files = size = 0
    for entry in run.manifest()["files"]:
        path = run.raw_root / entry["path"]
        if not path.exists():
            continue
        files += 1
        size += entry["bytes"]
        if dry_run:
            continue
        os.chmod(path, 0o600)
        path.unlink()
        tombstones(run).append({"path": entry["path"], "sha256": entry["sha256"],
                                "purged_at": utcnow(),
                                "reason": f"raw text retention of {retention_days} days"})
    return files, size
