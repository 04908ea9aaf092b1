"""The staging and intermediate layers built by dbt from a raw zone the real connectors land.

Two nights are extracted from the simulator, the second one twice (a rerun, later, when the
counts have grown), plus hand-made runs: a finished one with a tweet whose identifier the
redactor misses (it must be quarantined), a newer copy of a real tweet (the latest run must
win) and a malformed page (evidence only), and an unfinished one (no manifest: invisible).
Then `dbt build --select staging intermediate` runs in-process, and the warehouse is checked
against the raw zone: row counts, keys, latest-run choice, snapshots, privacy, idempotence.
"""

from __future__ import annotations

import copy
import gzip
import json
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from carepulse import sources
from carepulse.config import load_config
from carepulse.demo import DEMO_CREDENTIALS
from extract.base import Night, Page, Shard
from extract.http import Fetched, RetryPolicy
from extract.items import KEYS
from extract.manifest import ExtractionRun
from extract.runner import extract_night
from extract.simulator.server import SimulatorServer
from tests.conftest import CONFIG
from tests.dbt.conftest import (
    all_text_values,
    finished_manifests,
    ordered_digest,
    run_dbt,
    tables,
    warehouse,
    write_config_json,
)
from transform import privacy

pytestmark = pytest.mark.slow

PLATFORMS = list(sources.NAMES)
# X recent search only reaches 7 days back (from the real clock), so the nights are recent.
NIGHT_2 = (datetime.now(UTC) - timedelta(days=2)).date()
NIGHT_1 = NIGHT_2 - timedelta(days=1)
CLOCK = datetime.combine(NIGHT_2 + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=1)
RESIDUE_TEXT = "Question for @lakemonthealth about my bill, my reference is 12 34 56 78 90"
PLANTED_PRIVATE = {"id": "990000000000000001", "username": "planted_private_person", "name": "Planted Person",
                   "verified": False, "verified_type": "none", "description": "just me",
                   "created_at": "2020-01-01T00:00:00.000Z",
                   "public_metrics": {"followers_count": 3, "following_count": 1, "tweet_count": 5,
                                      "listed_count": 0, "like_count": 0, "media_count": 0}}
BOOSTED_LIKES = 999_999


def fast_policy() -> RetryPolicy:
    return RetryPolicy(max_retries=4, backoff_base_s=0.01, backoff_max_s=0.05, max_wait_s=120,
                       timeout_s=5, sleep=lambda s: None)


# -- reading the raw zone the way an auditor would ----------------------------------------------


def envelope(raw: Path, rel: str) -> dict:
    with gzip.open(raw / rel, "rt", encoding="utf-8") as fh:
        return json.loads(fh.readline())


def committed_items(raw: Path, endpoints: set[str]) -> list[dict]:
    """Every item occurrence in committed pages of those endpoints, with what decides recency."""
    out = []
    for m in finished_manifests(raw):
        for f in m["files"]:
            if f["kind"] != "page" or f["endpoint"] not in endpoints:
                continue
            env = envelope(raw, f["path"])
            for index, key in enumerate(KEYS[f["endpoint"]](env["body"])):
                out.append({"key": f"{env['platform']}:{key}", "night": m["night"], "run_id": m["run_id"],
                            "started": m["started_at"], "fetched": f["fetched_at"], "path": f["path"],
                            "index": index})
    return out


def latest_occurrence(items: list[dict]) -> dict[str, dict]:
    """The staging rule: latest night, then latest run, then latest fetch, then path, then position."""
    best: dict[str, dict] = {}
    for it in items:
        rank = (it["night"], it["started"], it["fetched"], it["path"], -it["index"])
        if it["key"] not in best or rank > best[it["key"]]["rank"]:
            best[it["key"]] = {**it, "rank": rank}
    return best


# -- hand-made runs -----------------------------------------------------------------------------


