"""Run a night's extraction: plan shards, resume what a crash left, land pages, write the manifest.

The same three steps serve the CLI (all in one process) and the Airflow DAG (one mapped
task per shard): `open_run` -> `extract_shard` for each shard -> `finalize_run`.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from carepulse.config import LoadedConfig
from carepulse.secrets import MissingSecret, get_secret, mask
from extract.base import Connector, ConnectorContext, Night, Shard
from extract.errors import AuthFailed, ExtractError, QuotaExhausted, RateLimitTooLong
from extract.http import Budget, Fetched, RetryPolicy
from extract.manifest import ExtractionRun
from extract.plan import plan_shards

log = logging.getLogger("extract.runner")

CONNECTORS = {
    "youtube": "extract.youtube:YouTubeConnector",
    "reddit": "extract.reddit:RedditConnector",
    "mastodon": "extract.mastodon:MastodonConnector",
    "bluesky": "extract.bluesky:BlueskyConnector",
    "x": "extract.x:XConnector",
}
# Errors after which no further shard of the platform can succeed tonight.
PLATFORM_STOPPERS = (QuotaExhausted, AuthFailed, RateLimitTooLong, MissingSecret)

# The first word of every partial reason, so data-health reports can group them.
REASON_KINDS = {QuotaExhausted: "quota_exhausted", AuthFailed: "auth_failed",
                RateLimitTooLong: "rate_limited", MissingSecret: "missing_credential"}

ProgressFn = Callable[[str, dict[str, Any]], None]


def _reason(exc: Exception) -> str:
    return f"{REASON_KINDS.get(type(exc), 'request_failed')}: {mask(exc)}"


def _no_progress(event: str, data: dict[str, Any]) -> None:
    return None


@dataclass
class ShardResult:
    shard: str
    platform: str
    status: str
    reason: str | None
    pages: int
    records: int
    malformed: int


@dataclass
class PlatformSession:
    """One connector per platform per process, shared by its shards (token, budget, stats)."""

    platform: str
    connector: Connector | None
    stopped: str | None = None  # reason once a quota/auth problem ends the platform's night
    lock: threading.Lock = field(default_factory=threading.Lock)
    current: dict[str, Any] = field(default_factory=dict)  # shard and page being fetched
    max_pages: int = 1_000_000  # per shard per run (config max_pages_per_shard)


def connector_class(platform: str) -> type:
    module, _, name = CONNECTORS[platform].partition(":")
    return getattr(importlib.import_module(module), name)


def open_run(
    raw_root: Path, loaded: LoadedConfig, night: Night, platforms: list[str] | None = None,
    *, fresh: bool = False,
) -> tuple[ExtractionRun, list[Shard]]:
    """Resume an interrupted run, continue a partial one, or start a new one.

    - the latest run of the night never finished (crash): resume it where its journals end;
    - it finished partial (quota, auth, errors): a new run fetches only the partial shards,
      starting from their saved cursors;
    - otherwise (or with fresh=True): a new run of every shard, i.e. a rerun of the night.
    """
    shards = plan_shards(loaded.config, night, platforms)
    wanted = sorted({s.platform for s in shards})
    runs = [r for r in ExtractionRun.all_runs(raw_root, night.date) if r.info["platforms"] == wanted]
    latest = runs[-1] if runs and not fresh else None
    if latest is not None and not latest.finished:
        log.info("resuming interrupted run %s", latest.run_id)
        return latest, latest.planned_shards()
    if latest is not None and latest.manifest()["status"] == "partial":
        m = latest.manifest()
        todo = [s for s in latest.planned_shards() if m["shards"][s.id]["status"] != "complete"]
        cursors = {s.id: m["shards"][s.id]["resume_cursor"] for s in todo}
        log.info("continuing partial run %s: %d shard(s)", latest.run_id, len(todo))
        return ExtractionRun.create(raw_root, night, loaded, todo, continues=latest,
                                    start_cursors=cursors), todo
    return ExtractionRun.create(raw_root, night, loaded, shards), shards


def make_session(
    platform: str, loaded: LoadedConfig, run: ExtractionRun,
    policy_factory: Callable[[], RetryPolicy] | None = None,
) -> PlatformSession:
    """Build the platform's connector, or a stopped session naming why it cannot run."""
    pcfg = getattr(loaded.config.platforms, platform)
    try:
        credential = get_secret(pcfg.credential_env, purpose=f"{platform} credential")
    except MissingSecret as exc:
        return PlatformSession(platform, None, stopped=_reason(exc))
    policy = policy_factory() if policy_factory else RetryPolicy.from_config(loaded.config.extraction)
    session = PlatformSession(platform, None, max_pages=pcfg.max_pages_per_shard)
    current = session.current

    def on_malformed(fetched: Fetched, meta: dict) -> None:
        shard, page_no = current["shard"], current["page"]
        current["attempt"] = current.get("attempt", 0) + 1
        run.commit_malformed(shard, page_no, fetched, current["attempt"], meta.get("endpoint") or "")
        log.warning("%s: malformed response kept as evidence (%s)", shard.id, fetched.parse_error)

    ctx = ConnectorContext(platform, pcfg, credential, policy, Budget(pcfg.request_budget),
                           on_malformed=on_malformed)
    session.connector = connector_class(platform)(ctx)
    return session


