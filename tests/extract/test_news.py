"""News connector: feeds and GDELT against recorded-style payloads (fixtures/news) replayed
through httpx.MockTransport, then against the simulated outlets and GDELT over real HTTP."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from carepulse.config import PlatformConfig
from carepulse.urls import article_id, text_id
from extract import items
from extract.base import ConnectorContext, Night, Page, Shard
from extract.errors import AuthFailed, ShardFailed
from extract.http import Budget, RetryPolicy
from extract.news import NewsConnector, build_query
from extract.simulator.news import NewsWorld
from extract.simulator.platforms import Context
from extract.simulator.platforms.news import News, gdelt_url, parse_gdelt_query
from extract.simulator.server import SimulatorServer

FIXTURES = Path(__file__).parent / "fixtures" / "news"
GDELT = "https://api.gdeltproject.org/api/v2/doc/doc"
FEED_URL = "https://lakemont-gazette.example/feeds/lakemont-gazette.xml"
CONTACT = "newsdesk@lakemont.example"
NIGHT = Night(date(2026, 12, 5))
NOW = datetime(2026, 12, 6, 2, tzinfo=UTC)
FEED = Shard("news", "feed", "lakemont_gazette", NIGHT.start, NIGHT.end, terms=("Lakemont Gazette",),
             handles=(FEED_URL,))
MENTIONS = Shard("news", "mentions", "lakemont", NIGHT.start, NIGHT.end,
                 terms=("Lakemont Health", "Lakemont Hospital", "LH", "Hospital"),
                 hashtags=("LakemontCares",), handles=("lakemonthealth",), exclude=("Lakemont Realty",))
QUERY = '("Lakemont Health" OR "Lakemont Hospital") -"Lakemont Realty"'
DAY = {"startdatetime": "20261205000000", "enddatetime": "20261205235959"}
ARTLIST = {"query": QUERY, "mode": "ArtList", "format": "json", "maxrecords": "250", "sort": "DateDesc"}
TONECHART = {"query": QUERY, "mode": "ToneChart", "format": "json"}
BODY_KEYS = ["feed_url", "http_status", "etag", "last_modified", "format", "bozo", "bozo_exception",
             "feed", "entries", "document"]
ENTRY_KEYS = {"article_id", "link", "canonical_link", "guid", "title", "summary", "published",
              "published_raw", "author", "language"}


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def reply(name: str, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    kind = "application/json" if name.endswith(".json") else "text/plain" if name.endswith(".txt") \
        else "text/html" if name.endswith(".html") else "application/rss+xml"
    return httpx.Response(status, headers={"Content-Type": f"{kind}; charset=utf-8", **(headers or {})},
                          content=fixture(name).encode("utf-8"))


class Api:
    """Serves scripted responses (or a handler's) in order and records every request."""

    def __init__(self, *responses: httpx.Response | Callable[[httpx.Request], httpx.Response]):
        self.queue = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert self.queue, f"unexpected request {request.url}"
        answer = self.queue.pop(0)
        return answer(request) if callable(answer) else answer


@dataclass
class Rig:
    connector: NewsConnector
    api: Api
    waits: list[float]
    malformed: list[tuple[str, dict]] = field(default_factory=list)

    def pages(self, shard: Shard, cursor: dict | None = None) -> list[Page]:
        return list(self.connector.pages(shard, cursor))

    def sent(self, i: int) -> dict[str, str]:
        return dict(self.api.requests[i].url.params)


def rig(*responses, state_dir: Path | None = None, max_retries: int = 2, now: datetime = NOW,
        contact: str = CONTACT) -> Rig:
    api, waits, malformed = Api(*responses), [], []
    policy = RetryPolicy(max_retries=max_retries, backoff_base_s=0.5, backoff_max_s=2, max_wait_s=900,
                         sleep=waits.append, clock=lambda: now.timestamp(), rng=random.Random(7))
    config = PlatformConfig(endpoint=GDELT, credential_env="CAREPULSE_NEWS_CONTACT")
    ctx = ConnectorContext("news", config, contact, policy, Budget(200), state_dir=state_dir,
                           on_malformed=lambda f, meta: malformed.append((f.text, meta)))
    return Rig(NewsConnector(ctx, transport=httpx.MockTransport(api)), api, waits, malformed)


def on_night(shard: Shard, night: date) -> Shard:
    n = Night(night)
    return Shard(shard.platform, shard.kind, shard.key, n.start, n.end, shard.terms, shard.hashtags,
                 shard.handles, shard.exclude)


# -- feeds ----------------------------------------------------------------------------------------


def test_an_rss_feed_lands_as_feedparser_read_it_with_keys_beside_each_entry():
    validators = {"ETag": '"v1"', "Last-Modified": "Sat, 05 Dec 2026 14:20:00 GMT"}
    r = rig(reply("gazette.rss.xml", headers=validators))
    [page] = r.pages(FEED)
    request = r.api.requests[0]
    assert str(request.url) == FEED_URL
    assert request.headers["User-Agent"].endswith(f"(+contact: {CONTACT})")
    assert request.headers["User-Agent"].startswith("carepulse/")
    assert "If-None-Match" not in request.headers and "If-Modified-Since" not in request.headers

    body = page.body
    assert list(body) == BODY_KEYS
    assert (page.endpoint, page.status, page.cursor, page.params) == ("news.feed", 200, {"landed": True}, {})
    assert page.text == body["document"] == fixture("gazette.rss.xml")
    assert body["http_status"] == 200 and body["etag"] == '"v1"'
    assert body["last_modified"] == "Sat, 05 Dec 2026 14:20:00 GMT"
    assert (body["format"], body["bozo"], body["bozo_exception"]) == ("rss20", False, None)
    assert body["feed"] == {"title": "Lakemont Gazette", "link": "https://lakemont-gazette.example/",
                            "language": "en-us"}
    entries = body["entries"]
    assert page.records == len(entries) == items.count("news.feed", body) == 7
    assert all(set(e) == ENTRY_KEYS for e in entries)
    assert all(e["article_id"] for e in entries)  # every entry has the key items.py counts

    wing, waits, flu, cmo, brief, undated, spanish = entries
    # the link's tracking parameters do not name the article
    canonical = "https://lakemont-gazette.example/2026/12/05/lakemont-health-opens-new-cardiac-wing-41213"
    assert wing["canonical_link"] == canonical and wing["link"].endswith("utm_medium=feed")
    assert wing["article_id"] == article_id(canonical) == article_id(wing["link"])
    assert wing["summary"] == ("The new wing at Lakemont Health adds 24 beds & a family lounge, "
                               "officials said.")
    assert wing["author"] == "Dana Whitfield" and wing["guid"] == canonical
    assert waits["summary"] == "Some waited more than 6 hours, according to complaints & letters."
    # every RFC 822 spelling to UTC, kept as written too
    assert [(e["published"], e["published_raw"]) for e in (wing, waits, flu, spanish)] == [
        ("2026-12-05T14:15:00Z", "Sat, 05 Dec 2026 14:15:00 +0000"),
        ("2026-12-05T14:30:00Z", "Sat, 05 Dec 2026 09:30:00 EST"),
        ("2026-12-04T18:00:00Z", "Fri, 4 Dec 2026 18:00:00 GMT"),
        ("2026-12-02T16:45:00Z", "Wed, 2 Dec 2026 16:45:00 +0000")]
    assert (cmo["published"], cmo["published_raw"], cmo["guid"]) == (None, None, None)
    assert cmo["article_id"] == article_id(cmo["link"])
    # no link: the guid keys it; neither: the text
    assert (brief["link"], brief["guid"]) == (None, "gazette-brief-20791-4")
    assert brief["article_id"] == text_id("gazette-brief-20791-4")
    assert (undated["link"], undated["guid"], undated["published"]) == (None, None, None)
    assert undated["article_id"] == text_id("Brief: county urges flu shots",
                                            "Clinics expect 200 visits a day.")
    assert (spanish["language"], spanish["summary"]) == ("es", "Pacientes esperaron más de 5 horas.")
    assert wing["language"] is None  # the warehouse falls back on the feed's


def test_an_atom_feed_dates_entries_by_updated_when_they_have_no_published():
    r = rig(reply("desk.atom"))
    [page] = r.pages(FEED)
    assert page.body["format"] == "atom10"
    award, clinic = page.body["entries"]
    assert (award["published"], award["published_raw"]) == ("2026-12-05T19:33:30Z",
                                                             "2026-12-05T14:33:30-05:00")
    assert (clinic["published"], clinic["published_raw"]) == ("2026-12-04T09:00:00Z",
                                                              "2026-12-04T09:00:00Z")
    assert award["summary"] == "Nurses received the state’s top recognition — the 3rd in the region."
    assert award["guid"] == "tag:valleyhealthdesk.example,2020:20792-6"
    assert award["author"] == "Priya Natarajan"
    assert (award["language"], clinic["language"]) == ("en", "es")
    assert award["article_id"] == article_id(award["link"])


def test_entries_without_dates_or_guids_keep_their_ids_across_fetches_and_nights():
    first = rig(reply("gazette.rss.xml")).pages(FEED)[0].body["entries"]
    later = rig(reply("gazette.rss.xml")).pages(on_night(FEED, date(2026, 12, 9)))[0].body["entries"]
    assert [e["article_id"] for e in first] == [e["article_id"] for e in later]
    assert len({e["article_id"] for e in first}) == len(first)


def test_the_next_night_asks_conditionally_and_lands_a_304_with_no_entries(tmp_path):
    validators = {"ETag": '"v1"', "Last-Modified": "Sat, 05 Dec 2026 14:20:00 GMT"}
    rig(reply("gazette.rss.xml", headers=validators), state_dir=tmp_path).pages(FEED)

    r = rig(httpx.Response(304, headers={"ETag": '"v1"'}), state_dir=tmp_path)
    [page] = r.pages(on_night(FEED, date(2026, 12, 6)))
    sent = r.api.requests[0].headers
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == ('"v1"', "Sat, 05 Dec 2026 14:20:00 GMT")
    assert (page.status, page.records, page.text) == (304, 0, "")
    assert page.params == {"If-None-Match": '"v1"', "If-Modified-Since": "Sat, 05 Dec 2026 14:20:00 GMT"}
    body = page.body
    assert list(body) == BODY_KEYS
    assert (body["http_status"], body["entries"], body["etag"], body["document"]) == (304, [], '"v1"', "")
    assert body["last_modified"] == "Sat, 05 Dec 2026 14:20:00 GMT"  # still the one sent

    # a rerun of the first night, or a backfill before it, reads the whole feed again
    for night in (date(2026, 12, 5), date(2026, 12, 1)):
        again = rig(reply("gazette.rss.xml"), state_dir=tmp_path)
        assert again.pages(on_night(FEED, night))[0].records == 7
        assert "If-None-Match" not in again.api.requests[0].headers


def test_validators_are_remembered_only_once_the_page_was_taken(tmp_path):
    r = rig(reply("gazette.rss.xml", headers={"ETag": '"v1"'}), state_dir=tmp_path)
    pages = r.connector.pages(FEED, None)
    assert next(pages).records == 7
    assert not list(tmp_path.iterdir())  # not committed yet: a crash here must refetch in full
    assert list(pages) == []
    assert [p.name for p in tmp_path.iterdir()] == ["feed-lakemont_gazette.json"]
    # resumed after the page was committed: nothing is fetched again
    assert rig(state_dir=tmp_path).pages(FEED, {"landed": True}) == []


def test_a_malformed_but_whole_feed_keeps_its_entries_and_the_flag():
    [page] = rig(reply("bozo.rss.xml")).pages(FEED)
    assert page.body["bozo"] is True and "not well-formed" in page.body["bozo_exception"]
    assert [e["title"] for e in page.body["entries"]] == ["Northgate Medical & county sign clinic deal",
                                                         "Bayfield Clinics opens a walk-in center"]
    assert page.records == 2


def test_an_html_page_or_a_cut_feed_is_kept_as_evidence_and_retried():
    cut = fixture("gazette.rss.xml")[:900]
    r = rig(reply("error.html"), httpx.Response(200, text=cut), reply("gazette.rss.xml"))
    [page] = r.pages(FEED)
    assert page.records == 7
    assert [t for t, _ in r.malformed] == [fixture("error.html"), cut]
    assert all(meta["endpoint"] == "news.feed" for _, meta in r.malformed)

    r = rig(*[reply("error.html")] * 3)
    with pytest.raises(ShardFailed, match="lakemont_gazette"):
        r.pages(FEED)
    assert len(r.malformed) == 3


@pytest.mark.parametrize("status", [404, 410])
def test_a_missing_feed_fails_its_shard_naming_it(status):
    r = rig(httpx.Response(status, text="<html>gone</html>"))
    with pytest.raises(ShardFailed) as failed:
        r.pages(FEED)
    assert "lakemont_gazette" in str(failed.value) and FEED_URL in str(failed.value)
    assert f"HTTP {status}" in str(failed.value) and len(r.api.requests) == 1


def test_a_moved_feed_is_followed():
    moved = httpx.Response(301, headers={"Location": "https://lakemont-gazette.example/rss"})
    r = rig(moved, reply("gazette.rss.xml"))
    [page] = r.pages(FEED)
    assert page.records == 7 and page.url == "https://lakemont-gazette.example/rss"
    assert page.body["feed_url"] == FEED_URL


def test_the_credential_must_be_a_contact_address():
    with pytest.raises(AuthFailed, match="contact e-mail"):
        rig(contact="not-an-address")


# -- GDELT --------------------------------------------------------------------------------------


def test_the_query_leaves_out_phrases_gdelt_refuses():
    assert build_query(MENTIONS) == QUERY  # "LH" too short, "Hospital" too common
    one = Shard("news", "mentions", "x", NIGHT.start, NIGHT.end, terms=("Bayfield Clinics",))
    assert build_query(one) == '"Bayfield Clinics"'  # parentheses only around OR'd terms
    nothing = Shard("news", "mentions", "x", NIGHT.start, NIGHT.end, terms=("ER", "health"))
    assert build_query(nothing) is None
    r = rig()
    assert r.pages(nothing) == [] and r.api.requests == []


def test_a_brand_search_lands_artlist_then_tonechart_for_the_same_window():
    r = rig(reply("artlist.json"), reply("tonechart.json"))
    artlist, tonechart = r.pages(MENTIONS)
    assert r.sent(0) == {**ARTLIST, **DAY} and r.sent(1) == {**TONECHART, **DAY}
    assert str(r.api.requests[0].url).startswith(GDELT + "?")
    assert r.api.requests[0].headers["User-Agent"].endswith(f"(+contact: {CONTACT})")
    assert (artlist.endpoint, artlist.records) == ("news.gdelt.artlist", 3)
    assert artlist.text == fixture("artlist.json")
    assert artlist.body == json.loads(fixture("artlist.json"))
    assert artlist.params == {**ARTLIST, "maxrecords": 250, **DAY}
    assert artlist.cursor == {"windows": [[DAY["startdatetime"], DAY["enddatetime"]]], "next": "tonechart"}
    assert (tonechart.endpoint, tonechart.records, tonechart.cursor) == ("news.gdelt.tonechart", 2, None)
    assert tonechart.params == {**TONECHART, **DAY}
    # a resume after the ArtList page asks only for the tone
    r = rig(reply("tonechart.json"))
    assert [p.endpoint for p in r.pages(MENTIONS, artlist.cursor)] == ["news.gdelt.tonechart"]
    assert r.sent(0) == {**TONECHART, **DAY}


def test_a_feed_item_and_a_gdelt_article_of_one_story_share_a_key():
    [feed] = rig(reply("gazette.rss.xml")).pages(FEED)
    [articles, _] = rig(reply("artlist.json"), reply("tonechart.json")).pages(MENTIONS)
    wing = feed.body["entries"][0]
    hit = articles.body["articles"][0]
    assert wing["link"] != hit["url"]  # utm on one, the m. host on the other
    assert article_id(hit["url"]) == wing["article_id"]


def test_no_match_is_an_empty_page_not_an_error():
    r = rig(reply("empty.json"))
    [page] = r.pages(MENTIONS)
    assert (page.body, page.records, page.cursor) == ({}, 0, None)
    assert len(r.api.requests) == 1  # no tone to ask for
    assert r.malformed == []


def test_the_rate_limit_notice_waits_at_least_five_seconds_then_succeeds():
    r = rig(reply("rate_limit.txt"), reply("rate_limit.txt"), reply("artlist.json"), reply("tonechart.json"),
            max_retries=3)
    pages = r.pages(MENTIONS)
    assert [p.records for p in pages] == [3, 2]
    assert len(r.waits) == 2 and all(w >= 5 for w in r.waits)
    assert r.malformed == []  # a notice, not a broken page
    assert r.connector.stats()["retries"] == 2


@pytest.mark.parametrize("name", ["too_short.txt", "too_common.txt"])
def test_a_refused_query_fails_the_shard_with_gdelts_words(name):
    r = rig(reply(name))
    with pytest.raises(ShardFailed) as failed:
        r.pages(MENTIONS)
    assert fixture(name).strip() in str(failed.value) and "news.mentions.lakemont" in str(failed.value)
    assert len(r.api.requests) == 1 and r.malformed == []


def test_invalid_escapes_and_raw_control_characters_are_read_and_kept_verbatim():
    r = rig(reply("invalid_escape.json"), reply("empty.json"))
    [page, _] = r.pages(MENTIONS)
    assert page.text == fixture("invalid_escape.json")
    assert page.body["articles"][0]["title"] == "What Lakemont Health won't tell you\tabout flu shots"
    assert page.records == 1 and r.malformed == []


def test_other_text_is_malformed_evidence_and_retried():
    r = rig(reply("error.html"), reply("empty.json"))
    [page] = r.pages(MENTIONS)
    assert page.records == 0
    assert [(t, m["endpoint"]) for t, m in r.malformed] == [(fixture("error.html"), "news.gdelt.artlist")]


def artlist_of(start: str, end: str, n: int) -> httpx.Response:
    arts = [{"url": f"https://metro-daily.example/{start}/{end}/{i}", "url_mobile": "",
             "title": f"Lakemont Health {i}", "seendate": f"{start[:8]}T{start[8:]}Z", "socialimage": "",
             "domain": "metro-daily.example", "language": "English", "sourcecountry": "United States"}
            for i in range(n)]
    return httpx.Response(200, json={"articles": arts} if arts else {})


def test_a_saturated_window_is_searched_again_in_halves():
    full = {("20261205000000", "20261205235959"), ("20261205120000", "20261205235959")}  # day, 2nd half
    seen: list[tuple[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        p = request.url.params
        if p["mode"] == "ToneChart":
            return httpx.Response(200, json={"tonechart": [{"bin": 0, "count": 1, "toparts": []}]})
        seen.append((p["startdatetime"], p["enddatetime"]))
        return artlist_of(p["startdatetime"], p["enddatetime"], 250 if seen[-1] in full else 100)

    r = rig(*[answer] * 20)
    pages = r.pages(MENTIONS)
    assert seen == [("20261205000000", "20261205235959"), ("20261205000000", "20261205115959"),
                             ("20261205120000", "20261205235959"), ("20261205120000", "20261205175959"),
                             ("20261205180000", "20261205235959")]
    landed = [(p.endpoint, p.params["startdatetime"], p.params["enddatetime"]) for p in pages]
    assert landed == [("news.gdelt.artlist", "20261205000000", "20261205115959"),
                      ("news.gdelt.tonechart", "20261205000000", "20261205115959"),
                      ("news.gdelt.artlist", "20261205120000", "20261205175959"),
                      ("news.gdelt.tonechart", "20261205120000", "20261205175959"),
                      ("news.gdelt.artlist", "20261205180000", "20261205235959"),
                      ("news.gdelt.tonechart", "20261205180000", "20261205235959")]
    # the second half is still whole in the cursor: a resume splits it again as this run did
    assert pages[1].cursor == {"windows": [["20261205120000", "20261205235959"]], "next": "artlist"}
    # a resume from there repeats exactly the windows still to search
    resumed = rig(*[answer] * 5).pages(MENTIONS, pages[1].cursor)
    assert [(p.endpoint, p.params["startdatetime"], p.params["enddatetime"]) for p in resumed] == landed[2:]
    assert [p.records for p in pages if p.endpoint == "news.gdelt.artlist"] == [100, 100, 100]


def test_a_window_older_than_three_months_is_clipped_or_skipped(caplog):
    caplog.set_level(logging.INFO, "extract.news")
    r = rig(reply("empty.json"), now=NIGHT.start + timedelta(days=90, hours=5))
    [page] = r.pages(MENTIONS)
    assert page.params["startdatetime"] == "20261205050000" and "three months" in caplog.text
    r = rig(now=NIGHT.end + timedelta(days=91))
    assert r.pages(MENTIONS) == [] and r.api.requests == []
    assert "older than GDELT's three months" in caplog.text


# -- against the simulator --------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(loaded_config):
    with SimulatorServer(loaded_config.config, seed=5, mentions_per_night=50, port=0, clock=NOW) as sim:
        yield sim


@pytest.fixture
def sim(server):
    server.reset()
    server.set_clock(NOW)
    server.platforms["news"] = News(Context(server.world, server.faults, server.now_ms))
    yield server
    server.reset()


def live(sim, state_dir: Path | None = None) -> NewsConnector:
    policy = RetryPolicy(max_retries=3, backoff_base_s=0.01, backoff_max_s=0.02, sleep=lambda s: None,
                         rng=random.Random(1), clock=lambda: sim.now_ms() / 1000)
    config = PlatformConfig(endpoint=f"{sim.url}/news/gdelt", credential_env="CAREPULSE_NEWS_CONTACT")
    return NewsConnector(ConnectorContext("news", config, CONTACT, policy, Budget(500), state_dir=state_dir))


def feed_shard(sim, name: str, night: date = NIGHT.date) -> Shard:
    n = Night(night)
    return Shard("news", "feed", name.split(".")[0], n.start, n.end,
                 handles=(f"{sim.url}/news/feeds/{name}",))


def brand_shard(brand, night: date = NIGHT.date) -> Shard:
    n = Night(night)
    return Shard("news", "mentions", brand.id, n.start, n.end, terms=tuple(brand.terms),
                 exclude=tuple(brand.exclude))


def test_live_feeds_repeat_across_nights_with_the_same_ids_and_304_when_unchanged(sim, tmp_path):
    name = "lakemont-gazette.xml"
    [tonight] = list(live(sim, tmp_path).pages(feed_shard(sim, name), None))
    sim.set_clock(NOW + timedelta(days=1))
    [tomorrow] = list(live(sim, tmp_path).pages(feed_shard(sim, name, date(2026, 12, 6)), None))
    assert tomorrow.status == 200 and tomorrow.params["If-None-Match"] == tonight.body["etag"]
    ids = {e["link"] or e["guid"] or e["title"]: e["article_id"] for e in tonight.body["entries"]}
    again = {e["link"] or e["guid"] or e["title"]: e["article_id"] for e in tomorrow.body["entries"]}
    assert len(set(ids) & set(again)) >= 10  # items stay in the feed for several nights
    assert all(ids[k] == again[k] for k in set(ids) & set(again))
    assert any(e["guid"] is None for e in tonight.body["entries"])
    # nothing new by the next night: a 304, and an empty page
    [unchanged] = list(live(sim, tmp_path).pages(feed_shard(sim, name, date(2026, 12, 7)), None))
    assert (unchanged.status, unchanged.records, unchanged.body["entries"]) == (304, 0, [])


def test_live_gdelt_and_feeds_name_one_story_with_different_links(sim, loaded_config):
    org = loaded_config.config.organisation
    feed_ids, feed_links = set(), {}
    for name in ("lakemont-gazette.xml", "valley-health.atom", "lakemont-newsroom.xml"):
        [page] = list(live(sim).pages(feed_shard(sim, name), None))
        feed_ids |= {e["article_id"] for e in page.body["entries"]}
        feed_links |= {e["article_id"]: e["link"] for e in page.body["entries"]}
    urls = set()
    for day in range(12):
        night = date(2026, 11, 24) + timedelta(days=day)
        urls |= {a["url"] for p in live(sim).pages(brand_shard(org, night), None)
                 if p.endpoint == "news.gdelt.artlist" for a in p.body.get("articles", [])}
    shared = {u for u in urls if article_id(u) in feed_ids}
    assert shared
    assert any(u != feed_links[article_id(u)] for u in shared)  # spelled differently, one article


def test_live_saturated_day_lands_every_article_once(loaded_config, tmp_path):
    with SimulatorServer(loaded_config.config, seed=5, mentions_per_night=50, port=0, clock=NOW) as sim:
        world = NewsWorld(loaded_config.config, seed=5, per_day=(900, 900))
        sim.platforms["news"] = News(Context(sim.world, sim.faults, sim.now_ms), world)
        org = loaded_config.config.organisation
        pages = list(live(sim).pages(brand_shard(org), None))
        matcher = parse_gdelt_query(build_query(brand_shard(org)))
        expected = {gdelt_url(a) for a in world.seen(int(NIGHT.start.timestamp() * 1000),
                                                     int(NIGHT.end.timestamp() * 1000) - 1, sim.now_ms())
                    if matcher.matches(a.text)}
        assert len(expected) > 250
        landed = [a["url"] for p in pages if p.endpoint == "news.gdelt.artlist" for a in p.body["articles"]]
        assert len(landed) == len(set(landed)) and set(landed) == expected
        windows = [(p.params["startdatetime"], p.params["enddatetime"]) for p in pages
                   if p.endpoint == "news.gdelt.artlist"]
        assert len(windows) >= 2 and windows[0][0] == "20261205000000" and windows[-1][1] == "20261205235959"
        assert all(p.records < 250 for p in pages)