def planted_run(raw: Path, cfg, night: date, key: str, bodies: list[dict], *, malformed: bool = False,
                finish: bool = True) -> tuple[ExtractionRun, list[str]]:
    n = Night(night)
    shard = Shard("x", "mentions", key, n.start, n.end)
    run = ExtractionRun.create(raw, n, cfg, [shard])
    paths = []
    for i, body in enumerate(bodies, 1):
        text = json.dumps(body, separators=(",", ":"))
        page = Page("x.tweets.search.recent", "http://127.0.0.1/x/2/tweets/search/recent", {"query": key},
                    200, body, text, len(body.get("data", [])), None)
        entry = run.commit_page(shard, i, page)
        paths.append(entry.path)
    if malformed:
        entry = run.commit_malformed(shard, len(bodies) + 1, Fetched(200, "http://127.0.0.1/x", "<html>oops",
                                                                     None, {}, "invalid JSON"), 1,
                                     "x.tweets.search.recent")
        paths.append(entry.path)
    if finish:
        run.end_shard(shard, "complete", None, None)
        run.finalize()
    return run, paths


def a_real_tweet(raw: Path, night: date) -> tuple[dict, dict]:
    """A tweet of the night's latest run and its author, as landed."""
    m = [m for m in finished_manifests(raw) if m["night"] == night.isoformat()][-1]
    for f in m["files"]:
        if f["endpoint"] == "x.tweets.search.recent" and f["kind"] == "page" and f["records"]:
            body = envelope(raw, f["path"])["body"]
            tweet = body["data"][0]
            author = next(u for u in body["includes"]["users"] if u["id"] == tweet["author_id"])
            return tweet, author
    raise AssertionError("no X page in the night")


# -- the build ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(loaded_config, tmp_path_factory):
    home = tmp_path_factory.mktemp("dbt") / "home"
    raw = home / "raw"
    with SimulatorServer(loaded_config.config, seed=11, mentions_per_night=400, port=0, clock=CLOCK) as sim, \
            pytest.MonkeyPatch.context() as mp:
        mp.setenv("CAREPULSE_SIMULATOR_URL", sim.url)
        for platform in PLATFORMS:
            env = getattr(loaded_config.config.platforms, platform).credential_env
            mp.setenv(env, DEMO_CREDENTIALS[platform])
        cfg = load_config(CONFIG)
        for night in (NIGHT_1, NIGHT_2):
            assert extract_night(cfg, night, raw, policy_factory=fast_policy).manifest["status"] == "complete"
        # a rerun of night 2 six hours later: counts have grown, the rerun must win
        httpx.post(f"{sim.url}/_sim/clock", json={"now": (CLOCK + timedelta(hours=6)).isoformat()})
        rerun = extract_night(cfg, NIGHT_2, raw, fresh=True, policy_factory=fast_policy)
        assert rerun.manifest["status"] == "complete"
        lookback = NIGHT_1 - timedelta(days=cfg.config.extraction.engagement_lookback_days + 1)
        days = [lookback + timedelta(days=i) for i in range((NIGHT_2 - lookback).days + 1)]
        canaries = sim.world.phi_canaries(days)

    tweet, author = a_real_tweet(raw, NIGHT_2)
    newer = copy.deepcopy(tweet)
    newer["public_metrics"]["like_count"] = BOOSTED_LIKES
    residue = {"id": "990000000000000002", "text": RESIDUE_TEXT, "author_id": PLANTED_PRIVATE["id"],
               "created_at": f"{NIGHT_2}T12:00:00.000Z", "lang": "en",
               "edit_history_tweet_ids": ["990000000000000002"],
               "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1, "quote_count": 0,
                                  "bookmark_count": 0, "impression_count": 10}}
    planted, planted_paths = planted_run(
        raw, cfg, NIGHT_2, "planted",
        [{"data": [residue, newer], "includes": {"users": [PLANTED_PRIVATE, author]},
          "meta": {"result_count": 2}}],
        malformed=True)
    ghost = dict(residue, id="990000000000000003", text="A tweet of a run that never finished")
    unfinished, _ = planted_run(raw, cfg, NIGHT_1, "unfinished",
                                [{"data": [ghost], "includes": {"users": [PLANTED_PRIVATE]}}], finish=False)

    write_config_json(cfg, home)
    run_dbt(home)
    return SimpleNamespace(home=home, raw=raw, cfg=cfg, canaries=canaries, newer=newer, residue=residue,
                           ghost=ghost, planted_run=planted.run_id, planted_paths=planted_paths,
                           unfinished_run=unfinished.run_id)


