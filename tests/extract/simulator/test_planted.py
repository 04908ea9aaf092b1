"""Planted inauthentic activity: bot bursts and copy-paste campaigns, and their ground truth."""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from datetime import timedelta

import httpx
import pytest

from extract.simulator.platforms import iso_millis, parse_time
from extract.simulator.query import Matcher, parse_query
from extract.simulator.server import SimulatorServer
from extract.simulator.world import (
    BOT_BASE,
    BOT_BURST,
    BOT_SLOTS,
    COPY_PASTE,
    DAY_MS,
    HOUR_MS,
    PLATFORMS,
    SPAM_PLATFORMS,
    STREAM_MENTIONS,
    Planted,
    World,
    day_number,
    from_ms,
)

from .conftest import BEARER, NIGHT, X_FIELDS, bluesky_headers

DAY = day_number(NIGHT)
FIRST = DAY - DAY % 5 - 25  # six whole blocks of five days, ending before NIGHT's block
DAYS = range(FIRST, FIRST + 30)
PLANTED = (BOT_BURST, COPY_PASTE)
PHI = (r"555[-. ]?01\d\d", r"@example\.(com|org)", r"MRN \d{8}", r"medical record #\d{7}",
       r"DOB \d\d/\d\d/\d{4}", r"born \d{4}-\d\d-\d\d",
       r"\d+ \w+ (Street|Avenue|Road|Lane|Drive)")


@pytest.fixture(scope="module")
def world(cfg) -> World:
    return World(cfg, seed=7, mentions_per_night=1500)


@pytest.fixture(scope="module")
def quiet(cfg) -> World:
    return World(cfg, seed=7, mentions_per_night=1500, spam=False)


def brand_query(cfg, brand_id: str) -> str:
    """Every form of a brand, the way a mentions shard asks for it."""
    brand = next(b for b in cfg.brands if b.id == brand_id)
    return " OR ".join([f'"{t}"' for t in (*brand.terms, *brand.aliases)]
                       + [f"#{tag}" for tag in brand.hashtags])


def words(text: str) -> set[str]:
    return set(re.findall(r"[#@]?\w+", text.lower()))


def jaccard(a: str, b: str) -> float:
    x, y = words(a), words(b)
    return len(x & y) / len(x | y)


def groups(world: World, kind: str) -> list[list[Planted]]:
    return [got for pl in SPAM_PLATFORMS for d in DAYS
            if (got := world.planted(pl, d)) and got[0].kind == kind]


# -- the world ------------------------------------------------------------------------------


def test_planting_is_deterministic_and_follows_the_seed(cfg):
    a, b, c = (World(cfg, seed=s, mentions_per_night=400) for s in (3, 3, 4))
    for platform in SPAM_PLATFORMS:
        def seen(w: World, platform: str = platform) -> list[tuple]:
            return [(g.day, g.kind, g.key, g.post_id, g.handle, g.text)
                    for d in range(DAY - 9, DAY + 1) for g in w.planted(platform, d)]
        assert seen(a) == seen(b) and seen(a)
        assert seen(a) != seen(c)


def test_natural_posts_are_the_same_with_spam_on_or_off(world, quiet):
    planted_days = 0
    for platform in PLATFORMS:
        for d in range(DAY - 6, DAY + 1):
            on = world.day_posts(platform, d)
            natural = [p for p in on if p.cat not in PLANTED]
            planted_days += len(natural) < len(on)
            assert [(p.key, p.blob, p.author.handle, p.author.idx, p.likes, p.brands)
                    for p in natural] == \
                   [(p.key, p.blob, p.author.handle, p.author.idx, p.likes, p.brands)
                    for p in quiet.day_posts(platform, d)]
            assert len({p.ms for p in on}) == len(on)  # no planted post shares a millisecond
            stream = world.stream_posts(platform, d, STREAM_MENTIONS)
            assert [p.idx for p in stream] == list(range(len(stream)))
    assert planted_days >= 6
    assert world.phi_canaries(NIGHT) == quiet.phi_canaries(NIGHT)


