"""Simulated news: the deterministic articles, the outlets' feeds (quirks, validators, 304)
and GDELT's article search (ArtList, ToneChart, refusals, the cap, the interval rule)."""

from __future__ import annotations

import io
import itertools
import json
import re
import statistics
from collections.abc import Iterator
from datetime import date, timedelta

import feedparser
import httpx
import pytest

from carepulse.urls import article_id
from extract.news import parse_gdelt
from extract.simulator.news import NewsWorld
from extract.simulator.platforms import Context
from extract.simulator.platforms.news import News, rfc822
from extract.simulator.world import MISINFO_DOMAINS, day_number

from .conftest import CLOCK

FEEDS = ("lakemont-gazette.xml", "valley-health.atom", "lakemont-newsroom.xml")
ORG = '("Lakemont Health" OR "Lakemont Hospital" OR "Lakemont Medical Center" OR "LakemontHealth")'
NIGHT_WINDOW = {"startdatetime": "20261120000000", "enddatetime": "20261120235959"}
WEEK = {"startdatetime": "20261114000000", "enddatetime": "20261120235959"}


def gdelt(http: httpx.Client, query: str, mode: str = "ArtList", **params) -> httpx.Response:
    return http.get("/news/gdelt", params={"query": query, "mode": mode, "format": "json", **params})


def read(response: httpx.Response) -> dict:
    """GDELT's JSON as the connector reads it (titles carry invalid escapes)."""
    body, error = parse_gdelt(response.text)
    assert error is None, error
    return body


def articles(response: httpx.Response) -> list[dict]:
    return read(response).get("articles", [])


@pytest.fixture
def news(sim) -> Iterator[News]:
    platform = sim.platforms["news"]
    yield platform
    platform.min_interval_s, platform.burst = 0.5, 40
    platform.reset()


@pytest.fixture
def dense(sim, cfg) -> Iterator[NewsWorld]:
    """A world with 900 stories a day, for the 250-article cap."""
    original = sim.platforms["news"]
    world = NewsWorld(cfg, seed=3, per_day=(900, 900))
    sim.platforms["news"] = News(Context(sim.world, sim.faults, sim.now_ms), world)
    yield world
    sim.platforms["news"] = original


# -- the articles -----------------------------------------------------------------------------


def test_the_server_serves_the_registered_news_platform(sim):
    assert isinstance(sim.platforms["news"], News)


def test_days_are_deterministic_with_a_spike_every_tenth_day(cfg):
    world, again = NewsWorld(cfg, seed=7), NewsWorld(cfg, seed=7)
    start = date(2026, 10, 1)
    days = [start + timedelta(days=i) for i in range(60)]
    assert world.day(day_number(days[0])) == again.day(day_number(days[0]))
    spikes = world.spike_days(days[0], days[-1])
    assert len(spikes) == 6 and all((b - a).days == 10 for a, b in itertools.pairwise(spikes))
    org = cfg.organisation.id
    usual = [len(world.brand_articles(day_number(d), org)) for d in days if d not in spikes]
    on_spikes = [len(world.brand_articles(day_number(d), org)) for d in spikes]
    assert min(on_spikes) >= 3 * statistics.median(usual)
    for d in days:
        stories = [a for a in world.day(day_number(d)) if a.outlet.domain != "lakemont.example"]
        assert d in spikes or 5 <= len(stories) <= 15
    every = [a for d in days for a in world.day(day_number(d))]
    brands = {a.brand_id for a in every}
    assert brands == {b.id for b in cfg.brands} | {None}
    assert {a.language for a in every} == {"English", "Spanish"}
    assert {a.outlet.domain for a in every} >= set(MISINFO_DOMAINS) | {"lakemont.example"}


# -- feeds ------------------------------------------------------------------------------------


def test_feeds_keep_their_last_twenty_items_for_several_nights(sim, http):
    before = feedparser.parse(io.BytesIO(http.get("/news/feeds/lakemont-gazette.xml").content))
    sim.set_clock(CLOCK + timedelta(days=2))
    after = feedparser.parse(io.BytesIO(http.get("/news/feeds/lakemont-gazette.xml").content))
    assert len(before.entries) == len(after.entries) == 20
    titles = [e.title for e in before.entries]
    assert len(set(titles) & {e.title for e in after.entries}) >= 10
    assert after.entries[0].title not in titles  # new items on top


