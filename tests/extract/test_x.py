"""X connector against recorded-style payloads (fixtures/x) via MockTransport.

Each test scripts the exact sequence of recent-search responses and checks what the
connector sent, what it yielded (verbatim) and the cursor after every page.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from carepulse.config import PlatformConfig
from extract.base import ConnectorContext, Night, Page, Shard
from extract.errors import AuthFailed, QuotaExhausted, ShardFailed
from extract.http import Budget, RetryPolicy
from extract.x import XConnector, build_query

FIXTURES = Path(__file__).parent / "fixtures" / "x"
BASE = "https://api.x.com"
TOKEN = "canary-bearer-token-XYZ-123456"
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC).timestamp()
NIGHT = Night(date(2026, 11, 20))
MENTIONS = Shard("x", "mentions", "lakemont", NIGHT.start, NIGHT.end,
                 terms=("Lakemont Health", "Lakemont Hospital"), hashtags=("LakemontCares",),
                 handles=("lakemonthealth",), exclude=("Lakemont Realty",))
ACCOUNTS = Shard("x", "accounts", "lakemont", NIGHT.lookback_start(7), NIGHT.end,
                 handles=("lakemonthealth",), owned=True)
TOKEN_1 = "b26v89c19zqg8o3fo7gesq314yb9l2l4ptqy"
TOKEN_2 = "b26v89c19zqg8o3fo7gesq314yb9l2l4ptqz"
NIGHT_WINDOW = {"start_time": "2026-11-20T00:00:00Z", "end_time": "2026-11-21T00:00:00Z"}
FIELDS = {
    "max_results": "100",
    "tweet.fields": "created_at,lang,public_metrics,entities,author_id,conversation_id,"
                    "in_reply_to_user_id,referenced_tweets",
    "expansions": "author_id",
    "user.fields": "public_metrics,verified,verified_type,description,created_at,username,name",
}
RATE = {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "449",
        "x-rate-limit-reset": str(int(NOW) + 900)}


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def reply(name: str, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers={"Content-Type": "application/json; charset=utf-8",
                                           **RATE, **(headers or {})},
                          content=fixture(name).encode("utf-8"))


class Api:
    """Serves scripted responses in order and records every request it receives."""

    def __init__(self, *responses: httpx.Response):
        self.queue = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert self.queue, f"unexpected request {request.url}"
        return self.queue.pop(0)


@dataclass
class Rig:
    connector: XConnector
    api: Api
    waits: list[float]
    malformed: list[tuple[str, dict]]

    def pages(self, shard: Shard, cursor: dict | None = None) -> list[Page]:
        return list(self.connector.pages(shard, cursor))

    def sent(self, i: int) -> dict[str, str]:
        return dict(self.api.requests[i].url.params)


def rig(*responses: httpx.Response, budget: int = 100, max_retries: int = 3,
        page_size: int = 100, now: float = NOW) -> Rig:
    api, waits, malformed = Api(*responses), [], []
    policy = RetryPolicy(max_retries=max_retries, backoff_base_s=1, backoff_max_s=8,
                         max_wait_s=900, sleep=waits.append, clock=lambda: now,
                         rng=random.Random(7))
    config = PlatformConfig(endpoint=BASE, credential_env="CAREPULSE_X_BEARER_TOKEN",
                            page_size=page_size)
    ctx = ConnectorContext("x", config, TOKEN, policy, Budget(budget),
                           on_malformed=lambda f, meta: malformed.append((f.text, meta)))
    return Rig(XConnector(ctx, transport=httpx.MockTransport(api)), api, waits, malformed)


def mentions_flow() -> list[httpx.Response]:
    return [reply("search_p1.json"), reply("search_p2.json"), reply("search_p3.json")]


def accounts_flow() -> list[httpx.Response]:
    return [reply("account_p1.json"), reply("account_p2.json")]


def test_mentions_page_through_next_token_to_the_end():
    r = rig(*mentions_flow())
    pages = r.pages(MENTIONS)

    query = ('("Lakemont Health" OR "Lakemont Hospital" OR #LakemontCares OR @lakemonthealth) '
             '-"Lakemont Realty" -is:retweet')
    assert r.sent(0) == {"query": query, **NIGHT_WINDOW, **FIELDS}
    assert r.sent(1) == {"query": query, **NIGHT_WINDOW, **FIELDS, "next_token": TOKEN_1}
    assert r.sent(2)["next_token"] == TOKEN_2
    assert all(q.url.path == "/2/tweets/search/recent" for q in r.api.requests)
    assert all(q.headers["Authorization"] == f"Bearer {TOKEN}" for q in r.api.requests)

    assert [p.endpoint for p in pages] == ["x.tweets.search.recent"] * 3
    assert [p.records for p in pages] == [2, 3, 1]
    assert [p.cursor for p in pages] == [{"next_token": TOKEN_1, **NIGHT_WINDOW},
                                         {"next_token": TOKEN_2, **NIGHT_WINDOW}, None]
    names = ["search_p1.json", "search_p2.json", "search_p3.json"]
    assert [p.text for p in pages] == [fixture(n) for n in names]
    assert [p.body for p in pages] == [json.loads(fixture(n)) for n in names]
    assert pages[1].params["next_token"] == TOKEN_1
    assert pages[0].headers["x-rate-limit-remaining"] == "449"


def test_accounts_search_from_the_handle_within_the_searchable_window():
    r = rig(*accounts_flow())
    pages = r.pages(ACCOUNTS)
    # since = 2026-11-13 is past recent search's 7 days at 2026-11-21T03:00Z: clipped to
    # the first whole day inside them.
    window = {"start_time": "2026-11-15T00:00:00Z", "end_time": "2026-11-21T00:00:00Z"}
    assert r.sent(0) == {"query": "from:lakemonthealth -is:retweet", **window, **FIELDS}
    assert [p.records for p in pages] == [1, 1]
    assert pages[0].cursor == {"next_token": "1jzu9lk96gu5npw1hbaoq4q0k8hd5y9n1q09o7zujjt9",
                               **window}
    assert pages[-1].cursor is None
    assert pages[0].body["includes"]["users"][0]["public_metrics"]["followers_count"] == 23150


def test_clipped_start_is_the_same_all_day():
    starts = set()
    for hours in (0, 8, 20.9):
        r = rig(reply("account_p2.json"), now=NOW + hours * 3600)
        r.pages(ACCOUNTS)
        starts.add(r.sent(0)["start_time"])
    assert starts == {"2026-11-15T00:00:00Z"}


def test_end_time_stays_ten_seconds_behind_the_request():
    r = rig(reply("search_p3.json"), now=NIGHT.end.timestamp() + 5)
    r.pages(MENTIONS)
    assert r.sent(0)["end_time"] == "2026-11-20T23:59:50Z"


def test_window_wholly_outside_recent_search_is_sent_as_is_for_x_to_reject():
    old = Shard("x", "mentions", "old", datetime(2026, 11, 1, tzinfo=UTC),
                datetime(2026, 11, 2, tzinfo=UTC), terms=("Lakemont Health",))
    r = rig(reply("error_400.json", 400))
    with pytest.raises(ShardFailed, match="'start_time' must be on or after"):
        r.pages(old)
    assert (r.sent(0)["start_time"], r.sent(0)["end_time"]) == ("2026-11-01T00:00:00Z",
                                                                "2026-11-02T00:00:00Z")
    assert r.waits == []


@pytest.mark.parametrize(("shard", "flow"), [(MENTIONS, mentions_flow),
                                             (ACCOUNTS, accounts_flow)], ids=["mentions", "accounts"])
def test_resume_from_each_cursor_repeats_no_committed_request(shard, flow):
    full = rig(*flow()).pages(shard)
    for k, page in enumerate(full[:-1]):
        cursor = json.loads(json.dumps(page.cursor))  # as stored in the journal
        # Resumed a day later: the token's own window is kept, not recomputed.
        r = rig(*flow()[k + 1:], now=NOW + 86400)
        resumed = r.pages(shard, cursor)
        assert [p.text for p in resumed] == [p.text for p in full[k + 1:]]
        assert [p.cursor for p in resumed] == [p.cursor for p in full[k + 1:]]
        assert len(r.api.requests) == len(full) - k - 1
        assert r.sent(0)["next_token"] == cursor["next_token"]
        assert r.sent(0)["start_time"] == cursor["start_time"]


def test_429_waits_for_the_epoch_reset_on_the_policy_clock():
    limited = reply("error_429_rate.json", 429, headers={"x-rate-limit-remaining": "0",
                                                         "x-rate-limit-reset": str(int(NOW) + 90)})
    r = rig(limited, reply("search_p3.json"))
    pages = r.pages(MENTIONS)
    assert [p.records for p in pages] == [1]
    assert len(r.waits) == 1 and 90 <= r.waits[0] <= 90.05
    assert r.connector.stats() == {"requests": 2, "retries": 1, "waited_s": r.waits[0]}


def test_usage_cap_stops_with_quota_after_the_pages_already_yielded():
    r = rig(reply("search_p1.json"),
            reply("error_429_usage_cap.json", 429, headers={"x-rate-limit-remaining": "0"}))
    got = []
    with pytest.raises(QuotaExhausted, match="UsageCapExceeded"):
        for page in r.connector.pages(MENTIONS, None):
            got.append(page)
    assert [p.text for p in got] == [fixture("search_p1.json")]
    assert got[0].cursor["next_token"] == TOKEN_1  # where tomorrow's run resumes
    assert r.waits == [] and len(r.api.requests) == 2


def test_usage_cap_recognised_by_problem_type_alone():
    body = {"title": "Too Many Requests", "type": "https://api.twitter.com/2/problems/usage-capped"}
    r = rig(httpx.Response(429, json=body))
    with pytest.raises(QuotaExhausted):
        r.pages(MENTIONS)


def test_zero_results_have_no_data_key_and_finish():
    r = rig(reply("zero_results.json"))
    pages = r.pages(MENTIONS)
    assert [(p.records, p.cursor) for p in pages] == [(0, None)]
    assert pages[0].body == {"meta": {"result_count": 0}}
    assert pages[0].text == fixture("zero_results.json")


def test_server_errors_are_retried_with_backoff():
    r = rig(httpx.Response(503, content=fixture("error_503.json").encode()),
            httpx.Response(500, text=""), reply("search_p3.json"))
    pages = r.pages(MENTIONS)
    assert [p.text for p in pages] == [fixture("search_p3.json")]
    assert len(r.waits) == 2 and all(0 <= w <= 2 for w in r.waits)  # backoff 1 s, then 2 s caps
    assert r.connector.stats()["retries"] == 2


def test_server_error_backs_off_without_waiting_for_the_rate_limit_reset():
    r = rig(reply("error_503.json", 503), reply("search_p3.json"))  # reset is 900 s away
    r.pages(MENTIONS)
    assert r.waits and r.waits[0] <= 1


def test_truncated_json_is_reported_verbatim_then_retried():
    r = rig(reply("search_p1_truncated.json"), *mentions_flow())
    pages = r.pages(MENTIONS)
    assert [(text, meta["endpoint"]) for text, meta in r.malformed] == [
        (fixture("search_p1_truncated.json"), "x.tweets.search.recent")]
    assert pages[0].text == fixture("search_p1.json") and len(pages) == 3


def test_empty_page_with_a_next_token_continues():
    r = rig(reply("search_empty_with_token.json"), reply("search_p3.json"))
    pages = r.pages(MENTIONS)
    assert [p.records for p in pages] == [0, 1]
    assert r.sent(1)["next_token"] == "b26v89c19zqg8o3fo7gesq314yb9l2l4pu00"
    assert pages[-1].cursor is None


def test_tweet_on_two_pages_is_landed_as_returned():
    r = rig(*mentions_flow())
    pages = r.pages(MENTIONS)
    ids = [t["id"] for p in pages for t in p.body["data"]]
    assert ids.count("1861234567890123459") == 2 and len(ids) == 6


def test_malformed_records_do_not_break_paging():
    r = rig(reply("search_malformed_records.json"))
    pages = r.pages(MENTIONS)
    assert [(p.records, p.cursor) for p in pages] == [(0, None)]
    assert pages[0].text == fixture("search_malformed_records.json")


def test_repeated_next_token_ends_the_shard_instead_of_looping():
    r = rig(reply("search_p1.json"), reply("search_p1.json"))
    pages = r.pages(MENTIONS)
    assert [p.cursor for p in pages] == [{"next_token": TOKEN_1, **NIGHT_WINDOW}, None]


def test_401_fails_auth_without_retrying():
    r = rig(reply("error_401.json", 401))
    with pytest.raises(AuthFailed, match="Unauthorized"):
        r.pages(MENTIONS)
    assert len(r.api.requests) == 1 and r.waits == []


def test_403_client_not_enrolled_stops_the_platform():
    body = {"title": "Client Forbidden", "type": "https://api.twitter.com/2/problems/client-forbidden",
            "reason": "client-not-enrolled", "detail": "This request must be made using an approved "
            "developer account that is enrolled in the requested endpoint."}
    r = rig(httpx.Response(403, json=body))
    with pytest.raises(AuthFailed, match="Client Forbidden"):
        r.pages(MENTIONS)


def test_budget_exhaustion_stops_with_quota_after_committed_pages():
    r = rig(*mentions_flow(), budget=2)
    got = []
    with pytest.raises(QuotaExhausted, match="budget"):
        for page in r.connector.pages(MENTIONS, None):
            got.append(page)
    assert [p.cursor["next_token"] for p in got] == [TOKEN_1, TOKEN_2]


@pytest.mark.parametrize(("page_size", "sent"), [(5, "10"), (40, "40"), (100, "100")])
def test_max_results_stays_within_10_to_100(page_size, sent):
    r = rig(reply("zero_results.json"), page_size=page_size)
    r.pages(MENTIONS)
    assert r.sent(0)["max_results"] == sent


def test_query_building():
    assert build_query(Shard("x", "mentions", "t", NIGHT.start, NIGHT.end,
                             terms=('flu "shot"',), hashtags=("FluShot",))) \
        == '("flu shot" OR #FluShot) -is:retweet'
    assert build_query(Shard("x", "accounts", "b", NIGHT.start, NIGHT.end,
                             handles=("@lakemonthealth",))) == "from:lakemonthealth -is:retweet"
    assert build_query(Shard("x", "mentions", "empty", NIGHT.start, NIGHT.end)) is None


def test_shard_with_nothing_to_search_sends_nothing():
    r = rig()
    assert r.pages(Shard("x", "mentions", "empty", NIGHT.start, NIGHT.end,
                         exclude=("x",))) == []


def _no_canary(*texts: object) -> None:
    for text in texts:
        assert TOKEN not in str(text)


def test_canary_token_never_reaches_pages_or_logs(caplog):
    caplog.set_level(logging.DEBUG)
    r = rig(*mentions_flow())
    pages = r.pages(MENTIONS)
    for p in pages:
        _no_canary(p.url, json.dumps(p.params), p.text, json.dumps(p.body), json.dumps(p.cursor),
                   p.headers)
    _no_canary(caplog.text, *(rec.getMessage() for rec in caplog.records))


@pytest.mark.parametrize("status", [401, 429, 500])
def test_canary_token_never_reaches_errors_or_logs(status, caplog):
    caplog.set_level(logging.DEBUG)
    # A server that echoes the token back: the message must still come out masked.
    echo = {"title": "Echo", "detail": f"bearer was {TOKEN}"}
    reset = {"x-rate-limit-reset": str(int(NOW) + 1)}
    r = rig(*[httpx.Response(status, json=echo, headers=reset) for _ in range(3)], max_retries=1)
    with pytest.raises((AuthFailed, ShardFailed)) as err:
        r.pages(MENTIONS)
    _no_canary(str(err.value), repr(err.value), caplog.text,
               *(rec.getMessage() for rec in caplog.records))
    assert "***" in str(err.value)
