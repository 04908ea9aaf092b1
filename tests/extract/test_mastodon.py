"""Mastodon connector against recorded-style payloads (fixtures/mastodon) via MockTransport.

Each test scripts the exact sequence of responses an instance would give and checks what
the connector sent, what it yielded (verbatim) and the cursor after every page.
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
from extract.mastodon import MastodonConnector, mention_steps, next_link

FIXTURES = Path(__file__).parent / "fixtures" / "mastodon"
BASE = "https://mastodon.example"
TOKEN = "canary-bearer-token-XYZ-123456"
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC).timestamp()
NIGHT = Night(date(2026, 11, 20))
MENTIONS = Shard("mastodon", "mentions", "lakemont", NIGHT.start, NIGHT.end,
                 terms=("Lakemont Health",), hashtags=("LakemontCares",),
                 exclude=("Lakemont Realty",))
TAG_ONLY = Shard("mastodon", "mentions", "topic_cares", NIGHT.start, NIGHT.end,
                 hashtags=("LakemontCares",))
ACCOUNTS = Shard("mastodon", "accounts", "lakemont", NIGHT.lookback_start(7), NIGHT.end,
                 handles=("lakemonthealth",), owned=True)
ACCOUNT_ID = "111000000000000001"
TAG_URL = f"{BASE}/api/v1/timelines/tag/LakemontCares"
TAG_NEXT_1 = f"{TAG_URL}?limit=40&max_id=113518000000000001"
TAG_NEXT_2 = f"{TAG_URL}?limit=40&max_id=113516000000000008"
STATUSES_URL = f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses"
STATUSES_NEXT_1 = f"{STATUSES_URL}?limit=40&max_id=113500000000000011"
STATUSES_NEXT_2 = f"{STATUSES_URL}?limit=40&max_id=113470000000000013"


def iso(epoch: float) -> str:
    """Mastodon's X-RateLimit-Reset form: ISO-8601 with six fractional digits."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


RATE = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "297",
        "X-RateLimit-Reset": iso(NOW + 300)}


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def links(next_url: str | None) -> dict[str, str]:
    if next_url is None:
        return {}
    prev = next_url.split("?")[0] + "?limit=40&min_id=113520000000000003"
    return {"Link": f'<{next_url}>; rel="next", <{prev}>; rel="prev"'}


def reply(name: str, status: int = 200, *, next_url: str | None = None,
          headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, headers={"Content-Type": "application/json; charset=utf-8", **RATE,
                         **links(next_url), **(headers or {})},
        content=fixture(name).encode("utf-8"))


class Instance:
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
    connector: MastodonConnector
    instance: Instance
    waits: list[float]
    malformed: list[tuple[str, dict]]

    def pages(self, shard: Shard, cursor: dict | None = None) -> list[Page]:
        return list(self.connector.pages(shard, cursor))


def rig(*responses: httpx.Response, budget: int = 100, max_retries: int = 3,
        page_size: int = 40) -> Rig:
    instance, waits, malformed = Instance(*responses), [], []
    policy = RetryPolicy(max_retries=max_retries, backoff_base_s=1, backoff_max_s=8,
                         max_wait_s=900, sleep=waits.append, clock=lambda: NOW,
                         rng=random.Random(7))
    config = PlatformConfig(endpoint=BASE, credential_env="CAREPULSE_MASTODON_TOKEN",
                            page_size=page_size)
    ctx = ConnectorContext("mastodon", config, TOKEN, policy, Budget(budget),
                           on_malformed=lambda f, meta: malformed.append((f.text, meta)))
    connector = MastodonConnector(ctx, transport=httpx.MockTransport(instance))
    return Rig(connector, instance, waits, malformed)


def mentions_flow() -> list[httpx.Response]:
    return [reply("search_p1.json"), reply("search_empty.json"),
            reply("tag_p1.json", next_url=TAG_NEXT_1), reply("tag_p2.json", next_url=TAG_NEXT_2)]


