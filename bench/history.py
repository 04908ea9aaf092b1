"""Write N nights of raw zone straight from the simulator's world: history for benchmarks.

    python bench/history.py --home DIR --mentions-per-night N --nights K [--start DATE] [--seed S]
                            [--cache DIR] [--workers 2]

Each night is landed as `carepulse run` lands it: the extractor's own plan (plan_shards), its
own connectors walking every shard page by page (search pages, video/channel/profile
lookups, YouTube comment threads of owned videos, owned-account pages, the per-platform
request budgets that leave YouTube partial at high volumes), its envelopes, page files
(raw/platform=<p>/date=<night>/run=<run>/<shard>/page-NNNNN.jsonl.gz), run.json, journals
and a finished manifest written by ExtractionRun.finalize (sha256, totals, shards, chain).
The simulator's clock is 02:00 after each night, as for a nightly run.

What it bypasses is the network path: no server, no socket. Requests go from the real
connectors to the simulator's platform handlers in this process (an httpx transport, and an
httplib2 stand-in for google-api-python-client), so there are no retries, rate-limit waits
or faults; pages are written without the per-page fsyncs and journal appends that make a
crash resumable (each shard's journal is written once, when it ends). That is fair for a
transform benchmark: the warehouse and its gates only read landed files and finished
manifests, which are the extractor's own bytes and structure here; what is skipped costs
extraction time (bench/extract.py measures that), not transform time.

--cache DIR keeps generated nights (keyed by volume, seed, config and the extractor and
simulator sources) and gives each home hard links to them, so a 10M-mention history is
generated once. Nights are spread over --workers processes (one simulated world each).
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httplib2  # noqa: E402
import httpx  # noqa: E402
from googleapiclient.discovery import build  # noqa: E402

from carepulse.config import LoadedConfig, load_config  # noqa: E402
from carepulse.demo import DEMO_CREDENTIALS  # noqa: E402
from extract.base import ConnectorContext, Night, Shard  # noqa: E402
from extract.http import Budget, RetryPolicy  # noqa: E402
from extract.landing import DIR_MODE, FILE_MODE, ensure_dir, gzip_text, sha256_bytes  # noqa: E402
from extract.manifest import ExtractionRun, FileEntry, _dumps, _envelope_line  # noqa: E402
from extract.plan import plan_shards  # noqa: E402
from extract.runner import PlatformSession, connector_class, extract_shard  # noqa: E402
from extract.simulator.faults import FaultPlan  # noqa: E402
from extract.simulator.platforms import Context, Request, Response  # noqa: E402
from extract.simulator.server import PLATFORM_CLASSES  # noqa: E402
from extract.simulator.world import World, to_ms  # noqa: E402
from extract.youtube import Exchange, KeyedHttp, YouTubeConnector  # noqa: E402

CONFIG = ROOT / "config" / "monitoring.yml"
RUN_HOUR = 2  # a nightly run starts at 02:00 UTC after its night


# -- the simulator, in this process ------------------------------------------------------------

class LocalSimulator:
    """The simulator's world and platform handlers without its HTTP server (and without faults)."""

    def __init__(self, loaded: LoadedConfig, seed: int, mentions_per_night: int):
        # a few nights of posts cached: a night reads its own day and the owned lookback
        self.world = World(loaded.config, seed=seed, mentions_per_night=mentions_per_night,
                           cache_posts=max(300_000, 4 * mentions_per_night))
        self.world.freeze_gc = True  # see World.freeze_gc: this process is the generator alone
        self.now_ms = 0
        ctx = Context(self.world, FaultPlan(), lambda: self.now_ms)
        self.platforms = {name: cls(ctx) for name, cls in PLATFORM_CLASSES.items()}

    def run_for(self, night: date) -> None:
        """Set the clock to the nightly run's start: engagement and search windows as of then."""
        self.now_ms = to_ms(datetime.combine(night + timedelta(days=1), dtime(RUN_HOUR), tzinfo=UTC))

    def clock(self) -> float:
        return self.now_ms / 1000

    def answer(self, method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes) -> Response:
        """What SimulatorServer.handle answers when no fault is planned."""
        parts = urlsplit(url)
        segment = parts.path.split("/", 2)[1]
        platform = self.platforms[segment]
        message = Message()
        for name, value in headers:
            message[name] = value
        req = Request.build(method, parts.path[len(segment) + 1:] or "/", parts.query, message, body,
                            f"{parts.scheme}://{parts.netloc}/{segment}", self.now_ms)
        endpoint = platform.route(req)
        if endpoint is None:
            return platform.not_found(req)
        response = platform.admit(req, endpoint) or endpoint.handler(req)
        response.headers.extend(platform.rate_headers(req, response))
        return response


class LocalTransport(httpx.BaseTransport):
    """httpx transport answering from the in-process simulator (X, Reddit, Mastodon, Bluesky)."""

    def __init__(self, sim: LocalSimulator):
        self.sim = sim

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        r = self.sim.answer(request.method, str(request.url), request.headers.items(), request.read())
        return httpx.Response(r.status, headers=[("content-type", r.content_type), *r.headers],
                              content=r.body, request=request)


