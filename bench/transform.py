"""Benchmark: the dbt warehouse build at 100k and ~1M mentions, and one incremental night.

Extracts a history of simulated nights (--volume mentions each; the simulator's clock is set
to 02:00 after each night) and then, each scenario in a fresh $CAREPULSE_HOME holding only its
nights of the raw zone:
  1. full build of one night (100k mentions at the default volume);
  2. full build of --nights nights (1M), then one new night on top of it (incremental);
  3. full build of --extra-nights older nights + the same history (2M), then the same new
     night again: the incremental night should cost nearly the same over both histories.
Each build runs in a fresh process, as a nightly `carepulse transform` would:
transform.build.build_candidate (copy published -> candidate, `dbt build` in-process), then
os.replace(candidate, published), as publish will do.

Prints seconds per stage (dbt node seconds summed by layer; dbt runs 2 threads, so stages can
sum above the wall time), peak RSS (the build process, which runs dbt and DuckDB, alone and
with the sentiment pool's workers), row counts, and, after the 1M build, sentiment texts/s:
the warehouse's (int_sentiment_scores node; score_texts with default workers on the same
texts) against the stock single-process VADER loop on the same texts, in this same run.
Every step prints the load average: other work on the machine skews all of it.
Extraction is not measured (about 40 s a 100k night); --raw-cache DIR keeps the landed nights
for the next run. The extractor clips X's 7-day window by the wall clock, not the simulator's,
so X account shards of nights more than 6 days before the extraction day land partial.
Usage: python bench/transform.py [--volume 100000] [--nights 10] [--extra-nights 10] [--raw-cache DIR]
       python bench/transform.py --quick   (smoke run: 2,000 mentions a night, 2 + 2 nights)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import httpx  # noqa: E402
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from bench.extract import start_simulator  # noqa: E402
from carepulse.config import load_config  # noqa: E402
from carepulse.demo import DEMO_CREDENTIALS  # noqa: E402
from transform.build import build_candidate, candidate_path, published_path  # noqa: E402
from transform.sentiment import default_workers, score_texts  # noqa: E402

STAGES = ("seeds", "staging", "intermediate", "int_sentiment_scores", "marts", "tests", "unit tests")
LAYER = {"base": "staging", "stg": "staging", "src": "staging", "int": "intermediate",
         "fct": "marts", "dim": "marts"}
SCORED = "scored texts (int_sentiment_scores)"
MENTIONS, POSTS = "mentions (marts.fct_mentions)", "posts (int_posts_unified)"
BENCH_KEY = "bench-pseudonym-key-0123456789abcdef"  # throwaway: simulated authors only


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def load() -> str:
    """Other work on the machine skews every figure: the 1-minute load average (2 cores)."""
    return f"load average {os.getloadavg()[0]:.1f}"


# --- memory ------------------------------------------------------------------------------------

def _rss_mb(pid: int | str, field: str = "VmRSS:") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[str]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(stat.parent.name)
        except (OSError, IndexError, ValueError):
            continue
    return kids


class PeakMemory:
    """Peak RSS while the block runs: this process exactly (VmHWM, reset on entry) and, sampled
    every 0.25 s, this process + its child processes (the sentiment pool's workers)."""

    def __enter__(self) -> PeakMemory:
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux >= 4.0)
        self.total = self.kids = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        pid = os.getpid()
        while not self._stop.wait(0.25):
            kids = sum(_rss_mb(k) for k in _children(pid))
            self.kids = max(self.kids, kids)
            self.total = max(self.total, _rss_mb(pid) + kids)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.own = _rss_mb("self", "VmHWM:")
        self.total = max(self.total, self.own)

    def __str__(self) -> str:
        return f"peak RSS {self.own:,.0f} MB (process), {self.total:,.0f} MB with pool workers"


# --- raw zone ----------------------------------------------------------------------------------

