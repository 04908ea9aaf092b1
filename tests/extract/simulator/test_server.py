"""The server: control endpoints, byte-identical determinism, the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from extract.simulator.server import SimulatorServer

from .conftest import BEARER, CLOCK, DAY_END, DAY_START, MENTIONS, X_FIELDS

REQUESTS = [
    ("GET", "/youtube/youtube/v3/search", {"part": "snippet", "q": "Lakemont", "maxResults": 50,
                                           "publishedAfter": DAY_START,
                                           "publishedBefore": DAY_END}),
    ("GET", "/reddit/search", {"q": "Lakemont OR Northgate", "limit": 100}),
    ("GET", "/mastodon/api/v1/timelines/tag/LakemontHealth", {"limit": 40}),
    ("GET", "/bluesky/xrpc/app.bsky.feed.searchPosts", {"q": "*", "limit": 100,
                                                        "since": DAY_START}),
    ("GET", "/x/2/tweets/search/recent", {"query": "Lakemont OR Northgate", "max_results": 100,
                                          "start_time": DAY_START, "end_time": DAY_END,
                                          **X_FIELDS}),
]
HEADERS = {"x-goog-api-key": "k", **BEARER}


def bodies(url: str) -> list[bytes]:
    out = []
    with httpx.Client(base_url=url, timeout=10) as client:
        reddit = client.post("/reddit/api/v1/access_token", auth=("a", "b"),
                             data={"grant_type": "client_credentials"}).json()["access_token"]
        for method, path, params in REQUESTS:
            headers = {**HEADERS, **({"Authorization": f"bearer {reddit}"}
                                     if path.startswith("/reddit") else {})}
            response = client.request(method, path, params=params, headers=headers)
            assert response.status_code == 200, response.text
            out.append(response.content)
            nxt = {"/reddit/search": "after", "/x/2/tweets/search/recent": "next_token"}
            if path in nxt:  # a second page too
                cursor = (response.json()["data"]["after"] if path.startswith("/reddit")
                          else response.json()["meta"]["next_token"])
                page2 = client.get(path, params={**params, nxt[path]: cursor}, headers=headers)
                out.append(page2.content)
    return out


def test_same_seed_and_clock_give_identical_bytes(cfg, server):
    server.reset()
    server.set_clock(CLOCK)
    with SimulatorServer(cfg, seed=7, mentions_per_night=MENTIONS, clock=CLOCK) as twin:
        assert bodies(server.url) == bodies(twin.url)
    with SimulatorServer(cfg, seed=8, mentions_per_night=MENTIONS, clock=CLOCK) as other:
        assert bodies(server.url) != bodies(other.url)


def test_control_endpoints(sim, http):
    assert http.get("/_sim/health").json() == {"ok": True}
    http.get("/x/2/tweets/search/recent", headers=BEARER, params={"query": "Lakemont"})
    http.get("/x/2/tweets/search/recent", params={"query": "Lakemont"})
    stats = http.get("/_sim/stats").json()
    assert stats["requests"]["x"]["by_status"] == {"200": 1, "401": 1}
    assert stats["items"]["x"] == 10 and stats["clock"].startswith("2026-11-21T02:00:00")
    later = http.post("/_sim/clock", json={"now": "2026-11-22T08:30:00Z"}).json()
    assert later["now"] == "2026-11-22T08:30:00.000Z" and sim.now == datetime(2026, 11, 22, 8,
                                                                               30, tzinfo=UTC)
    assert http.post("/_sim/clock", json={"now": "not a time"}).status_code == 400
    assert http.post("/_sim/reset").json() == {"ok": True}
    assert http.get("/_sim/stats").json()["requests"] == {}
    assert http.get("/nowhere/at/all").status_code == 404


def test_real_time_clock_when_unset(sim, http):
    http.post("/_sim/clock", json={"now": None})
    now = datetime.now(UTC)
    assert abs(sim.now - now) < timedelta(seconds=5)


def test_future_posts_are_invisible(sim, http):
    def newest(clock: datetime) -> float:
        sim.set_clock(clock)
        body = http.get("/bluesky/xrpc/app.bsky.feed.searchPosts",
                        params={"q": "*", "limit": 1}).json()
        stamp = body["posts"][0]["indexedAt"]
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()

    for clock in (datetime(2026, 11, 20, 11, 0, tzinfo=UTC), CLOCK):
        assert clock.timestamp() - 3600 < newest(clock) <= clock.timestamp()


def test_engagement_grows_with_the_clock(sim, http):
    def tweets(clock: datetime) -> dict[str, dict]:
        sim.set_clock(clock)
        body = http.get("/x/2/tweets/search/recent", headers=BEARER, params={
            "query": "Lakemont", "max_results": 100, "start_time": "2026-11-20T09:00:00Z",
            "end_time": "2026-11-20T11:00:00Z", "tweet.fields": "public_metrics"}).json()
        return {t["id"]: t["public_metrics"] for t in body["data"]}

    early = tweets(datetime(2026, 11, 20, 11, 1, tzinfo=UTC))
    late = tweets(datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
    assert early and set(early) == set(late)
    assert all(late[i][k] >= early[i][k] for i in early for k in early[i])
    assert sum(m["impression_count"] for m in late.values()) > sum(
        m["impression_count"] for m in early.values())
    assert tweets(datetime(2026, 11, 24, 11, 0, tzinfo=UTC)) == late