@pytest.mark.parametrize("name", FEEDS)
def test_every_feed_parses_cleanly(http, name):
    response = http.get(f"/news/feeds/{name}")
    parsed = feedparser.parse(io.BytesIO(response.content))
    assert response.status_code == 200 and not parsed.bozo
    assert parsed.version == ("atom10" if name.endswith(".atom") else "rss20")
    assert response.headers["content-type"].startswith(
        "application/atom+xml" if name.endswith(".atom") else "application/rss+xml")


def test_feeds_carry_the_quirks_readers_must_take(http):
    rss = http.get("/news/feeds/lakemont-gazette.xml").text
    items = re.findall(r"<item>.*?</item>", rss, re.S)
    assert any("<guid" not in i for i in items) and any("<pubDate>" not in i for i in items)
    assert any("<link>" not in i for i in items)  # a brief
    assert "<![CDATA[<p>" in rss and "&lt;p&gt;" in rss and "utm_source=rss" in rss
    zones = set(re.findall(r"<pubDate>.* (\S+)</pubDate>", rss))
    assert zones >= {"+0000", "GMT"} or zones >= {"+0000", "EST"}
    newsroom = http.get("/news/feeds/lakemont-newsroom.xml").text
    assert '<guid isPermaLink="false">lakemont-pr-' in newsroom
    atom = http.get("/news/feeds/valley-health.atom").text
    entries = re.findall(r"<entry.*?</entry>", atom, re.S)
    assert all("<updated>" in e for e in entries) and any("<published>" not in e for e in entries)
    ms = 1_764_979_200_000  # 2025-12-06T00:00Z
    assert [rfc822(ms, form) for form in range(4)] == [
        "Sat, 06 Dec 2025 00:00:00 +0000", "Sat, 06 Dec 2025 00:00:00 GMT",
        "Fri, 05 Dec 2025 19:00:00 EST", "Sat, 6 Dec 2025 00:00:00 +0000"]


@pytest.mark.parametrize("name", FEEDS)
def test_conditional_gets_answer_304_while_the_feed_is_unchanged(http, name):
    first = http.get(f"/news/feeds/{name}")
    tag, modified = first.headers["etag"], first.headers["last-modified"]
    assert tag.startswith('W/"' if name.endswith(".atom") else '"')
    same = http.get(f"/news/feeds/{name}", headers={"If-None-Match": tag})
    assert (same.status_code, same.content, same.headers["etag"]) == (304, b"", tag)
    assert http.get(f"/news/feeds/{name}", headers={"If-None-Match": '"stale"'}).status_code == 200
    assert http.get(f"/news/feeds/{name}", headers={"If-Modified-Since": modified}).status_code == 304
    older = "Mon, 01 Jan 2024 00:00:00 GMT"
    assert http.get(f"/news/feeds/{name}", headers={"If-Modified-Since": older}).status_code == 200


def test_moved_gone_and_unknown_feeds(http):
    moved = http.get("/news/feeds/gazette.rss")
    assert moved.status_code == 301 and moved.headers["location"].endswith("/news/feeds/lakemont-gazette.xml")
    assert http.get("/news/feeds/health-desk-archive.xml").status_code == 410
    assert http.get("/news/feeds/nope.xml").status_code == 404


# -- GDELT ------------------------------------------------------------------------------------


def test_artlist_finds_the_brand_in_gdelts_format(http):
    response = gdelt(http, ORG, maxrecords=250, sort="DateDesc", **WEEK)
    found = articles(response)
    assert found and response.status_code == 200
    assert all(set(a) == {"url", "url_mobile", "title", "seendate", "socialimage", "domain", "language",
                          "sourcecountry"} for a in found)
    seen = [a["seendate"] for a in found]
    assert all(re.fullmatch(r"\d{8}T\d{2}(00|15|30|45)00Z", s) for s in seen)
    assert seen == sorted(seen, reverse=True)
    assert "20261114T000000Z" <= seen[-1] <= seen[0] <= "20261120T235959Z"
    assert all(re.search(r"Lakemont", a["title"]) for a in found)
    assert {a["language"] for a in found} <= {"English", "Spanish"}
    assert any(a["url"].startswith(("https://m.", "https://www.")) for a in found)


