"""Extraction runs: per-shard journals while running, one immutable manifest at the end.

Layout under the raw root:

    platform=<p>/date=<night>/run=<run_id>/<kind>-<key>/page-00001.jsonl.gz   verbatim pages
    manifests/date=<night>/run=<run_id>/run.json                             what was planned
    manifests/date=<night>/run=<run_id>/journal/<shard_id>.jsonl             committed pages
    manifests/date=<night>/run=<run_id>/requests/<platform>.jsonl            request statistics
    manifests/date=<night>/run=<run_id>/manifest.json                        the run's manifest

A page counts only once its journal line is fsynced, so after a crash the journal says
which files are complete and where each shard resumes. Each shard has its own journal,
so shards can be extracted by separate processes (Airflow mapped tasks) of one run.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets as pyrandom
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from carepulse.config import LoadedConfig
from carepulse.secrets import mask
from carepulse.version import code_version, library_versions
from extract.base import Night, Page, Shard
from extract.http import Fetched
from extract.landing import atomic_write, ensure_dir, gzip_text, sha256_bytes, sha256_file

MANIFEST_VERSION = 1
ENVELOPE_VERSION = 1


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _dumps(obj: Any) -> str:
    return mask(json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True))


@dataclass
class FileEntry:
    path: str  # relative to the raw root, POSIX separators
    sha256: str
    bytes: int
    records: int
    shard: str
    page: int
    kind: str  # "page" or "malformed" (a response that was not valid JSON; kept as evidence)
    endpoint: str
    http_status: int
    fetched_at: str


@dataclass
class ShardState:
    """A shard's progress as reconstructed from its journal."""

    cursor: dict[str, Any] | None = None
    next_page: int = 1
    status: str | None = None  # None while running; "complete" or "partial" once ended
    reason: str | None = None
    files: list[FileEntry] = field(default_factory=list)
    pages: int = 0
    records: int = 0
    exhausted: bool = False  # the last committed page said there was nothing after it

    @property
    def ended(self) -> bool:
        return self.status is not None


class JournalConflict(RuntimeError):
    """Another writer already committed this page or ended this shard (two writers on one run)."""