def test_planted_record_really_needs_quarantine():
    redacted = privacy.redact(RESIDUE_TEXT)
    assert privacy.phi_residue(redacted), redacted


def test_every_platform_is_loaded(built):
    with warehouse(built.home) as con:
        for platform in PLATFORMS:
            for model in sources.SOURCES[platform].staging_models:
                n = con.execute(f"select count(*) from staging.{model}").fetchone()[0]
                assert n > 0, f"{model} is empty"
        assert con.execute("select count(*) from staging.stg_youtube__comments").fetchone()[0] > 0
        assert con.execute("select count(*) from intermediate.int_mentions_matched").fetchone()[0] > 0
        assert con.execute("select count(*) from intermediate.int_post_topics").fetchone()[0] > 0


@pytest.mark.parametrize(("platform", "endpoints", "model", "key"), [
    ("x", {"x.tweets.search.recent"}, "stg_x__posts", "post_key"),
    ("reddit", {"reddit.search"}, "stg_reddit__posts", "post_key"),
    ("mastodon", {"mastodon.search", "mastodon.timelines.tag", "mastodon.accounts.statuses"},
     "stg_mastodon__posts", "post_key"),
    ("youtube", {"youtube.videos.list"}, "stg_youtube__posts", "post_key"),
])
def test_posts_reconcile_with_the_raw_zone(built, platform, endpoints, model, key):
    """Distinct items in committed pages == rows loaded + rows quarantined, no overlap."""
    raw_keys = {it["key"] for it in committed_items(built.raw, endpoints)}
    with warehouse(built.home) as con:
        loaded = [r[0] for r in con.execute(f"select {key} from staging.{model}").fetchall()]
        held = {r[0] for r in con.execute(
            "select natural_key from staging.stg_quarantine where platform = ? and entity = 'post'",
            [platform]).fetchall()}
    assert len(loaded) == len(set(loaded)), "duplicate keys"
    assert not set(loaded) & held
    assert set(loaded) | held == raw_keys


def test_bluesky_posts_reconcile_with_the_raw_zone(built):
    # Bluesky keys carry the author's pseudonym instead of the DID, so compare counts
    raw_uris = {it["key"] for it in committed_items(built.raw, {"bluesky.feed.searchPosts"})}
    with warehouse(built.home) as con:
        loaded = con.execute("select count(*), count(distinct post_key) "
                             "from staging.stg_bluesky__posts").fetchone()
        held = con.execute("select count(*) from staging.stg_quarantine "
                           "where platform = 'bluesky' and entity = 'post'").fetchone()[0]
    assert loaded[0] == loaded[1]
    assert loaded[0] + held == len(raw_uris)


def test_youtube_comments_reconcile_with_the_raw_zone(built):
    ids = set()
    for m in finished_manifests(built.raw):
        for f in m["files"]:
            if f["endpoint"] == "youtube.commentThreads.list" and f["kind"] == "page":
                for thread in envelope(built.raw, f["path"])["body"].get("items", []):
                    ids.add(thread["snippet"]["topLevelComment"]["id"])
                    ids.update(c["id"] for c in thread.get("replies", {}).get("comments", []))
    with warehouse(built.home) as con:
        loaded = {r[0] for r in con.execute(
            "select native_comment_id from staging.stg_youtube__comments").fetchall()}
        held = con.execute(
            "select count(*) from staging.stg_quarantine where entity = 'comment'").fetchone()[0]
    assert loaded <= ids and len(loaded) + held == len(ids)


def test_latest_run_wins_for_every_tweet(built):
    expected = latest_occurrence(committed_items(built.raw, {"x.tweets.search.recent"}))
    with warehouse(built.home) as con:
        got = dict(con.execute("select post_key, _run_id from staging.stg_x__posts").fetchall())
        boosted = con.execute("select like_count, _run_id from staging.stg_x__posts where native_post_id = ?",
                              [built.newer["id"]]).fetchone()
    assert got == {k: v["run_id"] for k, v in expected.items() if k in got}
    assert boosted == (BOOSTED_LIKES, built.planted_run)
    reruns = [m["run_id"] for m in finished_manifests(built.raw) if m["night"] == NIGHT_2.isoformat()]
    assert len(reruns) == 3  # first run, rerun, planted run


