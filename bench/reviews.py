"""A night's review-mart cost against the size of the review history.

    python bench/reviews.py --histories 100000,1000000 [--night-reviews 300] [--json FILE]

For each history size: a fresh home gets that many Google reviews of the config's sites,
landed as finished extraction runs over --history-nights nights (review pages as the v4 API
serves them: ratings, rating-only and anonymous reviews, owner replies, some flagged), and
one dbt build of the review marts and everything they read (staging, unified posts,
sentiment) runs over it. Then one more night lands: --night-reviews new reviews plus the
re-read of the newest 100 per site, some of those now edited or answered; the incremental
build of that night is timed. Printed per history: the history build's seconds, the night's
seconds, the night's seconds per review-mart model, and the ratio of the largest history's
night to the smallest's (a night's cost must not follow the history).

The builds are dbt in-process (`dbtRunner`, as `transform.build` runs it) on one candidate
database that stays between them, the way a warehouse runs night after night; the social
models have no pages here and build empty.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.history import HistoryRun  # noqa: E402
from carepulse.config import load_config  # noqa: E402
from extract.base import Night, Page, Shard  # noqa: E402
from extract.simulator.reviews import COMMENTS, SAFE_REPLIES, STARS, UNSAFE_REPLIES, rfc3339  # noqa: E402

CONFIG = ROOT / "config" / "monitoring.yml"
DBT_DIR = ROOT / "dbt_project"
PAGE = 50
REREAD = 100
MARTS = ("fct_reviews", "fct_review_versions", "fct_review_replies", "fct_location_rating_daily")
SELECT = "+fct_review_versions +fct_location_rating_daily"


def say(msg: str) -> None:
    print(msg, flush=True)


def review(site: str, i: int, night: date, rng: random.Random, *, edited: bool = False) -> dict:
    """Review i of a site as read on `night` (created that night; an edited copy moves on)."""
    created = datetime.combine(night, datetime.min.time(), UTC) + timedelta(seconds=rng.randrange(86_000))
    stars = rng.choices(range(1, 6), (13, 7, 8, 20, 52))[0]
    doc = {"name": f"{site}/reviews/R{i:09d}", "reviewId": f"R{i:09d}",
           "reviewer": {"displayName": f"Reviewer {i}", "isAnonymous": False},
           "starRating": STARS[stars - 1], "createTime": rfc3339(int(created.timestamp() * 1000), 3)}
    updated = created + (timedelta(days=1, hours=3) if edited else timedelta(0))
    doc["updateTime"] = rfc3339(int(updated.timestamp() * 1000), 3)
    if rng.random() < 0.8:
        doc["comment"] = rng.choice(COMMENTS[stars])
    if edited or rng.random() < 0.6:
        reply = rng.choice(UNSAFE_REPLIES if rng.random() < 0.15 else SAFE_REPLIES).format(first="Reviewer")
        doc["reviewReply"] = {"comment": reply, "updateTime": doc["updateTime"]}
    return doc


def land(raw: Path, loaded, night: date, per_site: dict[str, list[dict]]) -> int:
    """One finished run of the night: a reviews shard per site, its reviews in pages of 50."""
    sites = {loc.gbp_location: loc.id for loc in loaded.config.review_locations()}
    n = Night(night)
    shards = [Shard("gbp", "reviews", sites[site], n.start, n.end, handles=(site,), owned=True)
              for site in per_site]
    run = HistoryRun.create(raw, n, loaded, shards)
    for shard, reviews in zip(shards, per_site.values(), strict=True):
        for page_no, start in enumerate(range(0, max(len(reviews), 1), PAGE), start=1):
            body = {"reviews": reviews[start:start + PAGE], "totalReviewCount": len(reviews)}
            text = json.dumps(body, separators=(",", ":"))
            run.commit_page(shard, page_no, Page("gbp.reviews.list", f"https://example.invalid/v4/{shard.account}"
                                                 "/reviews", {"pageSize": PAGE}, 200, body, text,
                                                 len(body["reviews"]), None))
        run.end_shard(shard, "complete", None, None)
    run.finalize()
    return sum(len(r) for r in per_site.values())


def land_history(raw: Path, loaded, total: int, nights: list[date], seed: int) -> None:
    sites = [loc.gbp_location for loc in loaded.config.review_locations()]
    rng = random.Random(seed)
    per_night = total // len(nights)
    for k, night in enumerate(nights):
        per_site: dict[str, list[dict]] = {site: [] for site in sites}
        for i in range(k * per_night, (k + 1) * per_night):
            per_site[sites[i % len(sites)]].append(review(sites[i % len(sites)], i, night, rng))
        land(raw, loaded, night, per_site)
        if (k + 1) % 5 == 0 or k + 1 == len(nights):
            say(f"  landed {(k + 1) * per_night:,} reviews ({k + 1}/{len(nights)} nights)")


def land_night(raw: Path, loaded, total: int, night: date, new: int, seed: int) -> int:
    """New reviews of the night plus the newest REREAD per site re-read, a third of them edited."""
    sites = [loc.gbp_location for loc in loaded.config.review_locations()]
    rng = random.Random(seed + 1)
    per_site: dict[str, list[dict]] = {site: [] for site in sites}
    for j in range(new):
        per_site[sites[j % len(sites)]].append(review(sites[j % len(sites)], total + j, night, rng))
    newest = range(max(0, total - REREAD * len(sites)), total)
    for i in newest:
        site = sites[i % len(sites)]
        per_site[site].append(review(site, i, night - timedelta(days=1), rng, edited=i % 3 == 0))
    return land(raw, loaded, night, per_site)


def dbt_build(home: Path) -> tuple[float, dict[str, float]]:
    """dbt run of the review marts and their inputs, in-process; seconds and per-model seconds."""
    from tests.dbt.conftest import run_dbt, write_config_json

    write_config_json(load_config(CONFIG), home)
    started = time.perf_counter()
    res = run_dbt(home, "run", select=SELECT)
    seconds = time.perf_counter() - started
    timings = {r.node.name: round(float(r.execution_time or 0), 2) for r in res.result.results}
    return seconds, timings


def bench(total: int, history_nights: int, new: int, seed: int, workdir: Path) -> dict:
    loaded = load_config(CONFIG)
    home = workdir / f"reviews-{total}"
    (home / "warehouse").mkdir(parents=True)
    last = date.today() - timedelta(days=3)
    nights = [last - timedelta(days=history_nights - 1 - k) for k in range(history_nights)]
    say(f"history {total:,} reviews over {history_nights} nights: landing ...")
    t0 = time.perf_counter()
    land_history(home / "raw", loaded, total, nights, seed)
    landed_s = time.perf_counter() - t0
    say(f"history {total:,}: landed in {landed_s:.1f} s; building ...")
    history_s, _ = dbt_build(home)
    read = land_night(home / "raw", loaded, total, last + timedelta(days=1), new, seed)
    say(f"history {total:,}: built in {history_s:.1f} s; night of {read:,} reviews read: building ...")
    night_s, timings = dbt_build(home)
    fig = {"history_reviews": total, "history_build_s": round(history_s, 1), "night_reviews_read": read,
           "night_s": round(night_s, 1), "night_marts_s": {m: timings.get(m) for m in MARTS}}
    say(f"history {total:,}: night {fig['night_s']} s; review marts {fig['night_marts_s']}")
    return fig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--histories", default="100000,1000000")
    parser.add_argument("--history-nights", type=int, default=20)
    parser.add_argument("--night-reviews", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="carepulse-bench-reviews-"))
    figs = [bench(int(h), args.history_nights, args.night_reviews, args.seed, workdir)
            for h in args.histories.split(",")]
    ratio = figs[-1]["night_s"] / figs[0]["night_s"]
    doc = {"runs": figs, "night_ratio_largest_to_smallest": round(ratio, 2)}
    say(f"night seconds, largest history / smallest: {doc['night_ratio_largest_to_smallest']}")
    if args.json:
        args.json.write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