def test_one_burst_and_one_other_campaign_day_in_every_block_of_five(world):
    for platform in SPAM_PLATFORMS:
        kinds = [next((g.kind for g in world.planted(platform, d)), None) for d in DAYS]
        for block in range(0, len(kinds), 5):
            assert sorted(filter(None, kinds[block:block + 5])) == [BOT_BURST, COPY_PASTE]
    for platform in ("reddit", "youtube"):
        for d in range(DAY - 6, DAY + 1):
            assert world.planted(platform, d) == []
            assert not [p for p in world.day_posts(platform, d)
                        if p.cat in PLANTED or p.author.idx >= BOT_BASE]


def test_bursts_are_near_copies_from_distinct_fresh_bots(world, cfg):
    bursts = groups(world, BOT_BURST)
    assert len(bursts) == 18  # one per platform and block
    for burst in bursts:
        assert 15 <= len(burst) <= 30
        assert burst[-1].ms - burst[0].ms < 30 * 60_000
        assert_near_copies(world, cfg, burst)
        for g in burst:
            bot = g.author
            assert bot.kind == "bot" and bot.idx >= BOT_BASE and not bot.verified
            assert DAY_MS <= g.ms - bot.created_ms <= 20 * DAY_MS
            assert 1500 <= bot.following <= 5000 and 0 <= bot.followers_at(g.ms) <= 40
            for later in (g.ms, g.ms + DAY_MS, g.ms + 30 * DAY_MS):
                age_days = (later - bot.created_ms) / DAY_MS
                assert bot.statuses_at(later) / age_days > 100
    # bots post only in their burst, and natural posts never come from a bot
    for platform in SPAM_PLATFORMS:
        for d in DAYS:
            for post in world.stream_posts(platform, d, STREAM_MENTIONS):
                assert (post.author.kind == "bot") == (post.cat == BOT_BURST)


def test_copy_paste_campaigns_come_from_ordinary_accounts(world, cfg):
    campaigns = groups(world, COPY_PASTE)
    assert len(campaigns) == 18
    for campaign in campaigns:
        assert 6 <= len(campaign) <= 12
        assert campaign[-1].ms - campaign[0].ms < 45 * 60_000
        assert_near_copies(world, cfg, campaign)
        for g in campaign:
            person = g.author
            assert person.kind == "person" and person.idx < world.pool_size(g.platform)
            assert g.ms - person.created_ms > 365 * DAY_MS and person.following < 1000
            assert person.statuses_at(g.ms) / ((g.ms - person.created_ms) / DAY_MS) < 100


def assert_near_copies(world: World, cfg, group: list[Planted]) -> None:
    """One brand, found by its shard query; distinct accounts; near-identical, 8+ words."""
    assert len({g.group for g in group}) == 1 and len({g.brand_id for g in group}) == 1
    assert len({g.author.idx for g in group}) == len(group)
    assert [g.ms for g in group] == sorted(g.ms for g in group)
    modal = Counter(g.text for g in group).most_common(1)[0][0]
    assert statistics.median(jaccard(g.text, modal) for g in group) >= 0.85
    assert min(jaccard(a.text, b.text) for a, b in itertools.combinations(group, 2)) >= 0.8
    assert len({g.text for g in group}) > 1  # copies, not clones
    for g in group:
        prose = re.sub(r"https?://\S+", "", g.text)
        assert len(re.findall(r"[A-Za-z][\w'-]*", prose)) >= 8, g.text
        assert not any(re.search(pattern, g.text) for pattern in PHI), g.text
    stream = world.stream_posts(group[0].platform, group[0].day, STREAM_MENTIONS)
    keys = {g.key for g in group}
    posts = [p for p in stream if p.key in keys]
    assert len(posts) == len(group) and all(not p.phi for p in posts)
    matcher = Matcher(parse_query(brand_query(cfg, group[0].brand_id)), None, ())
    assert matcher.filter(posts) == posts