def test_one_snapshot_per_post_and_night(built):
    items = committed_items(built.raw, {"x.tweets.search.recent"})
    per_night = latest_occurrence([dict(it, key=f"{it['key']}@{it['night']}") for it in items])
    with warehouse(built.home) as con:
        loaded = {r[0] for r in con.execute("select post_key from staging.stg_x__posts").fetchall()}
        # a post held back by the privacy screen keeps its snapshots (numbers only)
        loaded |= {r[0] for r in con.execute("select natural_key from staging.stg_quarantine "
                                             "where platform = 'x' and entity = 'post'").fetchall()}
        snaps = dict(con.execute("select post_key || '@' || cast(snapshot_date as varchar), _run_id "
                                 "from staging.stg_x__post_snapshots").fetchall())
        grew = con.execute("""
            select count(*) from staging.stg_x__post_snapshots a
            join staging.stg_x__post_snapshots b
              on a.post_key = b.post_key and a.snapshot_date < b.snapshot_date
        """).fetchone()[0]
    assert snaps == {k: v["run_id"] for k, v in per_night.items() if k.split("@")[0] in loaded}
    assert grew > 0, "owned/competitor tweets should be snapshotted on both nights"


def test_primary_keys_are_unique(built):
    keys = {"staging.stg_x__posts": "post_key", "staging.stg_x__post_snapshots": "post_snapshot_key",
            "staging.stg_bluesky__posts": "post_key", "staging.stg_youtube__comments": "comment_key",
            "staging.stg_mastodon__authors": "author_key", "staging.stg_raw__manifest_files": "path",
            "intermediate.int_posts_unified": "post_key", "intermediate.int_mentions_matched": "mention_key",
            "staging.stg_quarantine": "quarantine_key"}
    with warehouse(built.home) as con:
        for table, key in keys.items():
            n, distinct, nulls = con.execute(
                f"select count(*), count(distinct {key}), count(*) - count({key}) from {table}").fetchone()
            assert (n, nulls) == (distinct, 0), table


def test_quarantined_records_are_counted_not_loaded(built):
    key = f"x:tweet:{built.residue['id']}"
    with warehouse(built.home) as con:
        row = con.execute("select entity, reason, _source_file from staging.stg_quarantine "
                          "where natural_key = ?", [key]).fetchone()
        columns = {c for c, in con.execute("select column_name from information_schema.columns "
                                           "where table_name = 'stg_quarantine'").fetchall()}
        for table in ("staging.stg_x__posts", "intermediate.int_posts_unified",
                      "intermediate.int_mentions_matched"):
            assert con.execute(f"select count(*) from {table} where post_key = ?", [key]).fetchone()[0] == 0
        # its snapshots stay, numbers only (stg_x__post_snapshots holds no text)
        snapshot_columns = {c for c, in con.execute("select column_name from information_schema.columns "
                                                    "where table_name = 'stg_x__post_snapshots'").fetchall()}
    assert row == ("post", "phi_residue", built.planted_paths[0])
    assert not (columns | snapshot_columns) & {"text", "text_redacted", "title", "body"}


def test_unfinished_runs_and_malformed_pages_are_not_read(built):
    with warehouse(built.home) as con:
        assert con.execute("select count(*) from staging.stg_raw__extraction_runs where run_id = ?",
                           [built.unfinished_run]).fetchone()[0] == 0
        assert con.execute("select count(*) from intermediate.int_posts_unified where native_post_id = ?",
                           [built.ghost["id"]]).fetchone()[0] == 0
        kind = con.execute("select kind from staging.stg_raw__manifest_files where path = ?",
                           [built.planted_paths[-1]]).fetchone()
        from_malformed = con.execute("select count(*) from intermediate.int_posts_unified "
                                     "where _source_file = ?", [built.planted_paths[-1]]).fetchone()[0]
    assert kind == ("malformed",)
    assert from_malformed == 0


def test_planted_patient_identifiers_never_reach_the_warehouse(built):
    canaries = sorted(built.canaries)
    assert canaries, "the simulator planted no identifiers in these nights"
    pattern = re.compile("|".join(re.escape(c) for c in canaries))
    pages = built.raw.glob("platform=*/**/*.gz")
    raw_text = "".join(gzip.open(p, "rt", encoding="utf-8").read() for p in pages)
    assert pattern.search(raw_text), "no planted identifier landed in the raw zone: the check is vacuous"
    with warehouse(built.home) as con:
        leaks = [(table, m.group(0)) for table, value in all_text_values(con)
                 if (m := pattern.search(value))]
    assert not leaks, leaks[:5]