def extract_nights(nights: list[date], volume: int, seed: int, cache: Path) -> None:
    """Land every night not yet in the cache's raw zone (a finished manifest)."""
    todo = [n for n in nights if not list((cache / "manifests" / f"date={n}").glob("run=*/manifest.json"))]
    say(f"raw zone {cache}: {len(nights) - len(todo)} of {len(nights)} nights cached, extracting {len(todo)}")
    if not todo:
        return
    from extract.runner import extract_night

    proc, url = start_simulator(volume, seed)
    try:
        os.environ["CAREPULSE_SIMULATOR_URL"] = url
        loaded = load_config(ROOT / "config/monitoring.yml")
        for name, pcfg in loaded.config.platforms.enabled().items():
            os.environ.setdefault(pcfg.credential_env, DEMO_CREDENTIALS[name])
        started = time.perf_counter()
        for i, night in enumerate(todo, 1):
            # the simulator's "now": 02:00 after the night, as a nightly run would see it (X's
            # recent search only serves the last 7 days of "now")
            httpx.post(f"{url}/_sim/clock", json={"now": f"{night + timedelta(days=1)}T02:00:00Z"},
                       timeout=30).raise_for_status()
            t0 = time.perf_counter()
            m = extract_night(loaded, night, cache).manifest
            kinds = Counter(".".join(k.split(".")[:2]) for k in m["partial_reasons"])
            partial = ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items())) or "none"
            say(f"  extracted {night} ({i}/{len(todo)}): {m['totals']['records']:,} items, "
                f"{m['status']}, {time.perf_counter() - t0:.1f} s; partial shards: {partial}")
        say(f"extraction: {len(todo)} nights in {time.perf_counter() - started:.0f} s (not measured)")
    finally:
        proc.terminate()
        proc.wait(10)


def link_nights(cache: Path, home: Path, nights: list[date]) -> None:
    """Give `home` these nights of the cached raw zone (hard links; a copy across filesystems)."""
    raw = home / "raw"
    for night in nights:
        for src in [*cache.glob(f"platform=*/date={night}"), cache / "manifests" / f"date={night}"]:
            dst = raw / src.relative_to(cache)
            try:
                shutil.copytree(src, dst, copy_function=os.link)
            except (OSError, shutil.Error):
                shutil.rmtree(dst, ignore_errors=True)
                shutil.copytree(src, dst)


# --- builds ------------------------------------------------------------------------------------

def stage_of(unique_id: str) -> str:
    kind, _, name = unique_id.split(".", 2)
    if kind == "test":
        return "tests"
    if kind == "unit_test":
        return "unit tests"
    if kind == "seed":
        return "seeds"
    name = name.rsplit(".", 1)[-1]
    if kind != "model":
        return kind  # hooks ("operation") and whatever else dbt adds
    if name == "int_sentiment_scores":
        return name
    return LAYER.get(name.split("_")[0], "other models")


def all_stages(builds: list[Build]) -> list[str]:
    seen = {stage_of(uid) for b in builds for uid in b.timings} - {"exposure"}  # never executed
    return [s for s in STAGES if s in seen] + sorted(seen - set(STAGES))


def counts(db: Path) -> dict[str, int]:
    queries = {
        POSTS: "select count(*) from intermediate.int_posts_unified",
        "distinct texts": "select count(distinct text_hash) from intermediate.int_posts_unified "
                          "where text_hash is not null and text_redacted is not null",
        SCORED: "select count(*) from intermediate.int_sentiment_scores",
        MENTIONS: "select count(*) from marts.fct_mentions",
        "post snapshots (fct_post_engagement_daily)": "select count(*) from marts.fct_post_engagement_daily",
    }
    with duckdb.connect(str(db), read_only=True) as con:
        return {k: con.execute(q).fetchone()[0] for k, q in queries.items()}


def build_and_publish(home: Path, night: date, out: Path) -> None:
    """Child process body: one build_candidate + publish, as a nightly `carepulse transform` run."""
    loaded = load_config(ROOT / "config/monitoring.yml")
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        result = build_candidate(loaded, home, night=night)
        total = time.perf_counter() - t0
    candidate, published = candidate_path(home), published_path(home)
    if candidate.with_name(candidate.name + ".wal").exists():
        raise SystemExit(f"{candidate}.wal left behind: the candidate is not checkpointed")
    os.replace(candidate, published)  # what publish will do
    out.write_text(json.dumps({"total": total, "dbt": result.seconds, "timings": result.timings,
                               "rss": mem.own, "rss_workers": mem.total, "workers": mem.kids}))


