"""One night of the raw zone as the gate sees it: finished manifests and the pages they list.

Read from files only (the warehouse is never opened). A page counts only when a finished
manifest lists it, exactly as for dbt's sources.

"Current" files: per shard, the pages of the latest run that fetched the shard from the
start, plus those of the runs that continued it from a saved cursor (a partial run's
continuation resumes where it stopped, so both hold part of the shard). A fresh rerun starts
every shard over, so the night's volume is not counted twice. Older runs stay evidence
(their hashes are still checked) but were gated when they were current.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from expectations.values import iso_utc
from extract.manifest import ExtractionRun


@dataclass(frozen=True)
class PageContext:
    """Where a page came from: its shard's time window and when it was fetched."""

    platform: str
    endpoint: str
    shard_kind: str
    since: datetime | None
    until: datetime | None
    fetched_at: datetime | None


@dataclass(frozen=True)
class LandedFile:
    run_id: str
    entry: dict[str, Any]  # the manifest's file entry (path, sha256, records, kind, endpoint, ...)
    shard: dict[str, Any]  # the manifest's shard entry (window, status, ...)
    current: bool

    @property
    def platform(self) -> str:
        return self.entry["endpoint"].split(".", 1)[0]

    def context(self) -> PageContext:
        return PageContext(platform=self.platform, endpoint=self.entry["endpoint"],
                           shard_kind=self.shard.get("kind", ""),
                           since=iso_utc(self.shard.get("since")),
                           until=iso_utc(self.shard.get("until")),
                           fetched_at=iso_utc(self.entry.get("fetched_at")))


@dataclass(frozen=True)
class ReadPage:
    file: LandedFile
    found: bool
    sha256_matches: bool
    envelope: dict[str, Any] | None  # None when missing or unreadable

    @property
    def body(self) -> Any:
        return (self.envelope or {}).get("body")


class RawNight:
    """The finished extraction runs of one night, oldest first."""

    def __init__(self, raw_root: Path, night: date):
        self.raw_root = Path(raw_root)
        self.night = night

    @cached_property
    def _runs(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(manifest, start cursors) of each finished run, oldest first."""
        runs = [r for r in ExtractionRun.all_runs(self.raw_root, self.night) if r.finished]
        pairs = [(r.manifest(), r.info.get("start_cursors") or {}) for r in runs]
        return sorted(pairs, key=lambda p: (p[0]["started_at"], p[0]["run_id"]))

    @property
    def manifests(self) -> list[dict[str, Any]]:
        return [m for m, _ in self._runs]

    @cached_property
    def _chains(self) -> tuple[dict[str, list[tuple[str, dict]]], dict[str, dict]]:
        """Per shard id: the current (run_id, file entry) list, and its latest shard entry."""
        chains: dict[str, list[tuple[str, dict]]] = {}
        shards: dict[str, dict] = {}
        for m, cursors in self._runs:
            by_shard: dict[str, list[dict]] = {}
            for f in m["files"]:
                by_shard.setdefault(f["shard"], []).append(f)
            for shard_id, info in m["shards"].items():
                if m.get("continues_run") is None or cursors.get(shard_id) is None:
                    chains[shard_id] = []  # fetched from the start: earlier runs are superseded
                chains.setdefault(shard_id, []).extend((m["run_id"], f) for f in by_shard.get(shard_id, []))
                shards[shard_id] = info
        return chains, shards

    def files(self) -> list[LandedFile]:
        """Every file of every finished run of the night, flagged current or superseded."""
        chains, _ = self._chains
        current = {(run_id, f["path"]) for chain in chains.values() for run_id, f in chain}
        return [LandedFile(m["run_id"], f, m["shards"].get(f["shard"], {}),
                           current=(m["run_id"], f["path"]) in current)
                for m in self.manifests for f in m["files"]]

    def read_pages(self) -> Iterator[ReadPage]:
        for landed in self.files():
            yield read_page(self.raw_root, landed)

    def current_records(self, endpoints: tuple[str, ...]) -> int:
        """Records the current pages of these endpoints hold, as the manifests count them."""
        chains, _ = self._chains
        return sum(f["records"] for chain in chains.values() for _, f in chain
                   if f["kind"] == "page" and f["endpoint"] in endpoints)

    def platform_status(self, platform: str) -> str | None:
        """complete / partial as the night stands now; None when the platform was not extracted."""
        _, shards = self._chains
        states = [s.get("status") for s in shards.values() if s.get("platform") == platform]
        if not states:
            return None
        return "complete" if all(s == "complete" for s in states) else "partial"

    def platform_totals(self, platform: str) -> dict[str, int]:
        """Runs, pages and malformed pages of the platform over all finished runs of the night."""
        runs = pages = malformed = records = 0
        for m in self.manifests:
            shards = [s for s in m["shards"].values() if s.get("platform") == platform]
            runs += bool(shards)
            pages += sum(s.get("pages", 0) for s in shards)
            malformed += sum(s.get("malformed_pages", 0) for s in shards)
            records += sum(s.get("records", 0) for s in shards)
        return {"runs": runs, "pages": pages, "malformed_pages": malformed, "records": records}


def read_page(raw_root: Path, landed: LandedFile) -> ReadPage:
    """Hash the stored bytes against the manifest, then read the envelope line."""
    path = Path(raw_root) / landed.entry["path"]
    try:
        data = path.read_bytes()
    except OSError:
        return ReadPage(landed, found=False, sha256_matches=False, envelope=None)
    matches = hashlib.sha256(data).hexdigest() == landed.entry.get("sha256")
    try:
        envelope = json.loads(gzip.decompress(data).split(b"\n", 1)[0])
    except (OSError, EOFError, ValueError):
        envelope = None
    return ReadPage(landed, found=True, sha256_matches=matches, envelope=envelope)


def previous_nights(night: date, days: int) -> list[date]:
    return [night - timedelta(days=i) for i in range(1, days + 1)]