def test_bots_resolve_by_id_and_handle_only_while_they_exist(world, quiet, cfg):
    fresh = World(cfg, seed=7, mentions_per_night=1500)  # never generated a day
    for platform in SPAM_PLATFORMS:
        burst = next(b for b in groups(world, BOT_BURST) if b[0].platform == platform)
        for g in burst:
            found = fresh.author_by_id(platform, g.author_id)
            assert found is not None and (found.idx, found.handle) == (g.author.idx, g.handle)
            assert fresh.author_by_handle(platform, g.handle) is found
            assert fresh.author_by_handle(platform, "@" + g.handle.upper()) is found
            assert quiet.author_by_id(platform, g.author_id) is None
            assert quiet.author_by_handle(platform, g.handle) is None
        bot = burst[0].author
        assert world.author_id(bot) == burst[0].author_id
        past_end = bot.idx + len(burst)  # the slot after the burst's last bot is nobody
        assert fresh._is_bot(platform, past_end - 1) and not fresh._is_bot(platform, past_end)
        off_day = next(d for d in DAYS if not any(g.kind == BOT_BURST
                                                  for g in world.planted(platform, d)))
        assert not fresh._is_bot(platform, BOT_BASE + off_day * BOT_SLOTS)
        assert fresh.author_by_handle(platform, burst[0].handle.replace(
            str(bot.idx), str(BOT_BASE + off_day * BOT_SLOTS))) is None


def test_first_ms_is_exact_on_planted_days(cfg):
    world = World(cfg, seed=5, mentions_per_night=150)  # sparse nights: bursts can come first
    planted_first = 0
    for platform in SPAM_PLATFORMS:
        for d in range(DAY - 14, DAY + 1):
            bound = world.first_ms(platform, d)  # from times only: the day is not generated
            posts = world.day_posts(platform, d)
            assert bound == min(p.ms for p in posts), (platform, d)
            planted_first += posts[0].cat in PLANTED
    assert planted_first  # the case that needs the planted times


def test_spam_off_plants_nothing(cfg, quiet):
    assert not [d for pl in PLATFORMS for d in DAYS if quiet.planted(pl, d)]
    assert not [p for pl in SPAM_PLATFORMS for p in quiet.day_posts(pl, DAY)
                if p.cat in PLANTED or p.author.kind == "bot"]
    assert SimulatorServer(cfg, mentions_per_night=300, spam=False).world.spam is False


# -- over HTTP ------------------------------------------------------------------------------


def latest(world: World, platform: str, kind: str) -> list[Planted]:
    """The newest planted group of `kind` on or before NIGHT."""
    return next(got for d in range(DAY, DAY - 10, -1)
                if (got := world.planted(platform, d)) and got[0].kind == kind)


def served_x(http: httpx.Client, query: str, lo: int, hi: int) -> dict[str, dict]:
    """Tweets in [lo, hi) by id, each with its author's user object."""
    params = {"query": query, "start_time": iso_millis(lo), "end_time": iso_millis(hi),
              "max_results": 100, **X_FIELDS}
    out, token = {}, None
    while True:
        body = http.get("/x/2/tweets/search/recent", headers=BEARER,
                        params={**params, **({"next_token": token} if token else {})}).json()
        users = {u["id"]: u for u in body.get("includes", {}).get("users", [])}
        for tweet in body.get("data", []):
            user = users[tweet["author_id"]]
            metrics = user["public_metrics"]
            out[tweet["id"]] = {
                "author_id": user["id"], "handle": user["username"], "text": tweet["text"],
                "ms": parse_time(tweet["created_at"]), "created": parse_time(user["created_at"]),
                "following": metrics["following_count"],
                "followers": metrics["followers_count"], "posts": metrics["tweet_count"],
                "verified": user["verified"]}
        token = body["meta"].get("next_token")
        if token is None:
            return out


def served_bluesky(http: httpx.Client, query: str, lo: int, hi: int) -> dict[str, dict]:
    headers = bluesky_headers(http)
    params = {"q": query, "since": iso_millis(lo), "until": iso_millis(hi), "limit": 100}
    posts, cursor = [], None
    while True:
        body = http.get("/bluesky/xrpc/app.bsky.feed.searchPosts", headers=headers,
                        params={**params, **({"cursor": cursor} if cursor else {})}).json()
        posts += body["posts"]
        cursor = body.get("cursor")
        if cursor is None:
            break
    dids = list(dict.fromkeys(p["author"]["did"] for p in posts))
    profiles = {}
    for i in range(0, len(dids), 25):  # getProfiles takes 25 actors at most
        got = http.get("/bluesky/xrpc/app.bsky.actor.getProfiles", headers=headers,
                       params=[("actors", d) for d in dids[i:i + 25]]).json()["profiles"]
        profiles.update({p["did"]: p for p in got})
    out = {}
    for post in posts:
        profile = profiles[post["author"]["did"]]
        out[post["uri"]] = {
            "author_id": profile["did"], "handle": profile["handle"],
            "text": post["record"]["text"], "ms": parse_time(post["indexedAt"]),
            "created": parse_time(profile["createdAt"]), "following": profile["followsCount"],
            "followers": profile["followersCount"], "posts": profile["postsCount"],
            "verified": post["author"]["verification"]["verifiedStatus"] != "none"}
    return out