class Build:
    """One build in a fresh process (dbt and DuckDB start cold, as each night will), with its figures."""

    def __init__(self, label: str, home: Path, night: date, before: Build | None = None):
        say(f"{label}: building ({night}), {load()} ...")
        out = home / "bench-build.json"
        subprocess.run([sys.executable, __file__, "--build-home", str(home), "--build-night",
                        night.isoformat(), "--build-out", str(out)], check=True)
        doc = json.loads(out.read_text())
        self.label, self.home = label, home
        self.total, self.dbt, self.timings = doc["total"], doc["dbt"], doc["timings"]
        self.rss, self.rss_workers, self.workers = doc["rss"], doc["rss_workers"], doc["workers"]
        self.rows = counts(published_path(home))
        self.stages: dict[str, float] = defaultdict(float)
        for uid, seconds in self.timings.items():
            self.stages[stage_of(uid)] += seconds
        prior = before.rows[SCORED] if before else 0
        self.new_texts = self.rows[SCORED] - prior
        self.report()

    def report(self) -> None:
        say(f"{self.label}: {self.total:.1f} s = dbt {self.dbt:.1f} s + config, copy published -> "
            f"candidate, dbt import {self.total - self.dbt:.1f} s; {len(self.timings)} nodes; peak RSS "
            f"{self.rss:,.0f} MB (process), {self.rss_workers:,.0f} MB with pool workers (workers alone "
            f"{self.workers:,.0f} MB); {load()}; warehouse "
            f"{published_path(self.home).stat().st_size / 1e6:,.0f} MB")
        for stage in all_stages([self]):
            n = sum(1 for uid in self.timings if stage_of(uid) == stage)
            if n:
                print(f"    {stage:22} {self.stages[stage]:8.1f} s  ({n} nodes)")
        sent = self.stages["int_sentiment_scores"]
        print(f"    sentiment node: {self.new_texts:,} texts scored, "
              f"{self.new_texts / sent if sent else 0:,.0f} texts/s (read, score, write)")
        top = sorted(self.timings.items(), key=lambda kv: -kv[1])[:8]
        print("    slowest nodes: " + ", ".join(f"{u.split('.')[2]} {s:.1f}s" for u, s in top))
        print("    rows: " + ", ".join(f"{k} {v:,}" for k, v in self.rows.items()), flush=True)


# --- sentiment ---------------------------------------------------------------------------------

def sentiment_comparison(db: Path, node: Build, repeat: int) -> dict[str, float]:
    """Stock single-process VADER loop vs score_texts (default workers) on the build's texts,
    interleaved `repeat` times; the best wall time of each is kept (other load on the machine)."""
    with duckdb.connect(str(db), read_only=True) as con:
        texts = [t for (t,) in con.execute(
            "select min(text_redacted) from intermediate.int_posts_unified "
            "where text_hash is not null and text_redacted is not null "
            "group by text_hash order by text_hash").fetchall()]
    n, workers, analyzer = len(texts), default_workers(), SentimentIntensityAnalyzer()
    best = {"stock": float("inf"), "pool": float("inf")}
    for i in range(1, max(repeat, 1) + 1):
        say(f"sentiment round {i}: stock loop on {n:,} distinct redacted texts of the build, {load()} ...")
        t0 = time.perf_counter()
        stock = [analyzer.polarity_scores(t)["compound"] for t in texts]
        best["stock"] = min(best["stock"], time.perf_counter() - t0)
        say(f"sentiment round {i}: score_texts, default workers ({workers}), {load()} ...")
        with PeakMemory() as mem:
            t0 = time.perf_counter()
            pairs = score_texts(texts)
            best["pool"] = min(best["pool"], time.perf_counter() - t0)
    same = sum(1 for (s, _), v in zip(pairs, stock, strict=True) if s == v)
    t_node = node.stages["int_sentiment_scores"]
    fig = {"texts": n, "stock": n / best["stock"], "pool": n / best["pool"],
           "node": node.new_texts / t_node if t_node else 0.0}
    for name, secs, key, note in (
            ("stock VADER loop, 1 process (1 score/text)", best["stock"], "stock", ""),
            (f"score_texts, {workers} workers (stock + adjusted)", best["pool"], "pool", f"  ({mem})"),
            ("int_sentiment_scores node in the build", t_node, "node", f"  ({node.new_texts:,} texts)")):
        print(f"    {name:46} {secs:7.1f} s {fig[key]:8,.0f} texts/s{note}")
    print(f"    ratio score_texts / stock loop: {fig['pool'] / fig['stock']:.2f}x texts/s "
          f"(best of {max(repeat, 1)}); warehouse node / stock loop: {fig['node'] / fig['stock']:.2f}x "
          "(goal >= 1.8x on 2 cores; the node shares the cores with dbt's other thread)")
    print(f"    stock compound of score_texts equals the loop's for {same:,} of {n:,} texts", flush=True)
    return fig


# --- main --------------------------------------------------------------------------------------

def fresh_home(workdir: Path, name: str) -> Path:
    home = workdir / name
    shutil.rmtree(home, ignore_errors=True)
    (home / "warehouse").mkdir(parents=True)
    return home


def human(n: int) -> str:
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n / 1e3:g}k"


