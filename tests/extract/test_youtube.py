"""YouTubeConnector against a local HTTP server replaying recorded-style payloads.

The real client stack runs (googleapiclient -> KeyedHttp -> httplib2 -> socket); the
server answers a scripted sequence of replies and records every request it gets, so the
tests check what went on the wire as well as what the connector yielded.
"""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from carepulse.config import PlatformConfig
from extract.base import ConnectorContext, Night, Page, Shard
from extract.errors import AuthFailed, ExtractError, QuotaExhausted, RateLimitTooLong, ShardFailed
from extract.http import Budget, Fetched, RetryPolicy
from extract.youtube import YouTubeConnector, youtube_query

FIXTURES = Path(__file__).parent / "fixtures" / "youtube"
KEY = "AIzaSyCANARY-youtube-key-0000000000000"
NIGHT = Night(date(2026, 11, 26))
UC_A, UC_B, UC_C = "UCa1Lm9Qe2Rt7Yw3Ux5Io8Pq", "UCrB6nW4sK8dJ2fH0gT5yE1c", "UCc3Vz7Xn1Mq5Lp9Ks2Jd4Hf"
UC_L = "UCLk7mNt2Hh9Ea4Lt6Hq1Wx0"
V6, V7 = "Lk1FluClin1", "Lk2HeartWk2"

MENTIONS = Shard(
    "youtube", "mentions", "lakemont", NIGHT.start, NIGHT.end,
    terms=("Lakemont Health", "Lakemont Hospital"), hashtags=("LakemontHealth",),
    handles=("LakemontHealth",), exclude=("Lakemont Realty",),
)
OWNED = Shard("youtube", "accounts", "lakemont", NIGHT.lookback_start(7), NIGHT.end,
              handles=("@LakemontHealth",), owned=True)
COMPETITOR = Shard("youtube", "accounts", "northgate", NIGHT.lookback_start(7), NIGHT.end,
                   handles=("@NorthgateMedical",), owned=False)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def ok(name: str) -> Reply:
    return Reply(200, fixture(name))


def err(status: int, name: str, **headers: str) -> Reply:
    return Reply(status, fixture(name), {k.replace("_", "-"): v for k, v in headers.items()})


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]

    @property
    def method(self) -> str:
        return self.path.rsplit("/", 1)[-1]


