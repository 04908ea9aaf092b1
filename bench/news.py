"""A night's cost for the news and Facebook models against the size of their history.

    python bench/news.py --histories 100000,1000000 [--night-items 2000] [--json FILE]

For each history size: a fresh home gets that many items, landed as finished extraction runs
over --history-nights nights in the wire shapes the connectors land: news articles (feed
entries as feedparser read them, and GDELT ArtList hits, a fifth of them the same story under
a tracking-parameter link, so the two merge), and posts and comments of our Facebook Page
(a tenth of the items). One dbt build of the news and Facebook marts and everything they
read (staging, unified posts, brand matching, sentiment, share of voice) runs over it; then
one more night of --night-items items lands and its incremental build is timed. Printed per
history: the history build's seconds, the night's seconds and its seconds per model of the
new sources, and the ratio of the largest history's night to the smallest's (a night's cost
must not follow the history).

The builds are dbt in-process (`dbtRunner`, as `transform.build` runs it) on one candidate
database that stays between them, the way a warehouse runs night after night; the other
sources have no pages here and build empty.
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
from carepulse.urls import article_id, canonical_link  # noqa: E402
from extract.base import Night, Page, Shard  # noqa: E402

CONFIG = ROOT / "config" / "monitoring.yml"
PAGE = 250  # GDELT's maximum; feeds and Graph pages are smaller, the page count matters little
MODELS = ("base_news__articles", "stg_news__posts", "base_facebook__posts", "base_facebook__comments",
          "stg_facebook__posts", "stg_facebook__comments", "int_posts_unified", "int_mentions_matched",
          "fct_mentions", "fct_news_articles", "fct_share_of_voice_daily")
SELECT = "+fct_news_articles +fct_share_of_voice_daily +stg_facebook__comments +fct_post_engagement_daily"
HEADLINES = ("{b} opens a new cardiac wing", "{b} named a top hospital for stroke care",
             "Nurses at {b} vote to unionise", "{b} billing error refunds patients",
             "Flu clinics at {b} draw long lines", "{b} expands telehealth visits")


def say(msg: str) -> None:
    print(msg, flush=True)


def stamp(night: date, rng: random.Random) -> datetime:
    return datetime.combine(night, datetime.min.time(), UTC) + timedelta(seconds=rng.randrange(86_000))


def feed_entry(i: int, night: date, brand: str, rng: random.Random) -> dict:
    link = f"https://paper{i % 40}.example/news/{i}"
    return {"article_id": article_id(link), "link": link, "canonical_link": canonical_link(link),
            "guid": None, "title": rng.choice(HEADLINES).format(b=brand),
            "summary": "Local coverage of the hospital.", "published": stamp(night, rng).strftime(
                "%Y-%m-%dT%H:%M:%SZ"), "published_raw": None, "author": None, "language": None}


def gdelt_hit(i: int, night: date, brand: str, rng: random.Random, *, same_as_feed: bool) -> dict:
    url = f"https://paper{i % 40}.example/news/{i}" + ("?utm_source=gdelt" if same_as_feed else "")
    return {"url": url, "url_mobile": "", "title": rng.choice(HEADLINES).format(b=brand),
            "seendate": stamp(night, rng).strftime("%Y%m%dT%H%M%SZ"), "socialimage": "",
            "domain": f"paper{i % 40}.example", "language": "English", "sourcecountry": "United States"}


def fb_post(page_id: str, i: int, night: date, rng: random.Random) -> dict:
    doc = {"id": f"{page_id}_{i}", "created_time": stamp(night, rng).strftime("%Y-%m-%dT%H:%M:%S+0000"),
           "message": "Flu shots this weekend at Lakemont Health #LakemontCares",
           "from": {"id": page_id, "name": "Lakemont Health"},
           "reactions": {"data": [], "summary": {"total_count": rng.randrange(300)}},
           "comments": {"data": [], "summary": {"total_count": 9}}}
    if rng.random() < 0.5:
        doc["shares"] = {"count": rng.randrange(1, 40)}
    return doc


def fb_comment(i: int, night: date, rng: random.Random) -> dict:
    return {"id": f"c{i}", "created_time": stamp(night, rng).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "message": rng.choice(("Great staff at Lakemont!", "Waited 3 hours in the ER.")),
            "from": {"id": f"9{i:011d}", "name": f"Person {i}"}, "like_count": rng.randrange(5)}


class Landing:
    """One finished run of a night: the pages of a feed, a GDELT search and our Page."""

    def __init__(self, raw: Path, loaded, night: date):
        n = Night(night)
        org = loaded.config.organisation
        self.page_id = org.handles.facebook
        self.shards = {"feed": Shard("news", "feed", "bench_feed", n.start, n.end,
                                     handles=("https://x.example/rss",)),
                       "gdelt": Shard("news", "mentions", org.id, n.start, n.end, terms=(org.name,)),
                       "facebook": Shard("facebook", "accounts", org.id, n.lookback_start(7), n.end,
                                         handles=(self.page_id,), owned=True)}
        self.run = HistoryRun.create(raw, n, loaded, list(self.shards.values()))
        self.pages = dict.fromkeys(self.shards, 0)

    def commit(self, shard: str, endpoint: str, params: dict, body: dict, items: list) -> None:
        for start in range(0, len(items), PAGE):
            self.pages[shard] += 1
            key = {"facebook": "data", "feed": "entries", "gdelt": "articles"}[shard]
            chunk = {**body, key: items[start:start + PAGE]}
            text = json.dumps(chunk, separators=(",", ":"))
            page = Page(endpoint, f"https://example.invalid/{endpoint}", params, 200, chunk, text,
                        len(chunk[key]), None, splice=shard == "facebook")
            self.run.commit_page(self.shards[shard], self.pages[shard], page)

    def finish(self) -> None:
        for shard in self.shards.values():
            self.run.end_shard(shard, "complete", None, None)
        self.run.finalize()


def land(raw: Path, loaded, night: date, first: int, count: int, seed: int) -> int:
    """`count` items of the night, numbered from `first`: 45% feed entries, 45% GDELT hits (a
    fifth of them the feed's stories again), 10% Facebook posts and their comments."""
    rng = random.Random(seed * 1_000_003 + first)
    brands = [b.name for b in loaded.config.brands]
    landing = Landing(raw, loaded, night)
    feed, hits, posts, comments = [], [], [], []
    for i in range(first, first + count):
        kind = i % 20
        brand = brands[i % len(brands)]
        if kind < 9:
            feed.append(feed_entry(i, night, brand, rng))
        elif kind < 18:
            shared = kind < 11  # the story of the feed entry two items back
            hits.append(gdelt_hit(i - 2 if shared else i, night, brand, rng, same_as_feed=shared))
        elif kind == 18:
            posts.append(fb_post(landing.page_id, i, night, rng))
        else:
            comments.append(fb_comment(i, night, rng))
    landing.commit("feed", "news.feed", {}, {"feed": {"title": "Bench Gazette", "language": "en-us"},
                                            "document": ""}, feed)
    landing.commit("gdelt", "news.gdelt.artlist", {"mode": "ArtList"}, {}, hits)
    landing.commit("facebook", "facebook.page.posts", {"page_id": landing.page_id}, {}, posts)
    post_id = posts[0]["id"] if posts else f"{landing.page_id}_0"
    landing.commit("facebook", "facebook.post.comments", {"post_id": post_id}, {}, comments)
    landing.finish()
    return count


def dbt_build(home: Path) -> tuple[float, dict[str, float]]:
    from tests.dbt.conftest import run_dbt, write_config_json

    write_config_json(load_config(CONFIG), home)
    started = time.perf_counter()
    res = run_dbt(home, "run", select=SELECT)
    seconds = time.perf_counter() - started
    return seconds, {r.node.name: round(float(r.execution_time or 0), 2) for r in res.result.results}


def bench(total: int, history_nights: int, new: int, seed: int, workdir: Path) -> dict:
    from tests.dbt.conftest import run_dbt

    loaded = load_config(CONFIG)
    home = workdir / f"news-{total}"
    (home / "warehouse").mkdir(parents=True)
    last = date.today() - timedelta(days=3)
    nights = [last - timedelta(days=history_nights - 1 - k) for k in range(history_nights)]
    say(f"history {total:,} items over {history_nights} nights: landing ...")
    per_night = total // history_nights
    for k, night in enumerate(nights):
        land(home / "raw", loaded, night, k * per_night, per_night, seed)
        if (k + 1) % 5 == 0 or k + 1 == len(nights):
            say(f"  landed {(k + 1) * per_night:,} items ({k + 1}/{len(nights)} nights)")
    run_dbt(home, "seed", select="resource_type:seed")
    history_s, _ = dbt_build(home)
    say(f"history {total:,}: built in {history_s:.1f} s; a night of {new:,} items: building ...")
    land(home / "raw", loaded, last + timedelta(days=1), total, new, seed)
    night_s, timings = dbt_build(home)
    fig = {"history_items": total, "history_build_s": round(history_s, 1), "night_items": new,
           "night_s": round(night_s, 1), "night_models_s": {m: timings.get(m) for m in MODELS}}
    say(f"history {total:,}: night {fig['night_s']} s; models {fig['night_models_s']}")
    return fig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--histories", default="100000,1000000")
    parser.add_argument("--history-nights", type=int, default=20)
    parser.add_argument("--night-items", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="carepulse-bench-news-"))
    figs = [bench(int(h), args.history_nights, args.night_items, args.seed, workdir)
            for h in args.histories.split(",")]
    ratio = figs[-1]["night_s"] / figs[0]["night_s"]
    doc = {"runs": figs, "night_ratio_largest_to_smallest": round(ratio, 2)}
    say(f"night seconds, largest history / smallest: {doc['night_ratio_largest_to_smallest']}")
    if args.json:
        args.json.write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