class LocalHttp(KeyedHttp):
    """google-api-python-client's httplib2 transport, answering from the in-process simulator."""

    def __init__(self, sim: LocalSimulator, api_key: str, *, user_agent: str):
        super().__init__(api_key, timeout=30, user_agent=user_agent)
        self.sim = sim

    def request(self, uri, method="GET", body=None, headers=None, redirections=5,  # type: ignore[override]
                connection_type=None):
        sent = {**(headers or {}), "x-goog-api-key": self._api_key}
        r = self.sim.answer(method, uri, sent.items(), body or b"")
        fields = {"content-type": r.content_type, **{k.lower(): v for k, v in r.headers}}
        self.last = Exchange(r.status, {"status": str(r.status), **fields}, r.body)
        return httplib2.Response({"status": str(r.status), **fields}), r.body


def make_connector(platform: str, ctx: ConnectorContext, sim: LocalSimulator):
    """The platform's real connector, its requests answered in process."""
    if platform != "youtube":
        return connector_class(platform)(ctx, transport=LocalTransport(sim))
    conn = YouTubeConnector(ctx)
    conn._http = LocalHttp(sim, ctx.credential, user_agent=ctx.user_agent)
    conn._yt = build("youtube", "v3", http=conn._http, static_discovery=True, cache_discovery=False,
                     client_options={"api_endpoint": ctx.config.endpoint})
    return conn


# -- landing without the crash-safety path ---------------------------------------------------

class HistoryRun(ExtractionRun):
    """An ExtractionRun whose page files are written without fsync and whose journal lines stay
    in memory until their shard ends (then one write): crash resumption is not needed here.
    Envelopes, file names, FileEntry fields and the manifest are the extractor's own code."""

    def __init__(self, raw_root: Path, night: date, run_id: str):
        super().__init__(raw_root, night, run_id)
        self._lines: dict[str, list[str]] = {}
        self._dirs: set[Path] = set()

    def _tail(self, shard_id: str) -> tuple[int, bool]:
        known = self._tails.get(shard_id)
        return (known[1], known[2]) if known else (1, False)

    def _append(self, shard_id: str, entry: dict[str, Any], next_page: int, ended: bool) -> None:
        self._lines.setdefault(shard_id, []).append(_dumps(entry) + "\n")
        self._tails[shard_id] = (0, next_page, ended)
        if ended:
            journal = self.journal(shard_id).path
            ensure_dir(journal.parent)
            journal.write_text("".join(self._lines.pop(shard_id)), encoding="utf-8")
            os.chmod(journal, 0o600)

    def _write(self, shard: Shard, name: str, envelope: dict, page_no: int, kind: str,
               records: int, verbatim: str | None = None) -> FileEntry:
        body = {k: envelope.pop(k) for k in ("body", "body_text") if k in envelope}
        data = gzip_text(_envelope_line(_dumps(envelope), body, verbatim))
        path = self.shard_dir(shard) / name
        if path.parent not in self._dirs:
            ensure_dir(path.parent)
            self._dirs.add(path.parent)
        path.write_bytes(data)
        os.chmod(path, FILE_MODE)
        return FileEntry(
            path=path.relative_to(self.raw_root).as_posix(), sha256=sha256_bytes(data),
            bytes=len(data), records=records, shard=shard.id, page=page_no, kind=kind,
            endpoint=envelope["endpoint"], http_status=envelope["http_status"],
            fetched_at=envelope["fetched_at"])


# -- one night ---------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(seed: int, mentions_per_night: int) -> None:
    loaded = load_config(CONFIG)
    _WORKER.update(loaded=loaded, sim=LocalSimulator(loaded, seed, mentions_per_night))


def land_night(raw_root: Path, night: date) -> dict[str, Any]:
    """Extract one night into raw_root through the in-process simulator; its manifest's figures."""
    loaded: LoadedConfig = _WORKER["loaded"]
    sim: LocalSimulator = _WORKER["sim"]
    sim.run_for(night)
    started = time.perf_counter()
    # a steady night: review sources read their re-read window (no first-night walk each night)
    shards = plan_shards(loaded.config, Night(night), walk_reviews=False)
    run = HistoryRun.create(raw_root, Night(night), loaded, shards)
    policy = RetryPolicy.from_config(loaded.config.extraction, clock=sim.clock)
    sessions: dict[str, PlatformSession] = {}
    for platform in sorted({s.platform for s in shards}):
        pcfg = getattr(loaded.config.platforms, platform)
        budget = Budget(pcfg.request_budget)
        ctx = ConnectorContext(platform, pcfg, DEMO_CREDENTIALS[platform], policy, budget)
        sessions[platform] = PlatformSession(platform, lambda _, p=platform, c=ctx: make_connector(p, c, sim),
                                             max_pages=pcfg.max_pages_per_shard)
    for shard in shards:
        extract_shard(run, shard, sessions[shard.platform])
    manifest = finish(run, sessions)
    return {"night": night.isoformat(), "status": manifest["status"],
            "seconds": time.perf_counter() - started,
            **{k: manifest["totals"][k] for k in ("pages", "records", "bytes")}}


