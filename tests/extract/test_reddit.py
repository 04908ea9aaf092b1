"""RedditConnector against recorded-style payloads served by httpx.MockTransport."""

from __future__ import annotations

import base64
import json
import logging
import random
import traceback
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from carepulse.config import PlatformConfig
from extract.base import ConnectorContext, Night, Page, Shard
from extract.errors import AuthFailed, ExtractError, QuotaExhausted, ShardFailed
from extract.http import Budget, Fetched, RetryPolicy
from extract.reddit import RedditConnector, reddit_query

FIXTURES = Path(__file__).parent / "fixtures" / "reddit"
CREDENTIAL = "canary_client:canary_secret_999"
NIGHT = Night(date(2026, 11, 26))
API = "https://oauth.reddit.com"
AUTH = "https://www.reddit.com"

MENTIONS = Shard(
    "reddit", "mentions", "lakemont", NIGHT.start, NIGHT.end,
    terms=("Lakemont Health", "Lakemont Hospital"), hashtags=("LakemontHealth",),
    handles=("LakemontHealth",), exclude=("Lakemont Realty",),
)
ACCOUNT = Shard("reddit", "accounts", "lakemont", NIGHT.lookback_start(7), NIGHT.end,
                handles=("LakemontHealth",), owned=True)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def token_of(name: str) -> str:
    return json.loads(fixture(name))["access_token"]


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


def ok(name: str) -> Reply:
    return Reply(200, fixture(name), {"x-ratelimit-used": "4", "x-ratelimit-remaining": "596.0",
                                      "x-ratelimit-reset": "312"})


def err(status: int, name: str, **headers: str) -> Reply:
    return Reply(status, fixture(name), {k.replace("_", "-"): v for k, v in headers.items()})


TOKEN = ok("token.json")