def test_private_authors_are_pseudonymised_everywhere(built):
    threshold = built.cfg.config.privacy.public_follower_threshold
    config_handles = {h.lower().lstrip("@") for b in built.cfg.config.brands
                      for h in [b.handles.x] if h}
    latest: dict[str, tuple] = {}  # user id -> (recency, user) of the latest sighting
    for m in finished_manifests(built.raw):
        for f in m["files"]:
            if f["endpoint"] == "x.tweets.search.recent" and f["kind"] == "page":
                users = envelope(built.raw, f["path"])["body"].get("includes", {}).get("users", [])
                for i, u in enumerate(users):
                    rank = (m["night"], m["started_at"], f["fetched_at"], f["path"], -i)
                    if u["id"] not in latest or rank > latest[u["id"]][0]:
                        latest[u["id"]] = (rank, u)
    private = {u["username"].lower() for _, u in latest.values()
               if not (u["public_metrics"]["followers_count"] >= threshold
                       or u.get("verified_type") in ("business", "government")
                       or u["username"].lower() in config_handles)}
    assert PLANTED_PRIVATE["username"] in private and len(private) > 20
    # a private username as a whole token (bare or @mentioned) anywhere is a leak
    names = "|".join(re.escape(h) for h in sorted(private))
    handle = re.compile(r"(?<![\w@.])@?(" + names + r")(?![\w-]|\.\w)", re.IGNORECASE)
    with warehouse(built.home) as con:
        leaks = [(t, m.group(0)) for t, v in all_text_values(con) if (m := handle.search(v))]
        named_private, anonymous_public = con.execute(r"""
            select
                count(*) filter (where not author_is_public
                                 and not regexp_full_match(author_handle, 'anon_[0-9a-f]{16}')),
                count(*) filter (where author_is_public and author_handle like 'anon\_%' escape '\')
            from intermediate.int_posts_unified
        """).fetchone()
    assert not leaks, leaks[:5]
    assert named_private == 0
    assert anonymous_public == 0, "a public author lost their handle"


def test_rebuild_gives_identical_content(built):
    with warehouse(built.home) as con:
        before = {t: ordered_digest(con, t) for t in tables(con)}
    run_dbt(built.home, "run")
    with warehouse(built.home) as con:
        after = {t: ordered_digest(con, t) for t in tables(con)}
    # (an incremental model may leave a scratch table in "main"; the layers must not change)
    layers = {t for t in after if t.split(".")[0] in ('"staging"', '"intermediate"')}
    assert layers == {t for t in before if t.split(".")[0] in ('"staging"', '"intermediate"')}
    assert {t for t in layers if before[t] != after[t]} == set()


def test_an_empty_raw_zone_builds_empty(loaded_config, tmp_path):
    home = tmp_path / "fresh"
    write_config_json(loaded_config, home)
    run_dbt(home, "run")  # the models; their tests pass vacuously on empty tables
    with warehouse(home) as con:
        counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables(con)}
    assert counts['"staging"."stg_config__brands"'] == len(loaded_config.config.brands)
    # the build schema is the build's bookkeeping: int_build names the build that ran
    assert counts.pop('"build"."int_build"') == 1
    empty = {t: n for t, n in counts.items() if "stg_config__" not in t}
    assert empty and all(n == 0 for n in empty.values()), empty


def test_reruns_of_a_night_are_recorded(built):
    by_night = defaultdict(list)
    for m in finished_manifests(built.raw):
        by_night[m["night"]].append(m["run_id"])
    with warehouse(built.home) as con:
        rows = con.execute("select night, run_id, run_sequence_in_night, is_latest_run_of_night "
                           "from staging.stg_raw__extraction_runs "
                           "order by night, run_sequence_in_night").fetchall()
    assert {str(n) for n, *_ in rows} == set(by_night)
    latest = {str(n): r for n, r, _, is_latest in rows if is_latest}
    assert latest[NIGHT_2.isoformat()] == built.planted_run
