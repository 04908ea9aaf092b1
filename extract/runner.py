"""Run a night's extraction: plan shards, resume what a crash left, land pages, write the manifest.

One orchestration serves `carepulse extract`, `carepulse run` and the Airflow DAG (one mapped
task per platform and night): `open_run` -> `extract_platform` for each platform ->
`finalize_run`. Whatever the finalize step needs (journals, request statistics) is on disk,
so the three steps may run in different processes.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from carepulse.config import LoadedConfig
from carepulse.secrets import MissingSecret, get_secret, mask
from carepulse.sources import SOURCES
from extract.base import Connector, ConnectorContext, Night, Shard
from extract.errors import AuthFailed, ExtractError, QuotaExhausted, RateLimitTooLong
from extract.http import Budget, Fetched, RetryPolicy
from extract.manifest import ExtractionRun
from extract.plan import plan_shards

log = logging.getLogger("extract.runner")

CONNECTORS = {name: source.connector for name, source in SOURCES.items()}  # "module:Class"
# Errors after which no further shard of the platform can succeed tonight.
PLATFORM_STOPPERS = (QuotaExhausted, AuthFailed, RateLimitTooLong, MissingSecret)

# The first word of every partial reason, so data-health reports can group them.
REASON_KINDS = {QuotaExhausted: "quota_exhausted", AuthFailed: "auth_failed",
                RateLimitTooLong: "rate_limited", MissingSecret: "missing_credential"}

ProgressFn = Callable[[str, dict[str, Any]], None]


class ExtractionStopped(RuntimeError):
    """A shard not started because the process's extraction is stopping."""


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


class PlatformSession:
    """A platform's night in this process: shared budget and stop reason, a connector per worker.

    Workers (threads) each get their own connector, so `concurrency` shards of one platform
    can be in flight at once while the quota budget and a platform-wide stop stay shared.
    """

    def __init__(self, platform: str, factory: Callable[[dict], Connector] | None = None, *,
                 stopped: str | None = None, max_pages: int = 1_000_000):
        self.platform = platform
        self.stopped = stopped  # reason once a quota/auth problem ends the platform's night
        self.max_pages = max_pages  # per shard per run (config max_pages_per_shard)
        self._factory = factory
        self._local = threading.local()
        self._connectors: list[Connector] = []
        self._lock = threading.Lock()

    @property
    def current(self) -> dict[str, Any]:
        """The shard and page this worker is fetching (for landing malformed responses)."""
        if not hasattr(self._local, "current"):
            self._local.current = {}
        return self._local.current

    @property
    def connector(self) -> Connector:
        if not hasattr(self._local, "connector"):
            assert self._factory is not None
            self._local.connector = self._factory(self.current)
            with self._lock:
                self._connectors.append(self._local.connector)
        return self._local.connector

    def stats(self) -> dict[str, float]:
        totals: dict[str, float] = {"requests": 0, "retries": 0, "waited_s": 0.0}
        for c in self._connectors:
            for k, v in c.stats().items():
                totals[k] = totals.get(k, 0) + v
        return totals

    def close(self) -> None:
        for c in self._connectors:
            c.close()


def connector_class(platform: str) -> type:
    module, _, name = CONNECTORS[platform].partition(":")
    return getattr(importlib.import_module(module), name)


