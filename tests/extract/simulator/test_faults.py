"""Fault rules: parsing, counting, thread safety, and every kind over HTTP per platform."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from carepulse import sources
from extract.simulator.faults import FaultPlan, FaultRule, FaultSpecError

from .conftest import BEARER, DAY_END, DAY_START, bluesky_headers, reddit_headers

# the other sources test their faults in their own files (test_gbp.py, test_facebook.py, test_news.py...)
PLATFORMS = list(sources.PUBLIC)
YT = {"x-goog-api-key": "test-key"}

# -- the plan itself --------------------------------------------------------------------------


def test_parse_cli_spec():
    plan = FaultPlan.parse("youtube:quota:after=3, x:rate_limit:times=2:retry_after=1,"
                           "reddit:slow:delay_s=0.5:path=/search,*:server_error:status=502")
    rules = plan.rules()
    assert rules["youtube"][0] == FaultRule("quota", after=3, times=None)
    assert rules["x"][0] == FaultRule("rate_limit", times=2, retry_after=1.0)
    assert rules["reddit"][0] == FaultRule("slow", delay_s=0.5, path="/search")
    assert rules["*"][0].status == 502
    assert FaultPlan.parse("").rules() == {}
    for bad in ("youtube", "nowhere:slow", "x:explode", "x:slow:delay_s", "x:slow:bogus=1",
                "x:server_error:status=404", "x:slow:times=-1"):
        with pytest.raises(FaultSpecError):
            FaultPlan.parse(bad)


def test_after_and_times():
    plan = FaultPlan({"x": [FaultRule("server_error", after=2, times=2)]})
    fired = [plan.on_request("x", "/2/tweets/search/recent").terminal is not None
             for _ in range(6)]
    assert fired == [False, False, True, True, False, False]
    quota = FaultPlan({"x": [FaultRule.from_dict({"kind": "quota", "after": 1})]})
    assert [quota.on_request("x", "/").terminal is not None for _ in range(4)] == [
        False, True, True, True]
    quota.clear()
    assert quota.on_request("x", "/").terminal is None


def test_path_filter_and_wildcard_platform():
    plan = FaultPlan.from_json({"*": [{"kind": "malformed", "times": None, "path": "/search"}]})
    assert plan.on_request("reddit", "/search").body == "malformed"
    assert plan.on_request("x", "/2/tweets/search/recent").body == "malformed"
    assert plan.on_request("reddit", "/user/a/about").body is None
    assert plan.on_request("reddit", "/api/v1/access_token", special=True).body is None


def test_counting_is_thread_safe():
    plan = FaultPlan({"x": [FaultRule("rate_limit", times=25)]})
    fired: list[bool] = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(200):
            hit = plan.on_request("x", "/").terminal is not None
            with lock:
                fired.append(hit)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(fired) == 25 and len(fired) == 1600


def test_control_endpoint_replaces_rules(sim, http):
    sim.faults.add("x", {"kind": "slow", "delay_s": 0.01})
    body = {"youtube": [{"kind": "quota", "after": 3}], "x": [{"kind": "rate_limit"}]}
    response = http.post("/_sim/faults", json=body)
    assert response.status_code == 200
    kinds = {p: [r["kind"] for r in rs] for p, rs in sim.faults.snapshot()["rules"].items()}
    assert kinds == {"youtube": ["quota"], "x": ["rate_limit"]}
    bad = http.post("/_sim/faults", json={"x": [{"kind": "nope"}]})
    assert bad.status_code == 400 and "unknown fault kind" in bad.json()["error"]
    assert http.post("/_sim/reset").json() == {"ok": True}
    assert sim.faults.snapshot()["rules"] == {}


# -- one representative request per platform ---------------------------------------------------


def request_for(platform: str, http: httpx.Client) -> Callable[[], httpx.Response]:
    if platform == "youtube":
        return lambda: http.get("/youtube/youtube/v3/search", headers=YT,
                                params={"part": "snippet", "q": "Lakemont", "maxResults": 5})
    if platform == "reddit":
        headers = reddit_headers(http)
        return lambda: http.get("/reddit/search", headers=headers, params={"q": "Lakemont"})
    if platform == "mastodon":
        return lambda: http.get("/mastodon/api/v1/timelines/tag/LakemontHealth",
                                headers=BEARER, params={"limit": 5})
    if platform == "bluesky":
        headers = bluesky_headers(http)
        return lambda: http.get("/bluesky/xrpc/app.bsky.feed.searchPosts", headers=headers,
                                params={"q": "Lakemont", "limit": 5})
    return lambda: http.get("/x/2/tweets/search/recent", headers=BEARER,
                            params={"query": "Lakemont", "max_results": 10})


RATE_LIMITED = {
    "youtube": (403, lambda r: r.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
                and r.headers["retry-after"] == "1"),
    "reddit": (429, lambda r: r.json() == {"message": "Too Many Requests", "error": 429}
               and r.headers["retry-after"] == "1" and r.headers["x-ratelimit-remaining"] == "0.0"
               and r.headers["x-ratelimit-reset"] == "1"),
    "mastodon": (429, lambda r: r.json() == {"error": "Too many requests"}
                 and "retry-after" not in r.headers
                 and r.headers["x-ratelimit-reset"].endswith("Z")
                 and r.headers["x-ratelimit-remaining"] == "0"),
    "bluesky": (429, lambda r: r.json() == {"error": "RateLimitExceeded",
                                            "message": "Rate Limit Exceeded"}
                and r.headers["retry-after"] == "1" and int(r.headers["ratelimit-reset"])
                >= int(time.time())),
    "x": (429, lambda r: r.json() == {"title": "Too Many Requests", "detail": "Too Many Requests",
                                      "type": "about:blank", "status": 429}
          and r.headers["content-type"].startswith("application/problem+json")
          and int(r.headers["x-rate-limit-reset"]) >= int(time.time())),
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_rate_limit_then_recovery(sim, http, platform):
    send = request_for(platform, http)
    sim.faults.add(platform, {"kind": "rate_limit", "times": 2, "retry_after": 1})
    status, check = RATE_LIMITED[platform]
    for _ in range(2):
        response = send()
        assert response.status_code == status and check(response), response.text
    assert send().status_code == 200


QUOTA = {
    "youtube": (403, lambda r: r.json()["error"]["errors"][0] == {
        "message": r.json()["error"]["message"], "domain": "youtube.quota",
        "reason": "quotaExceeded"}),
    "reddit": (429, lambda r: int(r.headers["retry-after"]) == 86400),
    "mastodon": (429, lambda r: r.headers["x-ratelimit-reset"] > time.strftime("%Y-%m-%dT")),
    "bluesky": (429, lambda r: int(r.headers["retry-after"]) == 86400),
    "x": (429, lambda r: r.json()["title"] == "UsageCapExceeded"
          and r.json()["type"] == "https://api.twitter.com/2/problems/usage-capped"),
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_quota_is_permanent_until_reset(sim, http, platform):
    send = request_for(platform, http)
    sim.faults.add(platform, {"kind": "quota", "after": 2})
    assert [send().status_code for _ in range(2)] == [200, 200]
    status, check = QUOTA[platform]
    for _ in range(3):
        response = send()
        assert response.status_code == status and check(response), response.text
    http.post("/_sim/reset")
    assert request_for(platform, http)().status_code == 200


def test_youtube_quota_in_units(sim, http):
    sim.faults.add("youtube", {"kind": "quota", "units": 210})
    search = request_for("youtube", http)
    video = lambda: http.get("/youtube/youtube/v3/videos", headers=YT,  # noqa: E731
                             params={"part": "id", "id": "abc"})
    assert [search().status_code, search().status_code] == [200, 200]
    assert search().status_code == 403
    assert video().status_code == 403  # tripped for good


EXPIRED = {
    "youtube": (400, lambda r: r.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"),
    "reddit": (401, lambda r: r.json() == {"message": "Unauthorized", "error": 401}),
    "mastodon": (401, lambda r: r.json() == {"error": "The access token is invalid"}),
    "bluesky": (400, lambda r: r.json() == {"error": "ExpiredToken",
                                            "message": "Token has expired"}),
    "x": (401, lambda r: r.json()["title"] == "Unauthorized"),
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_expired_token_sticks_to_the_credential(sim, http, platform):
    send = request_for(platform, http)
    sim.faults.add(platform, {"kind": "expired_token", "after": 1})
    assert send().status_code == 200
    status, check = EXPIRED[platform]
    for _ in range(2):  # the rule fired once, the credential stays expired
        response = send()
        assert response.status_code == status and check(response), response.text
    if platform in ("reddit", "bluesky"):  # a new token works
        assert request_for(platform, http)().status_code == 200


@pytest.mark.parametrize("platform", PLATFORMS)
def test_server_error_slow_truncated_and_malformed(sim, http, platform):
    send = request_for(platform, http)
    clean = send()

    def only(rule: dict) -> None:
        sim.faults.replace({platform: [FaultRule.from_dict(rule)]})

    only({"kind": "server_error", "status": 502})
    assert send().status_code == 502 and send().content == clean.content
    only({"kind": "slow", "delay_s": 0.3})
    started = time.perf_counter()
    assert send().content == clean.content and time.perf_counter() - started >= 0.3
    only({"kind": "truncated"})
    truncated = send()
    assert truncated.status_code == 200 and clean.content.startswith(truncated.content)
    assert 0 < len(truncated.content) < len(clean.content)
    with pytest.raises(ValueError):
        json.loads(truncated.content)
    only({"kind": "malformed"})
    malformed = send()
    assert malformed.status_code == 200 and malformed.headers["content-type"].startswith(
        "text/html") and malformed.text.lstrip().startswith("<!DOCTYPE html>")
    assert send().content == clean.content


def test_first_deciding_rule_ends_the_evaluation():
    plan = FaultPlan.from_json({"x": [{"kind": "slow", "delay_s": 0.1, "times": None},
                                      {"kind": "server_error", "times": 1},
                                      {"kind": "rate_limit", "times": 1},
                                      {"kind": "truncated", "times": 1}]})
    decisions = [plan.on_request("x", "/") for _ in range(4)]
    assert [d.delay_s for d in decisions] == [0.1] * 4
    assert [d.terminal.kind if d.terminal else d.body for d in decisions] == [
        "server_error", "rate_limit", "truncated", None]


# -- page faults: walk a whole result set and compare with a clean walk --------------------------


def walker(platform: str, http: httpx.Client):
    """(first request, items of a response, next request or None)."""
    if platform == "youtube":
        params = {"part": "snippet", "q": "*", "maxResults": 50, "publishedAfter": DAY_START,
                  "publishedBefore": DAY_END}
        return (lambda tok: http.get("/youtube/youtube/v3/search", headers=YT,
                                     params={**params, **({"pageToken": tok} if tok else {})}),
                lambda r: [i["id"]["videoId"] for i in r.json()["items"]],
                lambda r: r.json().get("nextPageToken"))
    if platform == "reddit":
        headers = reddit_headers(http)
        return (lambda tok: http.get("/reddit/search", headers=headers,
                                     params={"q": "Lakemont OR Northgate", "limit": 50,
                                             **({"after": tok} if tok else {})}),
                lambda r: [c["data"]["name"] for c in r.json()["data"]["children"]],
                lambda r: r.json()["data"]["after"])
    if platform == "mastodon":
        def first(url):
            return http.get(url or "/mastodon/api/v1/timelines/tag/LakemontHealth",
                            params=None if url else {"limit": 40})
        return (first, lambda r: [s["id"] for s in r.json()],
                lambda r: _next_link(r))
    if platform == "bluesky":
        headers = bluesky_headers(http)
        params = {"q": "*", "since": DAY_START, "until": DAY_END, "limit": 100}
        return (lambda tok: http.get("/bluesky/xrpc/app.bsky.feed.searchPosts", headers=headers,
                                     params={**params, **({"cursor": tok} if tok else {})}),
                lambda r: [p["uri"] for p in r.json()["posts"]],
                lambda r: r.json().get("cursor"))
    params = {"query": "*", "max_results": 100, "start_time": DAY_START, "end_time": DAY_END}
    return (lambda tok: http.get("/x/2/tweets/search/recent", headers=BEARER,
                                 params={**params, **({"next_token": tok} if tok else {})}),
            lambda r: [t["id"] for t in r.json().get("data", [])],
            lambda r: r.json()["meta"].get("next_token"))


def _next_link(response: httpx.Response) -> str | None:
    link = response.headers.get("link", "")
    return link.split(">", 1)[0].lstrip("<") if 'rel="next"' in link else None


def walk(platform: str, http: httpx.Client) -> list[list[str]]:
    send, items, following = walker(platform, http)
    pages, token = [], None
    while True:
        response = send(token)
        assert response.status_code == 200, response.text
        pages.append(items(response))
        nxt = following(response)
        if nxt is None or (platform == "mastodon" and not pages[-1] and len(pages) > 1
                           and not response.headers.get("link")):
            return pages
        assert nxt != token  # never the cursor just sent
        token = nxt


@pytest.mark.parametrize("platform", PLATFORMS)
def test_empty_page_with_cursor_then_normal_pages(sim, http, platform):
    clean = walk(platform, http)
    sim.faults.add(platform, {"kind": "empty_page_with_cursor", "after": 1})
    faulty = walk(platform, http)
    assert faulty[1] == [] and len(faulty) == len(clean) + 1
    assert [i for p in faulty for i in p] == [i for p in clean for i in p]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_duplicate_item_repeats_the_first_item_on_the_next_page(sim, http, platform):
    clean = walk(platform, http)
    sim.faults.add(platform, {"kind": "duplicate_item", "after": 1})
    faulty = walk(platform, http)
    assert faulty[2][0] == faulty[1][0] == clean[1][0]
    assert faulty[2][1:] == clean[2]
    assert [i for p in faulty for i in p if i] != [i for p in clean for i in p]
    assert {i for p in faulty for i in p} == {i for p in clean for i in p}


def test_duplicate_on_offset_search_shifts_without_loss(sim, http):
    def search_walk() -> list[list[str]]:
        pages, offset = [], 0
        while True:
            body = http.get("/mastodon/api/v2/search", headers=BEARER,
                            params={"q": "Lakemont", "type": "statuses", "limit": 40,
                                    "offset": offset}).json()
            ids = [s["id"] for s in body["statuses"]]
            if not ids:
                return pages
            pages.append(ids)
            offset += len(ids)

    clean = search_walk()
    sim.faults.add("mastodon", {"kind": "duplicate_item", "path": "/api/v2/search"})
    faulty = search_walk()
    assert faulty[1][0] == faulty[0][-1]  # a status arrived: offsets moved by one
    assert {i for p in faulty for i in p} == {i for p in clean for i in p}