class ShardJournal:
    """Append-only, fsynced JSON-lines log of one shard's progress.

    Writers of a shard hold its lock (`locked`) from the check of what is committed, through
    writing the page file, to the journal line: a second writer of the same run (which the home
    lock should already prevent) can neither overwrite a committed page's file nor journal a
    page twice.
    """

    def __init__(self, path: Path):
        self.path = path

    @contextmanager
    def locked(self) -> Iterator[None]:
        ensure_dir(self.path.parent)
        fd = os.open(self.path.with_suffix(".lock"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def append(self, entry: dict[str, Any]) -> None:
        ensure_dir(self.path.parent)
        line = (_dumps(entry) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        entries = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a torn last line from a crash mid-append: that page never committed
        return entries


class ExtractionRun:
    """One extraction run of one night: creates, resumes and finalizes it."""

    def __init__(self, raw_root: Path, night: date, run_id: str):
        self.raw_root = Path(raw_root)
        self.night = night
        self.run_id = run_id
        self.dir = self.raw_root / "manifests" / f"date={night.isoformat()}" / f"run={run_id}"
        # per shard: (journal size, next page, ended) as this writer left it after its last append
        self._tails: dict[str, tuple[int, int, bool]] = {}

    # ---- creation and discovery -------------------------------------------------------

    @classmethod
    def create(
        cls, raw_root: Path, night: Night, loaded: LoadedConfig, shards: list[Shard],
        *, continues: ExtractionRun | None = None, start_cursors: dict[str, Any] | None = None,
    ) -> ExtractionRun:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        run = cls(raw_root, night.date, f"{night.date:%Y%m%d}-{stamp}-{pyrandom.token_hex(3)}")
        info = {
            "manifest_version": MANIFEST_VERSION,
            "run_id": run.run_id,
            "night": night.date.isoformat(),
            "interval": {"start": night.start.isoformat(), "end": night.end.isoformat()},
            "created_at": utcnow(),
            "config": {"path": loaded.path, "sha256": loaded.sha256,
                       "panel_version": loaded.config.panel.version},
            "code_version": code_version(),
            "library_versions": library_versions(),
            "platforms": sorted({s.platform for s in shards}),
            "shards": [_shard_info(s) for s in shards],
            "start_cursors": start_cursors or {},
            "continues_run": continues.run_id if continues else None,
        }
        atomic_write(run.dir / "run.json", (_dumps(info) + "\n").encode(), mode=0o400)
        return run

    @classmethod
    def all_runs(cls, raw_root: Path, night: date) -> list[ExtractionRun]:
        base = Path(raw_root) / "manifests" / f"date={night.isoformat()}"
        if not base.exists():
            return []
        runs = [cls(raw_root, night, p.name.removeprefix("run=")) for p in base.glob("run=*")]
        return sorted((r for r in runs if (r.dir / "run.json").exists()), key=lambda r: r.created_at)

    @property
    def info(self) -> dict[str, Any]:
        return json.loads((self.dir / "run.json").read_text(encoding="utf-8"))

    @property
    def created_at(self) -> str:
        return self.info["created_at"]

    @property
    def manifest_path(self) -> Path:
        return self.dir / "manifest.json"

    @property
    def finished(self) -> bool:
        return self.manifest_path.exists()

    def manifest(self) -> dict[str, Any]:
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def planned_shards(self) -> list[Shard]:
        return [_shard_from_info(d) for d in self.info["shards"]]

    # ---- per-shard progress -----------------------------------------------------------

    def journal(self, shard_id: str) -> ShardJournal:
        return ShardJournal(self.dir / "journal" / f"{shard_id}.jsonl")

    def shard_state(self, shard_id: str) -> ShardState:
        state = ShardState(cursor=self.info["start_cursors"].get(shard_id))
        for entry in self.journal(shard_id).read():
            if entry["type"] == "file":
                fe = FileEntry(**{k: entry[k] for k in FileEntry.__dataclass_fields__})
                state.files.append(fe)
                if fe.kind == "page":
                    state.cursor = entry["cursor_after"]
                    state.exhausted = state.cursor is None
                    state.next_page = fe.page + 1
                    state.pages += 1
                    state.records += fe.records
            elif entry["type"] == "shard_end":
                state.status, state.reason = entry["status"], entry.get("reason")
                state.cursor = entry.get("cursor")
        return state

    def _tail(self, shard_id: str) -> tuple[int, bool]:
        """(next page, ended) of a shard, under its journal lock. The journal is re-read only when
        its size is not the one this writer left (first use, or another writer appended), so a
        shard's pages cost one stat each rather than a read of the whole journal."""
        journal = self.journal(shard_id)
        size = journal.path.stat().st_size if journal.path.exists() else 0
        known = self._tails.get(shard_id)
        if known and known[0] == size:
            return known[1], known[2]
        state = self.shard_state(shard_id)
        return state.next_page, state.ended

    def _append(self, shard_id: str, entry: dict[str, Any], next_page: int, ended: bool) -> None:
        journal = self.journal(shard_id)
        journal.append(entry)
        self._tails[shard_id] = (journal.path.stat().st_size, next_page, ended)

    def shard_dir(self, shard: Shard) -> Path:
        return (self.raw_root / f"platform={shard.platform}" / f"date={self.night.isoformat()}"
                / f"run={self.run_id}" / shard.dirname)

    def remove_uncommitted(self, shard: Shard) -> list[str]:
        """Delete files a crash left behind that no journal line vouches for.

        Such a file was never committed (the crash hit between rename and journal append,
        or mid-write); its page is fetched again on resume.
        """
        directory = self.shard_dir(shard)
        if not directory.exists():
            return []
        with self.journal(shard.id).locked():  # never another writer's file in flight
            committed = {Path(f.path).name for f in self.shard_state(shard.id).files}
            removed = []
            for path in directory.iterdir():
                if path.name not in committed:
                    os.chmod(path, 0o600)
                    path.unlink()
                    removed.append(path.name)
        return removed

    def commit_page(self, shard: Shard, page_no: int, page: Page) -> FileEntry:
        envelope = _envelope(self.run_id, shard, page_no, page.endpoint, page.url, page.params,
                             page.status, page.headers)
        envelope["response_sha256"] = sha256_bytes(page.text.encode("utf-8"))
        envelope["body"] = page.body
        with self.journal(shard.id).locked():
            next_page, ended = self._tail(shard.id)
            if ended or page_no != next_page:
                raise JournalConflict(
                    f"{shard.id}: page {page_no} cannot be committed to run {self.run_id}: the journal "
                    f"{'ended the shard' if ended else f'expects page {next_page}'}; "
                    "another writer is working on this run")
            entry = self._write(shard, f"page-{page_no:05d}.jsonl.gz", envelope, page_no, "page",
                                page.records, verbatim=page.text if page.splice else None)
            self._append(shard.id, {"type": "file", **asdict(entry), "cursor_after": page.cursor},
                         page_no + 1, False)
        return entry

    def commit_malformed(self, shard: Shard, page_no: int, fetched: Fetched, attempt: int,
                         endpoint: str) -> FileEntry:
        """Keep a response that was not valid JSON, verbatim, as evidence (0 records)."""
        envelope = _envelope(self.run_id, shard, page_no, endpoint, fetched.url, {},
                             fetched.status, {})
        envelope.update(response_sha256=sha256_bytes(fetched.raw_bytes), body=None,
                        body_text=fetched.text, parse_error=fetched.parse_error)
        name = f"page-{page_no:05d}.malformed-{attempt}-{pyrandom.token_hex(2)}.jsonl.gz"
        with self.journal(shard.id).locked():
            next_page, ended = self._tail(shard.id)
            entry = self._write(shard, name, envelope, page_no, "malformed", 0)
            self._append(shard.id, {"type": "file", **asdict(entry), "cursor_after": None}, next_page, ended)
        return entry

    def end_shard(self, shard: Shard, status: str, reason: str | None,
                  cursor: dict[str, Any] | None) -> None:
        with self.journal(shard.id).locked():
            next_page, ended = self._tail(shard.id)
            if ended:
                raise JournalConflict(f"{shard.id}: already ended in run {self.run_id}; another "
                                      "writer is working on this run")
            self._append(shard.id, {"type": "shard_end", "status": status, "reason": reason,
                                    "cursor": cursor, "at": utcnow()}, next_page, True)

    def _write(self, shard: Shard, name: str, envelope: dict, page_no: int, kind: str,
               records: int, verbatim: str | None = None) -> FileEntry:
        # Request metadata is masked; the body stays exactly as the platform returned it.
        body = {k: envelope.pop(k) for k in ("body", "body_text") if k in envelope}
        data = gzip_text(_envelope_line(_dumps(envelope), body, verbatim))
        path = self.shard_dir(shard) / name
        atomic_write(path, data)
        return FileEntry(
            path=path.relative_to(self.raw_root).as_posix(), sha256=sha256_bytes(data),
            bytes=len(data), records=records, shard=shard.id, page=page_no, kind=kind,
            endpoint=envelope["endpoint"], http_status=envelope["http_status"],
            fetched_at=envelope["fetched_at"])

    # ---- request statistics -----------------------------------------------------------

    def record_requests(self, platform: str, stats: dict[str, float]) -> None:
        """Append what one process's connectors of a platform sent (requests, retries, waits).
        A line per process: a resumed or retried platform adds to what earlier ones sent."""
        ShardJournal(self.dir / "requests" / f"{platform}.jsonl").append(
            {"type": "requests", **stats, "at": utcnow()})

    def requests(self) -> dict[str, dict[str, float]]:
        """Per platform, the sum of every recorded line (a process killed first records none)."""
        totals: dict[str, dict[str, float]] = {}
        for path in sorted((self.dir / "requests").glob("*.jsonl")):
            platform = totals.setdefault(path.stem, {})
            for entry in ShardJournal(path).read():
                for key, value in entry.items():
                    if key not in ("type", "at"):
                        platform[key] = platform.get(key, 0) + value
        return totals

    # ---- the manifest -----------------------------------------------------------------

    def finalize(self) -> dict[str, Any]:
        """Write the run's manifest from the journals and the recorded request statistics;
        shards never ended count as partial."""
        info = self.info
        shards, files = {}, []
        for shard in self.planned_shards():
            state = self.shard_state(shard.id)
            status = state.status or "partial"
            reason = state.reason if state.status else "interrupted: the run stopped before this shard ended"
            shards[shard.id] = {
                **_shard_info(shard), "status": status, "reason": reason,
                "reason_kind": reason.split(":")[0].split(" ")[0] if reason else None,
                "resume_cursor": state.cursor if status == "partial" else None,
                "pages": state.pages, "records": state.records,
                "malformed_pages": sum(f.kind == "malformed" for f in state.files),
            }
            files += [asdict(f) for f in state.files]
        partial = {k: v["reason"] for k, v in shards.items() if v["status"] != "complete"}
        manifest = {
            **{k: info[k] for k in ("manifest_version", "run_id", "night", "interval", "config",
                                     "code_version", "library_versions", "platforms",
                                     "continues_run")},
            "started_at": info["created_at"],
            "finished_at": utcnow(),
            "status": "partial" if partial else "complete",
            "partial_reasons": partial,
            "previous_manifest": self._previous_manifest(),
            "requests": self.requests(),
            "totals": {
                "files": len(files),
                "pages": sum(1 for f in files if f["kind"] == "page"),
                "records": sum(f["records"] for f in files),
                "bytes": sum(f["bytes"] for f in files),
                "malformed_pages": sum(1 for f in files if f["kind"] == "malformed"),
            },
            "shards": shards,
            "files": files,
        }
        atomic_write(self.manifest_path, (_dumps(manifest) + "\n").encode(), mode=0o400)
        return manifest

    def _previous_manifest(self) -> dict[str, str] | None:
        """The last finished run of the same night, so reruns form a hash chain."""
        earlier = [r for r in ExtractionRun.all_runs(self.raw_root, self.night)
                   if r.finished and r.run_id != self.run_id]
        if not earlier:
            return None
        prev = earlier[-1].manifest_path
        return {"path": prev.relative_to(self.raw_root).as_posix(), "sha256": sha256_file(prev)}


def _envelope_line(meta_json: str, body: dict[str, Any], verbatim: str | None) -> str:
    """One JSON line: the masked metadata plus the body.

    A compact JSON response is spliced in as the bytes received (so the `body` value hashes
    to `response_sha256`, and no time is spent re-encoding it); a response spread over
    several lines (pretty-printed) is re-encoded onto one.
    """
    if verbatim is not None and "body" in body and "\n" not in verbatim and "\r" not in verbatim:
        return f'{meta_json[:-1]},"body":{verbatim.strip()}}}\n'
    extra = json.dumps(body, ensure_ascii=False, separators=(",", ":"))[1:]
    return f"{meta_json[:-1]},{extra}\n" if body else meta_json + "\n"


def _envelope(run_id: str, shard: Shard, page_no: int, endpoint: str, url: str, params: dict,
              status: int, headers: dict) -> dict[str, Any]:
    return {
        "envelope_version": ENVELOPE_VERSION, "run_id": run_id, "platform": shard.platform,
        "shard": shard.id, "shard_kind": shard.kind, "shard_key": shard.key, "page": page_no,
        "endpoint": endpoint, "url": url, "params": params, "http_status": status,
        "headers": headers, "fetched_at": utcnow(),
    }


def _shard_info(s: Shard) -> dict[str, Any]:
    return {"id": s.id, "platform": s.platform, "kind": s.kind, "key": s.key,
            "since": s.since.isoformat(), "until": s.until.isoformat(), "terms": list(s.terms),
            "hashtags": list(s.hashtags), "handles": list(s.handles), "exclude": list(s.exclude),
            "owned": s.owned}


def _shard_from_info(d: dict[str, Any]) -> Shard:
    return Shard(
        platform=d["platform"], kind=d["kind"], key=d["key"],
        since=datetime.fromisoformat(d["since"]), until=datetime.fromisoformat(d["until"]),
        terms=tuple(d["terms"]), hashtags=tuple(d["hashtags"]), handles=tuple(d["handles"]),
        exclude=tuple(d["exclude"]), owned=d["owned"])