def open_run(
    raw_root: Path, loaded: LoadedConfig, night: Night, platforms: list[str] | None = None,
    *, fresh: bool = False, walk_reviews: bool = True,
) -> tuple[ExtractionRun, list[Shard]]:
    """Resume an interrupted run, continue a partial one, or start a new one.

    - the latest run of the night never finished (crash): resume it where its journals end;
    - it finished partial (quota, auth, errors): a new run fetches only the partial shards,
      starting from their saved cursors;
    - otherwise (or with fresh=True): a new run of every shard, i.e. a rerun of the night.
    """
    night.require_ended()
    shards = plan_shards(loaded.config, night, platforms, raw_root, walk_reviews)
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
    except MissingSecret:
        # journals and manifests name the config key, never the variable: a name pasted where
        # the secret belongs (or the secret pasted as the name) must not be stored
        return PlatformSession(platform, stopped=f"missing_credential: the environment variable named "
                                                 f"by platforms.{platform}.credential_env is not set")
    budget = Budget(pcfg.request_budget)  # shared by the platform's workers
    cls = connector_class(platform)

    def factory(current: dict[str, Any]) -> Connector:
        def on_malformed(fetched: Fetched, meta: dict) -> None:
            shard, page_no = current["shard"], current["page"]
            current["attempt"] = current.get("attempt", 0) + 1
            run.commit_malformed(shard, page_no, fetched, current["attempt"], meta.get("endpoint") or "")
            log.warning("%s: malformed response kept as evidence (%s)", shard.id, fetched.parse_error)

        policy = policy_factory() if policy_factory else RetryPolicy.from_config(loaded.config.extraction)
        return cls(ConnectorContext(platform, pcfg, credential, policy, budget, on_malformed=on_malformed,
                                    state_dir=run.raw_root / "state" / platform))

    return PlatformSession(platform, factory, max_pages=pcfg.max_pages_per_shard)


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


def extract_platform(
    run: ExtractionRun, platform: str, loaded: LoadedConfig, *,
    policy_factory: Callable[[], RetryPolicy] | None = None, progress: ProgressFn = _no_progress,
    stop: threading.Event | None = None,
) -> list[ShardResult]:
    """Every unfinished shard of one platform in this run, `concurrency` at a time.

    The platform's request statistics go to the run's state on disk before returning (even
    when a shard raised): the finalize step may be another process (an Airflow task).
    `stop`, once set, starts no further shard (another platform of the process failed).
    """
    shards = [s for s in run.planned_shards() if s.platform == platform]
    if not shards:
        return []
    session = make_session(platform, loaded, run, policy_factory)
    # a platform's shards share its rate limits and budget; platforms proceed independently
    pool = ThreadPoolExecutor(getattr(loaded.config.platforms, platform).concurrency,
                              thread_name_prefix=f"extract-{platform}")

    def one(shard: Shard) -> ShardResult:
        if stop is not None and stop.is_set():
            raise ExtractionStopped(f"{shard.id}: not started, the extraction was stopped")
        result = extract_shard(run, shard, session, progress)
        progress("shard", {"platform": platform, "result": result})
        return result

    try:
        return [f.result() for f in [pool.submit(one, s) for s in shards]]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        session.close()
        run.record_requests(platform, session.stats())


def finalize_run(run: ExtractionRun) -> dict:
    """The run's manifest, from its journals and the request statistics each platform left."""
    return run.finalize()


@dataclass
class NightSummary:
    run_id: str
    manifest_path: Path
    manifest: dict[str, Any]
    results: list[ShardResult]


def extract_night(
    loaded: LoadedConfig, night_date: date, raw_root: Path, platforms: list[str] | None = None,
    *, fresh: bool = False, progress: ProgressFn = _no_progress,
    policy_factory: Callable[[], RetryPolicy] | None = None, walk_reviews: bool = True,
) -> NightSummary:
    """Extract one night in this process: platforms in parallel threads."""
    run, shards = open_run(raw_root, loaded, Night(night_date), platforms, fresh=fresh,
                           walk_reviews=walk_reviews)
    counts: dict[str, int] = {}
    for s in shards:
        counts[s.platform] = counts.get(s.platform, 0) + 1
    progress("plan", {"run_id": run.run_id, "shards": counts})
    stop = threading.Event()
    with ThreadPoolExecutor(max(1, len(counts)), thread_name_prefix="extract") as pool:
        futures = [pool.submit(extract_platform, run, p, loaded, policy_factory=policy_factory,
                               progress=progress, stop=stop) for p in counts]
        try:
            results = [r for f in futures for r in f.result()]
        except BaseException:
            stop.set()  # the shards in flight finish; none starts (a resume picks them up)
            raise
    return NightSummary(run.run_id, run.manifest_path, finalize_run(run), results)