def summary(builds: list[Build], fig: dict[str, float]) -> None:
    print("\nsummary: seconds per stage are dbt node seconds (2 threads); dbt wall and total are wall time")
    print(f"{'':22}" + "".join(f"{b.label:>18}" for b in builds))
    rows = [(stage, lambda b, s=stage: b.stages.get(s, 0.0)) for stage in all_stages(builds)]
    rows += [("dbt wall", lambda b: b.dbt), ("total (+ copy, import)", lambda b: b.total),
             ("peak RSS MB", lambda b: b.rss), ("  + pool workers MB", lambda b: b.rss_workers),
             ("texts scored", lambda b: b.new_texts), ("fct_mentions rows", lambda b: b.rows[MENTIONS]),
             ("posts", lambda b: b.rows[POSTS])]
    for name, get in rows:
        print(f"{name:22}" + "".join(f"{get(b):18,.1f}" if isinstance(get(b), float) else f"{get(b):18,}"
                                     for b in builds))
    print(f"sentiment texts/s on the same {fig['texts']:,} texts: stock loop {fig['stock']:,.0f}, "
          f"score_texts {fig['pool']:,.0f} ({fig['pool'] / fig['stock']:.2f}x), warehouse node "
          f"{fig['node']:,.0f} ({fig['node'] / fig['stock']:.2f}x); goal >= 1.8x on 2 cores")
    incr = [b for b in builds if b.label.startswith("incr")]
    if len(incr) == 2:
        a, b = incr
        print(f"incremental night: {a.total:.1f} s {a.label[5:]} vs {b.total:.1f} s {b.label[5:]} "
              f"-> {b.total / a.total:.2f}x (goal: nearly flat); dbt wall {a.dbt:.1f} vs {b.dbt:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--volume", type=int, default=100_000, help="simulated mentions per night")
    ap.add_argument("--nights", type=int, default=10, help="nights of the history (10 x 100k = 1M)")
    ap.add_argument("--extra-nights", type=int, default=10, help="older nights added for the larger history")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--last-night", type=date.fromisoformat, default=date(2026, 11, 26),
                    help="the incremental night; the history ends the night before (fixed: caches stay)")
    ap.add_argument("--raw-cache", type=Path, help="keep the extracted raw zone here and reuse it")
    ap.add_argument("--workdir", type=Path, help="where warehouses are built (default: a temp dir, removed)")
    ap.add_argument("--sentiment-repeat", type=int, default=3,
                    help="interleaved rounds of the sentiment comparison (best wall time kept)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2,000 mentions a night, 2 + 2 nights")
    for hidden in ("--build-home", "--build-night", "--build-out"):
        ap.add_argument(hidden, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.build_home:
        night = date.fromisoformat(args.build_night)
        return build_and_publish(Path(args.build_home), night, Path(args.build_out))
    if args.quick:
        args.volume, args.nights, args.extra_nights = 2000, 2, 2

    os.environ.setdefault("CAREPULSE_PSEUDONYM_KEY", BENCH_KEY)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_QUIET", "true")
    loaded = load_config(ROOT / "config/monitoring.yml")
    new = args.last_night
    history = [new - timedelta(days=args.nights - i) for i in range(args.nights)]
    extra = [history[0] - timedelta(days=args.extra_nights - i) for i in range(args.extra_nights)]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="carepulse-bench-"))
    cache = (args.raw_cache or workdir / "raw-cache") / f"v{args.volume}-s{args.seed}-c{loaded.sha256[:12]}"
    os.environ["DBT_TARGET_PATH"] = str(workdir / "dbt_target")  # shared: later builds parse partially
    os.environ["DBT_LOG_PATH"] = str(workdir / "dbt_logs")
    print(f"{args.volume:,} mentions/night; history {history[0]}..{history[-1]} ({args.nights} nights), "
          f"+{args.extra_nights} older nights for the larger history, new night {new}; "
          f"cpus {default_workers()}; workdir {workdir}", flush=True)

    def scenario(name: str, nights: list[date]) -> tuple[Path, Build]:
        home = fresh_home(workdir, name)
        link_nights(cache, home, nights)
        return home, Build(f"full {human(args.volume * len(nights))}", home, nights[-1])

    try:
        extract_nights(extra + history + [new], args.volume, args.seed, cache)
        builds: list[Build] = []
        if args.nights > 1:
            home, one = scenario("one-night", history[:1])
            builds.append(one)
            shutil.rmtree(home)
        home, full = scenario("history", history)
        fig = sentiment_comparison(published_path(home), full, args.sentiment_repeat)
        link_nights(cache, home, [new])
        builds += [full, Build(f"incr over {human(args.volume * args.nights)}", home, new, full)]
        shutil.rmtree(home)
        if args.extra_nights:
            home, big = scenario("larger-history", extra + history)
            link_nights(cache, home, [new])
            builds += [big, Build(f"incr over {human(args.volume * len(extra + history))}", home, new, big)]
            shutil.rmtree(home)
        summary(builds, fig)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