def test_exclusions_and_empty_results(http):
    realty = articles(gdelt(http, '"Lakemont Realty"', startdatetime="20260901000000"))
    assert realty and all("Lakemont Hospital" in a["title"] for a in realty)
    kept = articles(gdelt(http, '"Lakemont Hospital" -"Lakemont Realty"', startdatetime="20260901000000",
                          maxrecords=250))
    assert kept and not any("Realty" in a["title"] for a in kept)
    nothing = gdelt(http, '"Nobody Writes About This"', **NIGHT_WINDOW)
    assert nothing.text.strip() == "{}"
    assert gdelt(http, '"Nobody Writes About This"', "ToneChart", **NIGHT_WINDOW).text.strip() == "{}"


@pytest.mark.parametrize(("query", "answer"), [
    ('"LH"', "The specified phrase is too short."),
    ("health", "Your search contained a keyword that was too common"),
    ('("Lakemont Health")', "Parentheses may only be used around OR'd statements."),
    ('"Lakemont Health" OR "Northgate Medical"', "Queries containing OR'd terms must be surrounded by ()."),
    ('("Lakemont Health" OR "Northgate', "Invalid query"),
])
def test_refusals_are_plain_text_with_200(http, query, answer):
    response = gdelt(http, query, **NIGHT_WINDOW)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith(answer)
    bad_date = gdelt(http, ORG, startdatetime="2026-11-20")
    assert bad_date.status_code == 200 and bad_date.text.startswith("Invalid startdatetime")


def test_titles_carry_invalid_escapes_the_connector_reads(http):
    text = gdelt(http, ORG, maxrecords=250, startdatetime="20260901000000").text
    with pytest.raises(ValueError):
        json.loads(text)
    assert "\\'" in text
    assert all("\\'" not in a["title"] for a in articles(httpx.Response(200, text=text)))


def test_tonechart_bins_every_match_and_lists_the_artlist_urls(http):
    found = articles(gdelt(http, ORG, maxrecords=250, **WEEK))
    chart = read(gdelt(http, ORG, "ToneChart", **WEEK))["tonechart"]
    assert sum(b["count"] for b in chart) == len(found) < 250
    assert all(-10 <= b["bin"] <= 10 and 1 <= len(b["toparts"]) <= min(10, b["count"]) for b in chart)
    assert {p["url"] for b in chart for p in b["toparts"]} <= {a["url"] for a in found}
    assert [b["bin"] for b in chart] == sorted(b["bin"] for b in chart)


def test_artlist_answers_at_most_250(http, dense):
    capped = articles(gdelt(http, ORG, maxrecords=1000, **NIGHT_WINDOW))
    assert len(capped) == 250
    assert len(articles(gdelt(http, ORG, **NIGHT_WINDOW))) == 75  # GDELT's default
    chart = read(gdelt(http, ORG, "ToneChart", **NIGHT_WINDOW))["tonechart"]
    assert sum(b["count"] for b in chart) > 250  # ToneChart counts them all


def test_the_interval_rule_and_the_rate_limit_fault(sim, http, news):
    news.min_interval_s, news.burst = 5.0, 1
    news.reset()
    assert gdelt(http, ORG, **NIGHT_WINDOW).text.startswith("{")
    refused = gdelt(http, ORG, **NIGHT_WINDOW)
    assert refused.status_code == 200 and refused.text.startswith("Please limit requests to one every 5")
    assert http.get("/news/feeds/lakemont-gazette.xml").status_code == 200  # feeds are other hosts
    news.min_interval_s = 0
    sim.faults.add("news", {"kind": "rate_limit", "times": 2, "retry_after": 3})
    assert gdelt(http, ORG, **NIGHT_WINDOW).text.startswith("Please limit requests")
    limited = http.get("/news/feeds/lakemont-gazette.xml")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3"


def test_one_story_in_a_feed_and_in_gdelt_spelled_differently(sim, http, cfg):
    sim.set_clock(CLOCK)
    feed = feedparser.parse(io.BytesIO(http.get("/news/feeds/lakemont-gazette.xml").content))
    links = {article_id(e.link): e.link for e in feed.entries if e.get("link")}
    terms = " OR ".join(f'"{t}"' for b in cfg.brands for t in b.terms)
    urls = [a["url"] for a in articles(gdelt(http, f"({terms})", maxrecords=250,
                                             startdatetime="20261101000000"))]
    shared = [u for u in urls if article_id(u) in links]
    assert shared and len(shared) < len(links)  # GDELT misses some, and never sees the briefs
    assert any(u != links[article_id(u)] for u in shared)