class FakeReddit:
    """Answers scripted replies in order and records every request."""

    def __init__(self, *replies: Reply | Exception):
        self.replies: deque[Reply | Exception] = deque(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.popleft() if self.replies else Reply(599, "unscripted")
        if isinstance(reply, Exception):
            raise reply
        return httpx.Response(reply.status, content=reply.body.encode("utf-8"),
                              headers={"content-type": "application/json; charset=UTF-8",
                                       **reply.headers})

    def api_calls(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path != "/api/v1/access_token"]

    def token_calls(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == "/api/v1/access_token"]


@dataclass
class Harness:
    connector: RedditConnector
    ctx: ConnectorContext
    waits: list[float]
    malformed: list[tuple[Fetched, dict]]


def harness(fake: FakeReddit, *, credential: str = CREDENTIAL, max_retries: int = 2,
            budget: int = 1000, clock=None) -> Harness:
    waits: list[float] = []
    malformed: list[tuple[Fetched, dict]] = []
    config = PlatformConfig(endpoint=API, auth_endpoint=AUTH, credential_env="REDDIT_CREDENTIALS",
                            page_size=100)
    policy = RetryPolicy(max_retries=max_retries, backoff_base_s=1.0, backoff_max_s=30.0,
                         max_wait_s=60.0, sleep=waits.append, rng=random.Random(3),
                         **({"clock": clock} if clock else {}))
    ctx = ConnectorContext("reddit", config, credential, policy, Budget(budget),
                           on_malformed=lambda f, meta: malformed.append((f, meta)),
                           user_agent="linux:org.example.carepulse:v0.1 (by /u/carepulse_ops)")
    return Harness(RedditConnector(ctx, transport=httpx.MockTransport(fake)), ctx, waits,
                   malformed)


def collect(pages: Iterator[Page]) -> tuple[list[Page], ExtractError | None]:
    got: list[Page] = []
    try:
        for page in pages:
            got.append(page)
    except ExtractError as exc:
        return got, exc
    return got, None


def query(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


# -- token and request shape ----------------------------------------------------------------


def test_query_syntax() -> None:
    assert reddit_query(MENTIONS) == (
        '("Lakemont Health" OR "Lakemont Hospital" OR LakemontHealth) NOT "Lakemont Realty"'
    )


def test_token_is_fetched_with_basic_auth_then_sent_as_bearer() -> None:
    fake = FakeReddit(TOKEN, ok("search_mentions_p1.json"))
    h = harness(fake)
    next(iter(h.connector.pages(MENTIONS, None)))
    token_call, search = fake.requests
    assert token_call.method == "POST" and str(token_call.url) == f"{AUTH}/api/v1/access_token"
    basic = base64.b64encode(CREDENTIAL.encode()).decode()
    assert token_call.headers["authorization"] == f"Basic {basic}"
    assert dict(parse_qsl(token_call.content.decode())) == {"grant_type": "client_credentials"}
    assert token_call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert search.headers["authorization"] == f"bearer {token_of('token.json')}"
    for r in fake.requests:
        assert r.headers["user-agent"] == h.ctx.user_agent


# -- paging ---------------------------------------------------------------------------------


def test_mentions_stop_after_the_page_reaching_back_past_since() -> None:
    fake = FakeReddit(TOKEN, ok("search_mentions_p1.json"), ok("search_mentions_p2.json"),
                      ok("search_mentions_p3.json"))
    h = harness(fake)
    pages = list(h.connector.pages(MENTIONS, None))

    assert [p.text for p in pages] == [fixture("search_mentions_p1.json"),
                                       fixture("search_mentions_p2.json")]  # verbatim
    assert all(p.body == json.loads(p.text) and p.endpoint == "reddit.search" for p in pages)
    assert [p.records for p in pages] == [3, 2]
    assert [p.cursor for p in pages] == [{"step": "search", "after": "t3_1h08yq3"}, None]
    first, second = fake.api_calls()  # p3 was never requested
    assert str(first.url).startswith(f"{API}/search?")
    assert query(first) == {"q": reddit_query(MENTIONS), "sort": "new", "limit": "100",
                            "type": "link"}
    assert query(second) == {**query(first), "after": "t3_1h08yq3"}
    assert pages[0].params == {**query(first), "limit": 100} and pages[0].url == str(first.url)
    assert pages[0].headers["x-ratelimit-remaining"] == "596.0"
    assert h.connector.stats() == {"requests": 3, "retries": 0, "waited_s": 0.0}


def test_accounts_shard_fetches_about_then_pages_until_after_is_null() -> None:
    fake = FakeReddit(TOKEN, ok("user_about.json"), ok("search_account_p1.json"),
                      ok("search_account_p2.json"))
    pages = list(harness(fake).connector.pages(ACCOUNT, None))
    assert [p.endpoint for p in pages] == ["reddit.user.about", "reddit.search", "reddit.search"]
    assert [p.records for p in pages] == [1, 2, 1]
    assert [p.cursor for p in pages] == [
        {"step": "search", "after": None}, {"step": "search", "after": "t3_1gx1c7d"}, None,
    ]
    about, search1, search2 = fake.api_calls()
    assert str(about.url) == f"{API}/user/LakemontHealth/about"
    assert query(search1) == {"q": "author:LakemontHealth", "sort": "new", "limit": "100"}
    assert query(search2)["after"] == "t3_1gx1c7d"


@pytest.mark.parametrize(("shard", "cursor", "rest"), [
    (MENTIONS, {"step": "search", "after": "t3_1h08yq3"}, ["search_mentions_p2.json"]),
    (ACCOUNT, {"step": "search", "after": None},
     ["search_account_p1.json", "search_account_p2.json"]),
    (ACCOUNT, {"step": "search", "after": "t3_1gx1c7d"}, ["search_account_p2.json"]),
])
def test_resume_from_a_cursor_yields_exactly_the_remaining_pages(
    shard: Shard, cursor: dict, rest: list[str]
) -> None:
    fake = FakeReddit(TOKEN, *map(ok, rest))
    pages = list(harness(fake).connector.pages(shard, cursor))
    assert [p.text for p in pages] == [fixture(n) for n in rest]
    assert len(fake.api_calls()) == len(rest) and pages[-1].cursor is None
    assert query(fake.api_calls()[0]).get("after") == cursor["after"]


# -- retries and rate limits -----------------------------------------------------------------


def test_429_waits_for_retry_after() -> None:
    fake = FakeReddit(TOKEN, err(429, "error_429.json", Retry_After="7", X_Ratelimit_Used="600",
                                 X_Ratelimit_Remaining="0.0", X_Ratelimit_Reset="7"),
                      ok("search_mentions_p1.json"))
    h = harness(fake)
    page = next(iter(h.connector.pages(MENTIONS, None)))
    assert page.text == fixture("search_mentions_p1.json")
    assert len(h.waits) == 1 and h.waits[0] == pytest.approx(7.0, abs=0.05)
    assert h.connector.stats()["retries"] == 1


def test_5xx_is_retried_then_succeeds() -> None:
    fake = FakeReddit(TOKEN, err(500, "error_500.json"), err(503, "error_500.json"),
                      ok("search_mentions_p1.json"))
    h = harness(fake)
    assert next(iter(h.connector.pages(MENTIONS, None))).records == 3
    assert len(fake.api_calls()) == 3 and len(h.waits) == 2


def test_transport_errors_are_retried() -> None:
    fake = FakeReddit(TOKEN, httpx.ConnectError("connection refused"),
                      httpx.ReadTimeout("timed out"), ok("search_mentions_p1.json"))
    h = harness(fake)
    assert next(iter(h.connector.pages(MENTIONS, None))).records == 3
    assert len(h.waits) == 2


def test_5xx_forever_fails_the_shard_after_max_retries_plus_one() -> None:
    fake = FakeReddit(TOKEN, *[err(500, "error_500.json")] * 10)
    h = harness(fake, max_retries=3)
    pages, exc = collect(h.connector.pages(MENTIONS, None))
    assert pages == [] and isinstance(exc, ShardFailed) and "gave up after 4 attempts" in str(exc)
    assert len(fake.api_calls()) == 4 and len(h.waits) == 3


@pytest.mark.parametrize(("status", "name"), [(403, "error_403.json"), (404, "error_404.json")])
def test_403_and_404_fail_the_shard_without_retry(status: int, name: str) -> None:
    fake = FakeReddit(TOKEN, ok("search_mentions_p1.json"), err(status, name))
    h = harness(fake)
    pages, exc = collect(h.connector.pages(MENTIONS, None))
    assert len(pages) == 1 and isinstance(exc, ShardFailed) and f"HTTP {status}" in str(exc)
    assert len(fake.api_calls()) == 2 and h.waits == []


def test_budget_exhaustion_stops_before_sending() -> None:
    fake = FakeReddit(TOKEN, ok("search_mentions_p1.json"), ok("search_mentions_p2.json"))
    h = harness(fake, budget=2)  # token + one search
    pages, exc = collect(h.connector.pages(MENTIONS, None))
    assert len(pages) == 1 and isinstance(exc, QuotaExhausted)
    assert len(fake.requests) == 2


# -- credentials -----------------------------------------------------------------------------


def test_401_fetches_a_new_token_once() -> None:
    fake = FakeReddit(TOKEN, err(401, "error_401.json"), ok("token_refreshed.json"),
                      ok("search_mentions_p1.json"))
    page = next(iter(harness(fake).connector.pages(MENTIONS, None)))
    assert page.records == 3 and len(fake.token_calls()) == 2
    assert [r.headers["authorization"] for r in fake.api_calls()] == [
        f"bearer {token_of('token.json')}", f"bearer {token_of('token_refreshed.json')}",
    ]


def test_401_after_refresh_is_auth_failed() -> None:
    fake = FakeReddit(TOKEN, err(401, "error_401.json"), ok("token_refreshed.json"),
                      err(401, "error_401.json"))
    pages, exc = collect(harness(fake).connector.pages(MENTIONS, None))
    assert pages == [] and isinstance(exc, AuthFailed) and len(fake.token_calls()) == 2


def test_expired_token_is_renewed_before_the_request() -> None:
    now = [1_000_000.0]
    fake = FakeReddit(Reply(200, json.dumps({"access_token": "short-lived-token-1",
                                             "token_type": "bearer", "expires_in": 120})),
                      ok("search_mentions_p1.json"), ok("token_refreshed.json"),
                      ok("search_mentions_p2.json"))
    pages = harness(fake, clock=lambda: now[0]).connector.pages(MENTIONS, None)
    next(pages)
    now[0] += 90  # past expires_in minus the renewal margin
    assert next(pages).text == fixture("search_mentions_p2.json")
    assert len(fake.token_calls()) == 2


def test_credential_without_colon_is_auth_failed_naming_the_variable() -> None:
    fake = FakeReddit()
    pages, exc = collect(harness(fake, credential="canarysecretwithoutcolon").connector.pages(
        MENTIONS, None))
    assert pages == [] and isinstance(exc, AuthFailed) and "REDDIT_CREDENTIALS" in str(exc)
    assert "canarysecretwithoutcolon" not in str(exc) and fake.requests == []


@pytest.mark.parametrize("reply", [err(401, "error_401.json"), ok("token_invalid_grant.json")],
                         ids=["401", "error-body"])
def test_rejected_credentials_are_auth_failed_naming_the_variable(reply: Reply) -> None:
    fake = FakeReddit(reply)
    pages, exc = collect(harness(fake).connector.pages(MENTIONS, None))
    assert isinstance(exc, AuthFailed) and "REDDIT_CREDENTIALS" in str(exc)
    assert pages == [] and fake.api_calls() == []


def test_token_endpoint_5xx_is_retried() -> None:
    fake = FakeReddit(err(503, "error_500.json"), TOKEN, ok("search_mentions_p1.json"))
    h = harness(fake)
    assert next(iter(h.connector.pages(MENTIONS, None))).records == 3
    assert len(fake.token_calls()) == 2 and len(h.waits) == 1


# -- malformed input --------------------------------------------------------------------------


def test_truncated_json_is_reported_verbatim_then_retried() -> None:
    truncated = fixture("search_mentions_p1_truncated.json")
    fake = FakeReddit(TOKEN, Reply(200, truncated), ok("search_mentions_p1.json"))
    h = harness(fake)
    page = next(iter(h.connector.pages(MENTIONS, None)))
    assert page.text == fixture("search_mentions_p1.json")
    [(fetched, meta)] = h.malformed
    assert fetched.text == truncated and fetched.body is None and fetched.parse_error
    assert meta["endpoint"] == "reddit.search" and len(h.waits) == 1


def test_malformed_records_are_landed_and_the_walk_ends_cleanly() -> None:
    fake = FakeReddit(TOKEN, ok("search_malformed_records.json"))
    pages = list(harness(fake).connector.pages(MENTIONS, None))
    assert len(pages) == 1 and pages[0].records == 4 and pages[0].cursor is None


def test_a_repeated_after_anchor_does_not_loop() -> None:
    fake = FakeReddit(TOKEN, ok("search_mentions_p1.json"))
    pages = list(harness(fake).connector.pages(MENTIONS, {"step": "search", "after": "t3_1h08yq3"}))
    assert len(pages) == 1 and pages[0].cursor is None


# -- secrets never leak -----------------------------------------------------------------------


LEAK_SCENARIOS = {
    "403": [TOKEN, err(403, "error_403.json")],
    "429": [TOKEN, *[err(429, "error_429.json", Retry_After="2")] * 3],
    "500": [TOKEN, *[err(500, "error_500.json")] * 3],
    "401": [TOKEN, err(401, "error_401.json"), ok("token_refreshed.json"),
            err(401, "error_401.json")],
    "token_401": [err(401, "error_401.json")],
    "token_500": [err(500, "error_500.json")] * 3,
    "truncated": [TOKEN, *[Reply(200, fixture("search_mentions_p1_truncated.json"))] * 3],
    "ok": [TOKEN, ok("search_mentions_p1.json"), ok("search_mentions_p2.json")],
}


@pytest.mark.parametrize("scenario", list(LEAK_SCENARIOS))
def test_credentials_and_tokens_appear_in_no_exception_page_or_log(
    caplog: pytest.LogCaptureFixture, scenario: str
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeReddit(*LEAK_SCENARIOS[scenario])
    h = harness(fake)
    pages, exc = collect(h.connector.pages(MENTIONS, None))
    surfaces = [caplog.text, *(p.url for p in pages), *(json.dumps(p.params) for p in pages)]
    surfaces += [json.dumps(p.headers) for p in pages]
    if exc is not None:
        surfaces += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    secrets = ["canary_client", "canary_secret_999", token_of("token.json"),
               token_of("token_refreshed.json"), base64.b64encode(CREDENTIAL.encode()).decode()]
    for text in surfaces:
        for secret in secrets:
            assert secret not in text
    assert (exc is None) == (scenario == "ok")


def test_resume_with_an_unknown_step_is_a_shard_failure() -> None:
    fake = FakeReddit()
    pages, exc = collect(harness(fake).connector.pages(MENTIONS, {"step": "nope"}))
    assert isinstance(exc, ShardFailed) and pages == [] and fake.requests == []