def extract_shard(
    run: ExtractionRun, shard: Shard, session: PlatformSession,
    progress: ProgressFn = _no_progress,
) -> ShardResult:
    """Land every remaining page of one shard; record how it ended in its journal."""
    state = run.shard_state(shard.id)
    if state.ended:
        return _result(run, shard)
    removed = run.remove_uncommitted(shard)
    if removed:
        log.info("%s: removed %d uncommitted file(s) left by a crash", shard.id, len(removed))
    if state.exhausted:  # killed after its last page was committed, before it was marked done
        run.end_shard(shard, "complete", None, None)
        return _result(run, shard)
    if session.stopped:
        run.end_shard(shard, "partial", f"skipped ({session.stopped})", state.cursor)
        return _result(run, shard)
    with session.lock:
        _fetch_pages(run, shard, session, state.cursor, state.next_page, progress)
    return _result(run, shard)


def _fetch_pages(run, shard, session, cursor, page_no, progress) -> None:
    current = session.current
    current.update(shard=shard, page=page_no, attempt=0)
    first_page = page_no
    try:
        for page in session.connector.pages(shard, cursor):
            if page_no - first_page >= session.max_pages:
                run.end_shard(shard, "partial", f"page_cap: reached max_pages_per_shard="
                              f"{session.max_pages}", cursor)
                return
            run.commit_page(shard, page_no, page)
            cursor = page.cursor
            progress("page", {"shard": shard.id, "platform": shard.platform,
                              "records": page.records})
            page_no += 1
            current.update(page=page_no, attempt=0)
            if page.cursor is None:
                break
    except PLATFORM_STOPPERS as exc:
        session.stopped = _reason(exc)
        run.end_shard(shard, "partial", session.stopped, cursor)
        log.warning("%s: stopping platform for tonight: %s", shard.platform, session.stopped)
        return
    except ExtractError as exc:
        run.end_shard(shard, "partial", _reason(exc), cursor)
        log.warning("%s: shard left partial: %s", shard.id, exc)
        return
    run.end_shard(shard, "complete", None, None)


def _result(run: ExtractionRun, shard: Shard) -> ShardResult:
    st = run.shard_state(shard.id)
    return ShardResult(shard.id, shard.platform, st.status or "partial", st.reason, st.pages,
                       st.records, sum(f.kind == "malformed" for f in st.files))


def finalize_run(run: ExtractionRun, sessions: dict[str, PlatformSession] | None = None) -> dict:
    stats = {p: s.connector.stats() for p, s in (sessions or {}).items() if s.connector}
    for s in (sessions or {}).values():
        if s.connector:
            s.connector.close()
    return run.finalize(stats)


@dataclass
class NightSummary:
    run_id: str
    manifest_path: Path
    manifest: dict[str, Any]
    results: list[ShardResult]


def extract_night(
    loaded: LoadedConfig, night_date: date, raw_root: Path, platforms: list[str] | None = None,
    *, fresh: bool = False, progress: ProgressFn = _no_progress,
    policy_factory: Callable[[], RetryPolicy] | None = None,
) -> NightSummary:
    """Extract one night in this process: platforms in parallel threads, shards in order."""
    night = Night(night_date)
    run, shards = open_run(raw_root, loaded, night, platforms, fresh=fresh)
    by_platform: dict[str, list[Shard]] = {}
    for s in shards:
        by_platform.setdefault(s.platform, []).append(s)
    progress("plan", {"run_id": run.run_id, "shards": {p: len(v) for p, v in by_platform.items()}})
    sessions = {p: make_session(p, loaded, run, policy_factory) for p in by_platform}

    def work(platform: str) -> list[ShardResult]:
        results = []
        for shard in by_platform[platform]:
            result = extract_shard(run, shard, sessions[platform], progress)
            progress("shard", {"platform": platform, "result": result})
            results.append(result)
        return results

    with ThreadPoolExecutor(max_workers=max(1, len(by_platform))) as pool:
        results = [r for rs in pool.map(work, by_platform) for r in rs]
    manifest = finalize_run(run, sessions)
    return NightSummary(run.run_id, run.manifest_path, manifest, results)