def accounts_flow() -> list[httpx.Response]:
    return [reply("account_lookup.json"),
            reply("account_statuses_p1.json", next_url=STATUSES_NEXT_1),
            reply("account_statuses_p2.json", next_url=STATUSES_NEXT_2)]


def params(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


def test_mentions_search_each_phrase_then_walk_each_hashtag_to_since():
    r = rig(*mentions_flow())
    pages = r.pages(MENTIONS)

    sent = r.instance.requests
    assert [q.url.path for q in sent] == ["/api/v2/search", "/api/v2/search",
                                          "/api/v1/timelines/tag/LakemontCares",
                                          "/api/v1/timelines/tag/LakemontCares"]
    assert params(sent[0]) == {"q": '"Lakemont Health"', "type": "statuses", "limit": "40",
                               "offset": "0"}
    assert params(sent[1])["offset"] == "2"  # advanced by the statuses returned
    assert params(sent[2]) == {"limit": "40"}
    assert str(sent[3].url) == TAG_NEXT_1  # the Link URL, as given
    assert all(q.headers["Authorization"] == f"Bearer {TOKEN}" for q in sent)

    assert [p.endpoint for p in pages] == ["mastodon.search", "mastodon.search",
                                           "mastodon.timelines.tag", "mastodon.timelines.tag"]
    assert [p.records for p in pages] == [2, 0, 3, 3]
    assert [p.cursor for p in pages] == [
        {"term_index": 0, "term": '"Lakemont Health"', "offset": 2},
        {"term_index": 1, "term": "#LakemontCares"},
        {"term_index": 1, "term": "#LakemontCares", "next_url": TAG_NEXT_1},
        None,  # tag_p2 reaches before since: its Link is not followed
    ]
    names = ["search_p1.json", "search_empty.json", "tag_p1.json", "tag_p2.json"]
    assert [p.text for p in pages] == [fixture(n) for n in names]
    assert [p.body for p in pages] == [json.loads(fixture(n)) for n in names]
    assert pages[3].params == {"limit": "40", "max_id": "113518000000000001"}
    assert "link" in {k.lower() for k in pages[2].headers}


def test_mention_steps_cover_phrases_handles_and_hashtags():
    shard = Shard("mastodon", "mentions", "lakemont", NIGHT.start, NIGHT.end,
                  terms=("Lakemont Health", "Lakemont Hospital"), hashtags=("LakemontCares",),
                  handles=("@lakemonthealth",))
    assert mention_steps(shard) == ['"Lakemont Health"', '"Lakemont Hospital"',
                                    "@lakemonthealth", "#LakemontCares"]


def test_accounts_lookup_then_statuses_until_older_than_since():
    r = rig(*accounts_flow())
    pages = r.pages(ACCOUNTS)

    sent = r.instance.requests
    assert sent[0].url.path == "/api/v1/accounts/lookup"
    assert params(sent[0]) == {"acct": "lakemonthealth"}
    assert str(sent[1].url) == f"{STATUSES_URL}?limit=40"
    assert str(sent[2].url) == STATUSES_NEXT_1
    assert [p.endpoint for p in pages] == ["mastodon.accounts.lookup",
                                           "mastodon.accounts.statuses",
                                           "mastodon.accounts.statuses"]
    assert [p.records for p in pages] == [1, 2, 2]
    assert [p.cursor for p in pages] == [
        {"account_id": ACCOUNT_ID},
        {"account_id": ACCOUNT_ID, "next_url": STATUSES_NEXT_1},
        None,  # the 2026-11-12 status predates the 7-day lookback
    ]
    assert pages[0].body["followers_count"] == 23150


@pytest.mark.parametrize(("shard", "flow"), [(MENTIONS, mentions_flow),
                                             (ACCOUNTS, accounts_flow)], ids=["mentions", "accounts"])
def test_resume_from_each_cursor_repeats_no_committed_request(shard, flow):
    full = rig(*flow()).pages(shard)
    for k, page in enumerate(full[:-1]):
        cursor = json.loads(json.dumps(page.cursor))  # as stored in the journal
        r = rig(*flow()[k + 1:])
        resumed = r.pages(shard, cursor)
        assert [p.text for p in resumed] == [p.text for p in full[k + 1:]]
        assert [p.cursor for p in resumed] == [p.cursor for p in full[k + 1:]]
        assert len(r.instance.requests) == len(full) - k - 1


def test_429_waits_until_the_iso_reset_header():
    limited = reply("error_429.json", 429, headers={"X-RateLimit-Remaining": "0",
                                                    "X-RateLimit-Reset": iso(NOW + 150)})
    assert "Retry-After" not in limited.headers  # Mastodon sends none
    r = rig(limited, reply("tag_p1.json"))
    pages = r.pages(TAG_ONLY)
    assert [p.records for p in pages] == [3]
    assert len(r.waits) == 1 and 150 <= r.waits[0] <= 150.05
    assert r.connector.stats() == {"requests": 2, "retries": 1, "waited_s": r.waits[0]}


def test_server_errors_are_retried_with_backoff():
    r = rig(httpx.Response(503, json={"error": "Remote data could not be fetched"}),
            httpx.Response(502, text="<html>Bad Gateway</html>"), reply("tag_p1.json"))
    pages = r.pages(TAG_ONLY)
    assert [p.text for p in pages] == [fixture("tag_p1.json")]
    assert len(r.waits) == 2 and all(0 <= w <= 2 for w in r.waits)  # backoff 1 s, then 2 s caps
    assert r.connector.stats()["retries"] == 2


def test_server_error_backs_off_without_waiting_for_the_rate_limit_reset():
    unavailable = httpx.Response(503, json={"error": "Remote data could not be fetched"},
                                 headers=RATE)  # reset 300 s away
    r = rig(unavailable, reply("tag_p1.json"))
    r.pages(TAG_ONLY)
    assert r.waits and r.waits[0] <= 1


def test_truncated_json_is_reported_verbatim_then_retried():
    r = rig(reply("tag_p1_truncated.json", next_url=TAG_NEXT_1),
            reply("tag_p1.json", next_url=TAG_NEXT_1), reply("tag_empty.json"))
    pages = r.pages(TAG_ONLY)
    assert len(r.malformed) == 1
    text, meta = r.malformed[0]
    assert text == fixture("tag_p1_truncated.json")
    assert meta["endpoint"] == "mastodon.timelines.tag"
    assert [p.text for p in pages] == [fixture("tag_p1.json"), "[]"]
    assert pages[-1].cursor is None  # an empty page without Link ends the walk


def test_empty_page_with_a_link_continues():
    r = rig(reply("tag_empty.json", next_url=TAG_NEXT_1), reply("tag_p1.json"))
    pages = r.pages(TAG_ONLY)
    assert [p.records for p in pages] == [0, 3]
    assert pages[0].cursor == {"term_index": 0, "term": "#LakemontCares", "next_url": TAG_NEXT_1}
    assert pages[1].cursor is None


def test_status_on_two_pages_is_landed_as_returned():
    r = rig(reply("tag_p1.json", next_url=TAG_NEXT_1), reply("tag_p2.json"))
    pages = r.pages(TAG_ONLY)
    ids = [s["id"] for p in pages for s in p.body]
    assert ids.count("113518000000000001") == 2
    assert sum(p.records for p in pages) == 6


def test_malformed_records_do_not_break_paging():
    r = rig(reply("tag_malformed_records.json", next_url=TAG_NEXT_1), reply("tag_empty.json"))
    pages = r.pages(TAG_ONLY)
    assert [p.records for p in pages] == [5, 0]
    assert pages[0].text == fixture("tag_malformed_records.json")
    assert pages[0].cursor["next_url"] == TAG_NEXT_1


def test_unexpected_body_shapes_end_the_step_without_crashing():
    r = rig(httpx.Response(200, json=["not", "an", "object"]),  # search reply: not an object
            httpx.Response(200, json={"error": "not a list"}))  # tag reply: not a list
    shard = Shard("mastodon", "mentions", "t", NIGHT.start, NIGHT.end, terms=("flu shot",),
                  hashtags=("FluShot",))
    pages = r.pages(shard)
    assert [(p.endpoint, p.records) for p in pages] == [("mastodon.search", 0),
                                                        ("mastodon.timelines.tag", 0)]
    assert pages[-1].cursor is None


def test_budget_exhaustion_stops_with_quota_after_committed_pages():
    r = rig(*mentions_flow(), budget=2)
    got = []
    with pytest.raises(QuotaExhausted, match="budget"):
        for page in r.connector.pages(MENTIONS, None):
            got.append(page)
    assert len(got) == 2 and got[-1].cursor == {"term_index": 1, "term": "#LakemontCares"}
    assert len(r.instance.requests) == 2


def test_401_fails_auth_without_retrying():
    r = rig(reply("error_401.json", 401))
    with pytest.raises(AuthFailed, match="access token is invalid"):
        r.pages(TAG_ONLY)
    assert len(r.instance.requests) == 1 and r.waits == []


def test_unknown_account_fails_the_shard():
    r = rig(reply("error_404.json", 404))
    with pytest.raises(ShardFailed, match="Record not found"):
        r.pages(ACCOUNTS)


def test_next_link_to_another_host_is_not_followed():
    r = rig(reply("tag_p1.json", next_url="https://elsewhere.example/api/v1/timelines/tag/x"))
    with pytest.raises(ShardFailed, match="outside the configured endpoint"):
        r.pages(TAG_ONLY)
    assert len(r.instance.requests) == 1


def test_next_link_parsing():
    assert next_link({"link": f'<{TAG_NEXT_1}>; rel="next", <{TAG_URL}?min_id=1>; rel="prev"'}) \
        == TAG_NEXT_1
    assert next_link({"Link": f'<{TAG_URL}?min_id=1>; rel="prev"'}) is None
    assert next_link({}) is None


def _no_canary(*texts: object) -> None:
    for text in texts:
        assert TOKEN not in str(text)


def test_canary_token_never_reaches_pages_or_logs(caplog):
    caplog.set_level(logging.DEBUG)
    r = rig(*mentions_flow())
    pages = r.pages(MENTIONS)
    assert all(q.headers["Authorization"] == f"Bearer {TOKEN}" for q in r.instance.requests)
    for p in pages:
        _no_canary(p.url, json.dumps(p.params), p.text, json.dumps(p.body), json.dumps(p.cursor),
                   p.headers)
    _no_canary(caplog.text, *(rec.getMessage() for rec in caplog.records))


@pytest.mark.parametrize("status", [401, 429, 500])
def test_canary_token_never_reaches_errors_or_logs(status, caplog):
    caplog.set_level(logging.DEBUG)
    # A server that echoes the token back: the message must still come out masked.
    echo = {"error": f"token {TOKEN} rejected"}
    reset = {"X-RateLimit-Reset": iso(NOW + 1)}
    r = rig(*[httpx.Response(status, json=echo, headers=reset) for _ in range(3)], max_retries=1)
    with pytest.raises((AuthFailed, ShardFailed)) as err:
        r.pages(TAG_ONLY)
    _no_canary(str(err.value), repr(err.value), caplog.text,
               *(rec.getMessage() for rec in caplog.records))
    assert "***" in str(err.value)


def test_page_size_is_clamped_to_the_api_maximum():
    r = rig(reply("tag_empty.json"), page_size=100)
    r.pages(TAG_ONLY)
    assert params(r.instance.requests[0]) == {"limit": "40"}


def test_reset_header_in_the_past_does_not_wait_negative():
    past = reply("error_429.json", 429, headers={"X-RateLimit-Reset": iso(NOW - 30)})
    r = rig(past, reply("tag_empty.json"))
    r.pages(TAG_ONLY)
    assert len(r.waits) == 1 and 0 <= r.waits[0] < 0.1