def served_mastodon(http: httpx.Client, query: str, lo: int, hi: int) -> dict[str, dict]:
    """v2 search has no time bounds: page by offset, newest first, until older than `lo`."""
    out, offset = {}, 0
    while True:
        statuses = http.get("/mastodon/api/v2/search", headers=BEARER, params={
            "q": query, "type": "statuses", "limit": 40, "offset": offset}).json()["statuses"]
        for status in statuses:
            account = status["account"]
            out[status["id"]] = {
                "author_id": account["id"], "handle": account["acct"],
                "text": status["content"], "ms": parse_time(status["created_at"]),
                "created": parse_time(account["created_at"]),
                "following": account["following_count"],
                "followers": account["followers_count"], "posts": account["statuses_count"],
                "verified": account["bot"] or any(f["verified_at"] for f in account["fields"])}
        offset += len(statuses)
        if not statuses or parse_time(statuses[-1]["created_at"]) < lo:
            return {k: v for k, v in out.items() if lo <= v["ms"] < hi}


SERVED = {"x": served_x, "bluesky": served_bluesky, "mastodon": served_mastodon}


@pytest.mark.parametrize("platform", SPAM_PLATFORMS)
def test_search_serves_a_burst_from_fresh_mass_following_bots(sim, http, cfg, platform):
    burst = latest(sim.world, platform, BOT_BURST)
    now = burst[-1].ms + HOUR_MS
    sim.set_clock(from_ms(now))
    served = SERVED[platform](http, brand_query(cfg, burst[0].brand_id), burst[0].ms,
                              burst[-1].ms + 1)
    assert {g.post_id for g in burst} <= set(served)
    assert len({served[g.post_id]["author_id"] for g in burst}) == len(burst) >= 15
    for g in burst:
        item = served[g.post_id]
        assert (item["author_id"], item["ms"]) == (g.author_id, g.ms)
        assert item["handle"] == g.handle
        assert timedelta(days=1) <= from_ms(item["ms"]) - from_ms(item["created"]) \
            <= timedelta(days=20)
        assert 1500 <= item["following"] <= 5000 and 0 <= item["followers"] <= 40
        assert item["posts"] / ((now - item["created"]) / DAY_MS) > 100
        assert item["verified"] is False
        if platform == "bluesky":
            assert item["text"] == g.text


@pytest.mark.parametrize("platform", SPAM_PLATFORMS)
def test_search_serves_a_copy_paste_campaign_from_ordinary_accounts(sim, http, cfg, platform):
    campaign = latest(sim.world, platform, COPY_PASTE)
    now = campaign[-1].ms + HOUR_MS
    sim.set_clock(from_ms(now))
    served = SERVED[platform](http, brand_query(cfg, campaign[0].brand_id), campaign[0].ms,
                              campaign[-1].ms + 1)
    assert {g.post_id for g in campaign} <= set(served)
    items = [served[g.post_id] for g in campaign]
    assert len({i["author_id"] for i in items}) == len(items) >= 6
    assert max(i["ms"] for i in items) - min(i["ms"] for i in items) < 45 * 60_000
    for item in items:
        assert now - item["created"] > 365 * DAY_MS and item["following"] < 1000
        assert item["posts"] / ((now - item["created"]) / DAY_MS) < 100
    if platform != "mastodon":  # Mastodon serves HTML; X may append a media t.co link
        assert all(i["text"].startswith(g.text) for i, g in zip(items, campaign, strict=True))