class FakeYouTube:
    """A loopback server that answers scripted replies in order and records requests."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[Seen] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.requests.append(Seen(parts.path, query, headers))
                reply = fake.replies.popleft() if fake.replies else Reply(599, "unscripted")
                time.sleep(reply.delay_s)
                data = reply.body.encode("utf-8")
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/youtube"

    def script(self, *replies: Reply) -> FakeYouTube:
        self.replies.extend(replies)
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    server = FakeYouTube()
    yield server
    server.close()


@dataclass
class Harness:
    connector: YouTubeConnector
    ctx: ConnectorContext
    waits: list[float]
    malformed: list[tuple[Fetched, dict]]


def harness(endpoint: str, *, max_retries: int = 2, budget: int = 100_000,
            search_cost: int = 100, timeout_s: float = 5.0) -> Harness:
    waits: list[float] = []
    malformed: list[tuple[Fetched, dict]] = []
    config = PlatformConfig(endpoint=endpoint, credential_env="YOUTUBE_API_KEY", page_size=100,
                            search_cost=search_cost)
    policy = RetryPolicy(max_retries=max_retries, backoff_base_s=1.0, backoff_max_s=30.0,
                         max_wait_s=60.0, timeout_s=timeout_s, sleep=waits.append,
                         rng=random.Random(7))
    ctx = ConnectorContext("youtube", config, KEY, policy, Budget(budget),
                           on_malformed=lambda f, meta: malformed.append((f, meta)))
    return Harness(YouTubeConnector(ctx), ctx, waits, malformed)


def collect(pages: Iterator[Page]) -> tuple[list[Page], ExtractError | None]:
    got: list[Page] = []
    try:
        for page in pages:
            got.append(page)
    except ExtractError as exc:
        return got, exc
    return got, None


MENTIONS_SCRIPT = [
    "search_mentions_p1.json", "videos_mentions_p1.json", "channels_mentions_p1.json",
    "search_mentions_p2.json", "videos_mentions_p2.json", "channels_mentions_p2.json",
]
OWNED_SCRIPT = [
    "channels_handle_lakemont.json", "search_account_lakemont.json",
    "videos_account_lakemont.json", "comment_threads_v6_p1.json",
    "comment_threads_v6_p2.json", "comment_threads_v7.json",
]


# -- paging to the end -----------------------------------------------------------------------


def test_query_syntax() -> None:
    assert youtube_query(MENTIONS) == (
        '"Lakemont Health"|"Lakemont Hospital"|#LakemontHealth|@LakemontHealth -"Lakemont Realty"'
    )


def test_mentions_shard_walks_search_videos_channels_to_the_end(yt: FakeYouTube) -> None:
    yt.script(*map(ok, MENTIONS_SCRIPT))
    h = harness(yt.endpoint)
    pages = list(h.connector.pages(MENTIONS, None))

    assert [p.endpoint for p in pages] == [
        "youtube.search.list", "youtube.videos.list", "youtube.channels.list",
    ] * 2
    assert [p.records for p in pages] == [3, 3, 2, 2, 2, 1]
    assert [p.text for p in pages] == [fixture(n) for n in MENTIONS_SCRIPT]  # verbatim
    assert all(p.body == json.loads(p.text) and p.status == 200 for p in pages)
    assert pages[-1].cursor is None and all(p.cursor for p in pages[:-1])

    first, videos, channels, second, _, last_channels = yt.requests
    assert first.path == "/youtube/youtube/v3/search"
    assert first.query == {
        "part": "snippet", "q": youtube_query(MENTIONS), "type": "video", "order": "date",
        "publishedAfter": "2026-11-26T00:00:00Z", "publishedBefore": "2026-11-27T00:00:00Z",
        "maxResults": "50", "alt": "json",
    }
    assert videos.query["id"] == "kX9mQ2rT4wZ,pL3nB8vC1dE,tY7uI0oP5aS"
    assert videos.query["part"] == "snippet,statistics,contentDetails"
    assert channels.query == {"part": "snippet,statistics", "id": f"{UC_A},{UC_B}", "alt": "json"}
    assert second.query["pageToken"] == "CAMQAA"
    assert last_channels.query["id"] == UC_C  # UC_B was fetched with the first page
    for seen in yt.requests:  # the key travels only as a header
        assert seen.headers["x-goog-api-key"] == KEY
        assert "key" not in seen.query
        assert h.ctx.user_agent in seen.headers["user-agent"]
    assert h.connector.stats() == {"requests": 6, "retries": 0, "waited_s": 0.0}
    assert h.ctx.budget.used == 2 * 100 + 4  # two searches, four 1-unit calls


def test_owned_accounts_shard_fetches_comment_threads_per_video(yt: FakeYouTube) -> None:
    yt.script(*map(ok, OWNED_SCRIPT))
    pages = list(harness(yt.endpoint).connector.pages(OWNED, None))

    assert [p.endpoint for p in pages] == [
        "youtube.channels.list", "youtube.search.list", "youtube.videos.list",
        "youtube.commentThreads.list", "youtube.commentThreads.list",
        "youtube.commentThreads.list",
    ]
    assert [p.records for p in pages] == [1, 2, 2, 2, 1, 1]
    assert [p.text for p in pages] == [fixture(n) for n in OWNED_SCRIPT]
    assert pages[-1].cursor is None

    resolve, search, videos, c1, c2, c3 = (s.query for s in yt.requests)
    assert resolve == {"part": "snippet,statistics", "forHandle": "@LakemontHealth", "alt": "json"}
    assert search["channelId"] == UC_L and "q" not in search
    assert search["publishedAfter"] == "2026-11-19T00:00:00Z"
    assert videos["id"] == f"{V6},{V7}"
    assert c1 == {"part": "snippet,replies", "videoId": V6, "maxResults": "100", "alt": "json"}
    assert c2["videoId"] == V6 and c2["pageToken"] == "QURTSl9pMkF0ZHZv"
    assert c3["videoId"] == V7 and "pageToken" not in c3
    assert pages[3].cursor == {
        "step": "comments", "channel_id": UC_L, "search_token": None,
        "pending_ids": [V6, V7], "comment_token": "QURTSl9pMkF0ZHZv",
    }


def test_competitor_accounts_shard_skips_comments(yt: FakeYouTube) -> None:
    yt.script(*map(ok, OWNED_SCRIPT[:3]))
    pages = list(harness(yt.endpoint).connector.pages(COMPETITOR, None))
    assert [p.endpoint for p in pages][-1] == "youtube.videos.list"
    assert len(pages) == 3 and pages[-1].cursor is None
    assert yt.requests[0].query["forHandle"] == "@NorthgateMedical"


def test_video_with_comments_disabled_is_skipped(yt: FakeYouTube) -> None:
    yt.script(*map(ok, OWNED_SCRIPT[:3]), err(403, "error_comments_disabled.json"),
              ok("comment_threads_v7.json"))
    h = harness(yt.endpoint)
    pages = list(h.connector.pages(OWNED, None))
    assert [p.text for p in pages[3:]] == [fixture("comment_threads_v7.json")]
    assert pages[-1].cursor is None and h.waits == []


def test_handle_that_resolves_to_nothing_lands_the_answer_and_fails(yt: FakeYouTube) -> None:
    yt.script(ok("channels_handle_unknown.json"))
    pages, exc = collect(harness(yt.endpoint).connector.pages(OWNED, None))
    assert isinstance(exc, ShardFailed) and "@LakemontHealth" in str(exc)
    assert len(pages) == 1 and pages[0].records == 0
    assert pages[0].cursor == {"step": "resolve"}  # a resume tries again


# -- resume -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("shard", "script"), [(MENTIONS, MENTIONS_SCRIPT), (OWNED, OWNED_SCRIPT)],
                         ids=["mentions", "owned"])
@pytest.mark.parametrize("cut", range(1, 6))
def test_resume_from_a_mid_shard_cursor_yields_exactly_the_rest(
    shard: Shard, script: list[str], cut: int
) -> None:
    full = FakeYouTube().script(*map(ok, script))
    try:
        cursor = list(harness(full.endpoint).connector.pages(shard, None))[cut - 1].cursor
        expected = [s.query for s in full.requests[cut:]]
    finally:
        full.close()
    cursor = json.loads(json.dumps(cursor))  # the runner stores it as JSON
    rest = FakeYouTube().script(*map(ok, script[cut:]))
    try:
        pages = list(harness(rest.endpoint).connector.pages(shard, cursor))
        assert [p.text for p in pages] == [fixture(n) for n in script[cut:]]
        assert [s.query for s in rest.requests] == expected  # nothing repeated, nothing skipped
        assert pages[-1].cursor is None
    finally:
        rest.close()


# -- retries, rate limits, quota, budget ----------------------------------------------------


def test_429_waits_for_retry_after(yt: FakeYouTube) -> None:
    yt.script(err(429, "error_resource_exhausted_429.json", Retry_After="7"),
              ok("search_mentions_p1.json"))
    h = harness(yt.endpoint)
    page = next(iter(h.connector.pages(MENTIONS, None)))
    assert page.text == fixture("search_mentions_p1.json")
    assert len(h.waits) == 1 and h.waits[0] == pytest.approx(7.0, abs=0.05)
    assert h.connector.stats()["retries"] == 1
    assert h.connector.stats()["waited_s"] == pytest.approx(7.0, abs=0.05)


def test_403_rate_limit_exceeded_is_retried_with_backoff(yt: FakeYouTube) -> None:
    yt.script(err(403, "error_rate_limit_exceeded.json"), ok("search_mentions_p1.json"))
    h = harness(yt.endpoint)
    assert next(iter(h.connector.pages(MENTIONS, None))).records == 3
    assert len(h.waits) == 1 and 0 <= h.waits[0] <= 1.0  # full jitter, first retry


def test_5xx_is_retried_then_succeeds(yt: FakeYouTube) -> None:
    yt.script(err(500, "error_backend_500.json"), err(503, "error_backend_500.json"),
              ok("search_mentions_p1.json"))
    h = harness(yt.endpoint)
    page = next(iter(h.connector.pages(MENTIONS, None)))
    assert page.records == 3 and len(yt.requests) == 3 and len(h.waits) == 2
    assert h.ctx.budget.used == 300  # every attempt is charged


def test_5xx_forever_fails_the_shard_after_max_retries_plus_one(yt: FakeYouTube) -> None:
    yt.script(*[err(500, "error_backend_500.json")] * 10)
    h = harness(yt.endpoint, max_retries=3)
    pages, exc = collect(h.connector.pages(MENTIONS, None))
    assert pages == [] and isinstance(exc, ShardFailed)
    assert "gave up after 4 attempts" in str(exc) and "backendError" in str(exc)
    assert len(yt.requests) == 4 and len(h.waits) == 3


def test_connection_refused_is_retried_then_fails() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    h = harness(f"http://127.0.0.1:{port}/youtube", max_retries=2)
    pages, exc = collect(h.connector.pages(MENTIONS, None))
    assert pages == [] and isinstance(exc, ShardFailed) and "3 attempts" in str(exc)
    assert h.connector.stats()["requests"] == 3 and len(h.waits) == 2


def test_timeout_uses_policy_timeout_and_is_retried(yt: FakeYouTube) -> None:
    slow = ok("search_mentions_p1.json")
    slow.delay_s = 1.0
    yt.script(slow, ok("search_mentions_p1.json"))
    h = harness(yt.endpoint, timeout_s=0.2)
    page = next(iter(h.connector.pages(MENTIONS, None)))
    assert page.text == fixture("search_mentions_p1.json") and len(h.waits) == 1


def test_quota_exceeded_stops_after_the_pages_already_yielded(yt: FakeYouTube) -> None:
    yt.script(*map(ok, MENTIONS_SCRIPT[:3]), err(403, "error_quota_exceeded.json"))
    h = harness(yt.endpoint)
    pages, exc = collect(h.connector.pages(MENTIONS, None))
    assert isinstance(exc, QuotaExhausted) and "quotaExceeded" in str(exc)
    assert [p.text for p in pages] == [fixture(n) for n in MENTIONS_SCRIPT[:3]]
    assert len(yt.requests) == 4 and h.waits == []  # never retried
    assert pages[-1].cursor == {"step": "search", "search_token": "CAMQAA",
                                "seen_channels": [UC_A, UC_B]}


def test_budget_is_spent_before_sending(yt: FakeYouTube) -> None:
    yt.script(*map(ok, MENTIONS_SCRIPT))
    h = harness(yt.endpoint, budget=150, search_cost=100)
    pages, exc = collect(h.connector.pages(MENTIONS, None))
    assert isinstance(exc, QuotaExhausted) and "budget" in str(exc)
    assert len(pages) == 3 and len(yt.requests) == 3  # the second search was never sent
    assert h.ctx.budget.used == 102


# -- credential and client errors -----------------------------------------------------------


@pytest.mark.parametrize(("status", "name"), [(400, "error_api_key_invalid.json"),
                                              (401, "error_unauthenticated_401.json")])
def test_invalid_key_is_auth_failed_without_retry(yt: FakeYouTube, status: int, name: str) -> None:
    yt.script(err(status, name))
    h = harness(yt.endpoint)
    pages, exc = collect(h.connector.pages(MENTIONS, None))
    assert isinstance(exc, AuthFailed) and "YOUTUBE_API_KEY" in str(exc)
    assert pages == [] and len(yt.requests) == 1 and h.waits == []


def test_other_4xx_fails_the_shard_without_retry(yt: FakeYouTube) -> None:
    yt.script(err(400, "error_invalid_page_token.json"))
    h = harness(yt.endpoint)
    pages, exc = collect(h.connector.pages(MENTIONS, {"step": "search", "search_token": "bad"}))
    assert pages == [] and isinstance(exc, ShardFailed) and "invalidPageToken" in str(exc)
    assert len(yt.requests) == 1 and h.waits == []


# -- malformed input --------------------------------------------------------------------------


def test_truncated_json_is_reported_verbatim_then_retried(yt: FakeYouTube) -> None:
    truncated = fixture("search_mentions_p1_truncated.json")
    yt.script(Reply(200, truncated), ok("search_mentions_p1.json"))
    h = harness(yt.endpoint)
    page = next(iter(h.connector.pages(MENTIONS, None)))
    assert page.text == fixture("search_mentions_p1.json")
    [(fetched, meta)] = h.malformed
    assert fetched.text == truncated and fetched.body is None and fetched.parse_error
    assert meta["endpoint"] == "youtube.search.list" and meta["attempt"] == 0
    assert KEY not in fetched.url and len(h.waits) == 1


def test_malformed_records_are_landed_and_paging_moves_on(yt: FakeYouTube) -> None:
    yt.script(ok("search_malformed_records.json"), ok("videos_malformed_records.json"))
    pages = list(harness(yt.endpoint).connector.pages(MENTIONS, None))
    assert [p.records for p in pages] == [5, 3]
    assert pages[0].cursor == {"step": "videos", "search_token": None, "seen_channels": [],
                               "pending_ids": ["tY7uI0oP5aS"]}
    assert pages[1].cursor is None  # no usable channel ids, no usable page token
    assert yt.requests[1].query["id"] == "tY7uI0oP5aS"


def test_resume_with_an_unknown_step_is_a_shard_failure(yt: FakeYouTube) -> None:
    pages, exc = collect(harness(yt.endpoint).connector.pages(MENTIONS, {"step": "nope"}))
    assert isinstance(exc, ShardFailed) and pages == [] and yt.requests == []


# -- the API key never leaks ------------------------------------------------------------------


LEAK_SCENARIOS = {
    "quota": [err(403, "error_quota_exceeded.json")],
    "rate_limited_403": [err(403, "error_rate_limit_exceeded.json")] * 3,
    "429": [err(429, "error_resource_exhausted_429.json", Retry_After="2")] * 3,
    "500": [err(500, "error_backend_500.json")] * 3,
    "bad_key": [err(400, "error_api_key_invalid.json")],
    "truncated": [Reply(200, fixture("search_mentions_p1_truncated.json"))] * 3,
    "ok": [ok(n) for n in MENTIONS_SCRIPT],
}


@pytest.mark.parametrize("scenario", list(LEAK_SCENARIOS))
def test_api_key_appears_in_no_exception_page_or_log(
    yt: FakeYouTube, caplog: pytest.LogCaptureFixture, scenario: str
) -> None:
    caplog.set_level(logging.DEBUG)
    yt.script(*LEAK_SCENARIOS[scenario])
    h = harness(yt.endpoint)
    pages, exc = collect(h.connector.pages(MENTIONS, None))
    surfaces = [caplog.text, *(p.url for p in pages), *(json.dumps(p.params) for p in pages)]
    surfaces += [repr(f) for f, _ in h.malformed]
    if exc is not None:
        surfaces += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    assert yt.requests and all(s.headers["x-goog-api-key"] == KEY for s in yt.requests)
    for text in surfaces:
        assert KEY not in text and "CANARY" not in text
    assert (exc is None) == (scenario == "ok")


def test_connection_error_messages_do_not_carry_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    h = harness(f"http://127.0.0.1:{port}/youtube", max_retries=1)
    _, exc = collect(h.connector.pages(MENTIONS, None))
    assert exc is not None
    for text in (caplog.text, str(exc), "".join(traceback.format_exception(exc)),
                 repr(h.connector)):
        assert KEY not in text


def test_accounts_cursor_without_channel_id_is_a_shard_failure(yt: FakeYouTube) -> None:
    pages, exc = collect(harness(yt.endpoint).connector.pages(OWNED, {"step": "search"}))
    assert isinstance(exc, ShardFailed) and pages == [] and yt.requests == []


@pytest.mark.parametrize("status", [429, 503])
def test_wait_hint_longer_than_max_wait_is_refused(yt: FakeYouTube, status: int) -> None:
    yt.script(err(status, "error_resource_exhausted_429.json", Retry_After="3600"))
    h = harness(yt.endpoint)  # max_wait_s=60
    pages, exc = collect(h.connector.pages(MENTIONS, None))
    assert isinstance(exc, RateLimitTooLong) and pages == [] and h.waits == []
