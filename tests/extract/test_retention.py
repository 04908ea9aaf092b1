"""Retention deletes old raw pages, keeps manifests intact, and leaves a tombstone per file."""

from __future__ import annotations

import json
from datetime import timedelta

from extract.manifest import ExtractionRun
from extract.retention import purge_expired
from extract.runner import extract_night
from tests.extract.conftest import NIGHT


def test_purge_after_retention(scripted, loaded_config, tmp_path):
    raw = tmp_path / "raw"
    summary = extract_night(loaded_config, NIGHT, raw, ["x"])
    manifest_before = summary.manifest_path.read_bytes()
    n_files = len(summary.manifest["files"])

    kept = purge_expired(raw, 90, NIGHT + timedelta(days=90))
    assert kept.files == 0  # the night is exactly at the edge of the window

    dry = purge_expired(raw, 90, NIGHT + timedelta(days=91), dry_run=True)
    assert dry.files == n_files and all((raw / f["path"]).exists() for f in summary.manifest["files"])

    done = purge_expired(raw, 90, NIGHT + timedelta(days=91))
    assert done.files == n_files and done.runs == 1
    assert not any((raw / f["path"]).exists() for f in summary.manifest["files"])
    assert summary.manifest_path.read_bytes() == manifest_before
    [run] = ExtractionRun.all_runs(raw, NIGHT)
    stones = [json.loads(line) for line in (run.dir / "tombstones.jsonl").read_text().splitlines()]
    assert {s["path"] for s in stones} == {f["path"] for f in summary.manifest["files"]}
    assert purge_expired(raw, 90, NIGHT + timedelta(days=200)).files == 0