def finish(run: ExtractionRun, sessions: dict[str, PlatformSession]) -> dict[str, Any]:
    """Record each platform's request statistics and write the manifest (ExtractionRun.finalize)."""
    for session in sessions.values():
        session.close()
        run.record_requests(session.platform, session.stats())
    return run.finalize()


def _land(args: tuple[Path, date]) -> dict[str, Any]:
    return land_night(*args)


# -- many nights, cached ---------------------------------------------------------------------

def source_digest() -> str:
    """Hash of what shapes the generated bytes: the config and the extractor + simulator code."""
    h = hashlib.sha256(CONFIG.read_bytes())
    for path in sorted((ROOT / "extract").rglob("*.py")):
        h.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    return h.hexdigest()[:12]


def landed(raw_root: Path, night: date) -> bool:
    return any((raw_root / "manifests" / f"date={night}").glob("run=*/manifest.json"))


def generate(raw_root: Path, nights: list[date], mentions_per_night: int, seed: int,
             workers: int = 2, say=print) -> list[dict[str, Any]]:
    """Land every night not landed yet under raw_root, over `workers` processes."""
    todo = [n for n in nights if not landed(raw_root, n)]
    say(f"{raw_root}: {len(nights) - len(todo)} of {len(nights)} night(s) already landed, "
        f"generating {len(todo)} at {mentions_per_night:,} mentions a night ({workers} process(es))")
    if not todo:
        return []
    ensure_dir(raw_root)
    started, done = time.perf_counter(), []
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no state inherited from the caller
    with ctx.Pool(max(1, min(workers, len(todo))), _init_worker, (seed, mentions_per_night)) as pool:
        for result in pool.imap_unordered(_land, [(raw_root, n) for n in todo]):
            done.append(result)
            wall = time.perf_counter() - started
            say(f"  {len(done)}/{len(todo)} nights: {result['night']} {result['status']}, "
                f"{result['records']:,} items in {result['pages']:,} pages, {result['seconds']:.1f} s; "
                f"{len(done) * mentions_per_night / wall:,.0f} mentions/s overall")
    wall = time.perf_counter() - started
    say(f"generated {len(todo)} night(s), {len(todo) * mentions_per_night:,} mentions "
        f"({sum(r['records'] for r in done):,} items, {sum(r['bytes'] for r in done) / 1e6:,.0f} MB) "
        f"in {wall:.1f} s: {len(todo) * mentions_per_night / wall:,.0f} mentions/s")
    return sorted(done, key=lambda r: r["night"])


def link_nights(source: Path, raw_root: Path, nights: Iterable[date]) -> None:
    """Give raw_root these nights of another raw zone: hard links (a copy across filesystems)."""
    for night in nights:
        for src in [*source.glob(f"platform=*/date={night}"), source / "manifests" / f"date={night}"]:
            dst = raw_root / src.relative_to(source)
            ensure_dir(dst.parent)
            try:
                shutil.copytree(src, dst, copy_function=os.link)
            except (OSError, shutil.Error):
                shutil.rmtree(dst, ignore_errors=True)
                shutil.copytree(src, dst)
            os.chmod(dst, DIR_MODE)


def cache_root(cache: Path, mentions_per_night: int, seed: int) -> Path:
    return Path(cache) / f"v{mentions_per_night}-s{seed}-{source_digest()}"


def history(home: Path, nights: list[date], mentions_per_night: int, seed: int = 7,
            cache: Path | None = None, workers: int = 2, say=print) -> list[dict[str, Any]]:
    """Land `nights` into home/raw: generated there, or generated once into the cache and linked."""
    for night in nights:
        Night(night).require_ended()  # as the extractor: a night is landed once it is over
    raw_root = Path(home) / "raw"
    if cache is None:
        return generate(raw_root, nights, mentions_per_night, seed, workers, say)
    source = cache_root(cache, mentions_per_night, seed)
    results = generate(source, nights, mentions_per_night, seed, workers, say)
    t0 = time.perf_counter()
    link_nights(source, raw_root, [n for n in nights if not landed(raw_root, n)])
    say(f"linked {len(nights)} night(s) from {source} into {raw_root} in {time.perf_counter() - t0:.1f} s")
    return results


def nights_from(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--home", type=Path, required=True, help="CarePulse home whose raw/ gets the nights")
    ap.add_argument("--mentions-per-night", type=int, required=True, help="simulated mentions a night")
    ap.add_argument("--nights", type=int, required=True, help="consecutive nights to land")
    ap.add_argument("--start", type=date.fromisoformat,
                    help="first night (default: the K nights ending the day before yesterday)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cache", type=Path, help="generate into this cache and hard-link into the home")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = ap.parse_args(argv)
    start = args.start or date.today() - timedelta(days=args.nights + 1)
    history(args.home, nights_from(start, args.nights), args.mentions_per_night, args.seed, args.cache,
            args.workers)


if __name__ == "__main__":
    main()
