"""Bluesky connector against recorded-style payloads (fixtures/bluesky) via MockTransport.

Each test scripts the exact sequence of XRPC responses (session, searchPosts, getProfiles)
and checks what the connector sent, what it yielded (verbatim) and the cursor after every page.
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
from extract.bluesky import BlueskyConnector
from extract.errors import AuthFailed, QuotaExhausted, ShardFailed
from extract.http import Budget, RetryPolicy

FIXTURES = Path(__file__).parent / "fixtures" / "bluesky"
BASE = "https://bsky.social"
HANDLE = "lakemonthealth.bsky.social"
PASSWORD = "canary-app-password-ABC-654321"
CREDENTIAL = f"{HANDLE}:{PASSWORD}"
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC).timestamp()
NIGHT = Night(date(2026, 11, 20))
MENTIONS = Shard("bluesky", "mentions", "lakemont", NIGHT.start, NIGHT.end,
                 terms=("Lakemont Health",), hashtags=("LakemontCares",), handles=(HANDLE,),
                 exclude=("Lakemont Realty",))
ACCOUNTS = Shard("bluesky", "accounts", "lakemont", NIGHT.lookback_start(7), NIGHT.end,
                 handles=(HANDLE,), owned=True)
DID_A = "did:plc:abcd1234efgh5678ijkl9012"
DID_B = "did:plc:mnop3456qrst7890uvwx1234"
DID_C = "did:plc:yzab5678cdef9012ghij3456"
DID_L = "did:plc:lakemont00000000000000001"
RATE = {"RateLimit-Limit": "3000", "RateLimit-Remaining": "2990",
        "RateLimit-Reset": str(int(NOW) + 300), "RateLimit-Policy": "3000;w=300"}


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


SESSION = json.loads(fixture("create_session.json"))
REFRESHED = json.loads(fixture("refresh_session.json"))


def reply(name: str, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers={"Content-Type": "application/json; charset=utf-8",
                                           **RATE, **(headers or {})},
                          content=fixture(name).encode("utf-8"))


class Pds:
    """Serves scripted responses in order and records every request it receives."""

    def __init__(self, *responses: httpx.Response):
        self.queue = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert self.queue, f"unexpected request {request.method} {request.url}"
        return self.queue.pop(0)

    def paths(self) -> list[str]:
        return [q.url.path.removeprefix("/xrpc/") for q in self.requests]


@dataclass
class Rig:
    connector: BlueskyConnector
    pds: Pds
    waits: list[float]
    malformed: list[tuple[str, dict]]

    def pages(self, shard: Shard, cursor: dict | None = None) -> list[Page]:
        return list(self.connector.pages(shard, cursor))


def rig(*responses: httpx.Response, budget: int = 100, max_retries: int = 3,
        credential: str = CREDENTIAL, handler=None) -> Rig:
    """A connector whose PDS serves `responses` in order (or answers with `handler`)."""
    pds, waits, malformed = Pds(*responses), [], []
    policy = RetryPolicy(max_retries=max_retries, backoff_base_s=1, backoff_max_s=8,
                         max_wait_s=900, sleep=waits.append, clock=lambda: NOW,
                         rng=random.Random(7))
    config = PlatformConfig(endpoint=BASE, credential_env="CAREPULSE_BLUESKY_CREDENTIALS")
    ctx = ConnectorContext("bluesky", config, credential, policy, Budget(budget),
                           on_malformed=lambda f, meta: malformed.append((f.text, meta)))
    transport = httpx.MockTransport(handler or pds)
    return Rig(BlueskyConnector(ctx, transport=transport), pds, waits, malformed)


def mentions_data() -> list[httpx.Response]:
    return [reply("search_p1.json"), reply("profiles_ab.json"), reply("search_p2.json"),
            reply("profiles_c.json")]


def accounts_data() -> list[httpx.Response]:
    return [reply("search_account_p1.json"), reply("profiles_account.json"),
            reply("search_account_p2.json")]


def bearer(request: httpx.Request) -> str:
    return request.headers.get("Authorization", "")


def test_mentions_search_then_profiles_of_new_authors():
    r = rig(reply("create_session.json"), *mentions_data())
    pages = r.pages(MENTIONS)

    sent = r.pds.requests
    assert r.pds.paths() == ["com.atproto.server.createSession", "app.bsky.feed.searchPosts",
                             "app.bsky.actor.getProfiles", "app.bsky.feed.searchPosts",
                             "app.bsky.actor.getProfiles"]
    assert sent[0].method == "POST"
    assert json.loads(sent[0].content) == {"identifier": HANDLE, "password": PASSWORD}
    assert dict(sent[1].url.params) == {
        "q": '"Lakemont Health" OR #LakemontCares OR @lakemonthealth.bsky.social',
        "sort": "latest", "since": "2026-11-20T00:00:00Z", "until": "2026-11-21T00:00:00Z",
        "limit": "100"}
    assert sent[2].url.params.get_list("actors") == [DID_A, DID_B]
    assert sent[3].url.params["cursor"] == "100"
    assert sent[4].url.params.get_list("actors") == [DID_C]  # A was profiled already
    assert all(bearer(q) == f"Bearer {SESSION['accessJwt']}" for q in sent[1:])

    assert [p.endpoint for p in pages] == ["bluesky.feed.searchPosts", "bluesky.actor.getProfiles",
                                           "bluesky.feed.searchPosts", "bluesky.actor.getProfiles"]
    assert [p.records for p in pages] == [3, 2, 2, 1]
    assert [p.cursor for p in pages] == [
        {"cursor": "100", "pending_dids": [DID_A, DID_B]},
        {"cursor": "100", "pending_dids": []},
        {"cursor": None, "pending_dids": [DID_C]},
        None,
    ]
    names = ["search_p1.json", "profiles_ab.json", "search_p2.json", "profiles_c.json"]
    assert [p.text for p in pages] == [fixture(n) for n in names]
    assert [p.body for p in pages] == [json.loads(fixture(n)) for n in names]
    assert pages[1].params == {"actors": [DID_A, DID_B]}
    assert pages[0].headers["ratelimit-remaining"] == "2990"


def test_accounts_search_the_author_with_a_wildcard():
    r = rig(reply("create_session.json"), *accounts_data())
    pages = r.pages(ACCOUNTS)
    search = r.pds.requests[1]
    assert dict(search.url.params) == {"q": "*", "author": HANDLE, "sort": "latest",
                                       "since": "2026-11-13T00:00:00Z",
                                       "until": "2026-11-21T00:00:00Z", "limit": "100"}
    assert [p.endpoint for p in pages] == ["bluesky.feed.searchPosts", "bluesky.actor.getProfiles",
                                           "bluesky.feed.searchPosts"]
    assert [p.records for p in pages] == [2, 1, 1]
    assert [p.cursor for p in pages] == [{"cursor": "100", "pending_dids": [DID_L]},
                                         {"cursor": "100", "pending_dids": []}, None]
    assert pages[1].body["profiles"][0]["followersCount"] == 23150


SEARCH_PAGES = {  # (shard kind, cursor sent) -> fixture
    ("mentions", None): "search_p1.json", ("mentions", "100"): "search_p2.json",
    ("accounts", None): "search_account_p1.json", ("accounts", "100"): "search_account_p2.json",
}
PROFILES = {p["did"]: p for name in ("profiles_ab.json", "profiles_c.json", "profiles_account.json")
            for p in json.loads(fixture(name))["profiles"]}


def routed(kind: str):
    """A PDS that answers by request (not by order), so a resumed walk can ask for anything."""

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/xrpc/")
        if path == "com.atproto.server.createSession":
            return reply("create_session.json")
        if path == "app.bsky.feed.searchPosts":
            return reply(SEARCH_PAGES[kind, request.url.params.get("cursor")])
        actors = request.url.params.get_list("actors")
        return httpx.Response(200, json={"profiles": [PROFILES[d] for d in actors]})

    return handler


@pytest.mark.parametrize(("shard", "flow"), [(MENTIONS, mentions_data),
                                             (ACCOUNTS, accounts_data)], ids=["mentions", "accounts"])
def test_resume_from_each_cursor_repeats_no_committed_request(shard, flow):
    search = "bluesky.feed.searchPosts"
    full = rig(reply("create_session.json"), *flow()).pages(shard)
    for k, page in enumerate(full[:-1]):
        cursor = json.loads(json.dumps(page.cursor))  # as stored in the journal
        r = rig(handler=routed(shard.kind))
        resumed = r.pages(shard, cursor)
        rest = full[k + 1:]
        assert resumed[0].text == rest[0].text  # the request in flight, and only it, comes next
        assert [p.text for p in resumed if p.endpoint == search] == \
            [p.text for p in rest if p.endpoint == search]
        assert [(p.cursor or {}).get("cursor") for p in resumed if p.endpoint == search] == \
            [(p.cursor or {}).get("cursor") for p in rest if p.endpoint == search]
        assert r.connector.stats()["requests"] == 1 + len(resumed)  # a login, then one per page
        # The cursor keeps no "seen" set (it stays small), so authors profiled before the
        # resume point may be profiled again; only authors of pending or later pages are.
        later = set(cursor["pending_dids"]) | {
            post["author"]["did"] for p in resumed if p.endpoint == search
            for post in p.body["posts"]}
        assert {d for p in resumed if p.endpoint != search for d in p.params["actors"]} <= later


def test_session_is_reused_across_shards():
    r = rig(reply("create_session.json"), *accounts_data(), *mentions_data())
    r.pages(ACCOUNTS)
    r.pages(MENTIONS)
    assert r.pds.paths().count("com.atproto.server.createSession") == 1


def test_expired_token_refreshes_once_and_continues():
    r = rig(reply("create_session.json"), reply("error_expired.json", 400),
            reply("refresh_session.json"), *mentions_data())
    pages = r.pages(MENTIONS)
    sent = r.pds.requests
    assert r.pds.paths()[:4] == ["com.atproto.server.createSession", "app.bsky.feed.searchPosts",
                                 "com.atproto.server.refreshSession",
                                 "app.bsky.feed.searchPosts"]
    assert sent[2].method == "POST" and bearer(sent[2]) == f"Bearer {SESSION['refreshJwt']}"
    assert all(bearer(q) == f"Bearer {REFRESHED['accessJwt']}" for q in sent[3:])
    assert [p.text for p in pages] == [fixture(n) for n in ("search_p1.json", "profiles_ab.json",
                                                            "search_p2.json", "profiles_c.json")]
    assert r.waits == []  # a refresh is not a retry


def test_refused_refresh_falls_back_to_a_new_session():
    r = rig(reply("create_session.json"), reply("error_expired.json", 400),
            reply("error_expired.json", 400),  # the refresh JWT has expired too
            reply("refresh_session.json"), *mentions_data())
    pages = r.pages(MENTIONS)
    assert r.pds.paths()[:5] == ["com.atproto.server.createSession", "app.bsky.feed.searchPosts",
                                 "com.atproto.server.refreshSession",
                                 "com.atproto.server.createSession", "app.bsky.feed.searchPosts"]
    assert json.loads(r.pds.requests[3].content)["password"] == PASSWORD
    assert len(pages) == 4


def test_token_expired_again_after_refresh_fails_auth():
    r = rig(reply("create_session.json"), reply("error_expired.json", 400),
            reply("refresh_session.json"), reply("error_expired.json", 400))
    with pytest.raises(AuthFailed, match="ExpiredToken"):
        r.pages(MENTIONS)
    assert len(r.pds.requests) == 4


def test_401_at_login_fails_auth():
    r = rig(reply("error_401.json", 401))
    with pytest.raises(AuthFailed, match="Invalid identifier or password"):
        r.pages(MENTIONS)
    assert len(r.pds.requests) == 1


@pytest.mark.parametrize("credential", ["just-a-password", f":{PASSWORD}", f"{HANDLE}:"])
def test_credential_without_handle_and_password_fails_auth_naming_the_format(credential):
    r = rig(credential=credential)
    with pytest.raises(AuthFailed, match="handle:app-password"):
        r.pages(MENTIONS)
    assert r.pds.requests == []


def test_429_honours_retry_after():
    limited = reply("error_429.json", 429, headers={"RateLimit-Remaining": "0",
                                                    "RateLimit-Reset": str(int(NOW) + 200),
                                                    "Retry-After": "12"})
    r = rig(reply("create_session.json"), limited, reply("search_p2.json"),
            reply("profiles_c.json"))
    pages = r.pages(MENTIONS)
    assert [p.records for p in pages] == [2, 1]
    assert len(r.waits) == 1 and 12 <= r.waits[0] <= 12.05


def test_server_errors_are_retried_with_backoff():
    r = rig(reply("create_session.json"),
            httpx.Response(500, content=fixture("error_500.json").encode()),
            httpx.Response(503, text="<html>upstream unavailable</html>"),
            reply("search_p2.json"), reply("profiles_c.json"))
    pages = r.pages(MENTIONS)
    assert [p.text for p in pages] == [fixture("search_p2.json"), fixture("profiles_c.json")]
    assert len(r.waits) == 2 and all(0 <= w <= 2 for w in r.waits)  # backoff 1 s, then 2 s caps
    assert r.connector.stats()["retries"] == 2 and r.connector.stats()["requests"] == 5


def test_server_error_backs_off_without_waiting_for_the_rate_limit_reset():
    r = rig(reply("create_session.json"), reply("error_500.json", 500),  # reset 300 s away
            reply("search_p2.json"), reply("profiles_c.json"))
    r.pages(MENTIONS)
    assert r.waits and r.waits[0] <= 1


def test_truncated_json_is_reported_verbatim_then_retried():
    r = rig(reply("create_session.json"), reply("search_p1_truncated.json"), *mentions_data())
    pages = r.pages(MENTIONS)
    assert [(text, meta["endpoint"]) for text, meta in r.malformed] == [
        (fixture("search_p1_truncated.json"), "bluesky.feed.searchPosts")]
    assert pages[0].text == fixture("search_p1.json") and len(pages) == 4


def test_malformed_session_reply_is_kept_with_its_tokens_redacted():
    cut = fixture("create_session.json")[:300]  # ends inside accessJwt
    assert SESSION["accessJwt"][:40] in cut
    r = rig(httpx.Response(200, text=cut), reply("create_session.json"), *mentions_data())
    pages = r.pages(MENTIONS)
    (text, meta), = r.malformed
    assert meta["endpoint"] == "bluesky.server.createSession"
    assert '"accessJwt":"***' in text and "eyJ" not in text
    assert len(pages) == 4


def test_malformed_reply_after_a_renewal_is_reported_for_the_retried_call():
    r = rig(reply("create_session.json"), reply("error_expired.json", 400),
            reply("refresh_session.json"), reply("search_p1_truncated.json"), *mentions_data())
    pages = r.pages(MENTIONS)
    assert [(text, meta["endpoint"]) for text, meta in r.malformed] == [
        (fixture("search_p1_truncated.json"), "bluesky.feed.searchPosts")]
    assert len(pages) == 4


def test_empty_page_with_a_cursor_continues():
    r = rig(reply("create_session.json"), reply("search_empty_with_cursor.json"),
            reply("search_p2.json"), reply("profiles_c.json"))
    pages = r.pages(MENTIONS)
    assert [p.records for p in pages] == [0, 2, 1]
    assert pages[0].cursor == {"cursor": "200", "pending_dids": []}
    assert r.pds.requests[2].url.params["cursor"] == "200"


def test_post_on_two_pages_is_landed_as_returned():
    r = rig(reply("create_session.json"), *mentions_data())
    pages = r.pages(MENTIONS)
    searches = [p for p in pages if p.endpoint == "bluesky.feed.searchPosts"]
    uris = [post["uri"] for p in searches for post in p.body["posts"]]
    assert uris.count(f"at://{DID_A}/app.bsky.feed.post/3lbqwertyui2v") == 2
    assert sum(p.records for p in searches) == 5


def test_profiles_are_fetched_25_authors_per_call():
    r = rig(reply("create_session.json"), reply("search_many_authors.json"),
            reply("profiles_crowd_1.json"), reply("profiles_crowd_2.json"))
    pages = r.pages(MENTIONS)
    actors = [q.url.params.get_list("actors") for q in r.pds.requests[2:]]
    assert [len(a) for a in actors] == [25, 5]
    dids = [post["author"]["did"] for post in pages[0].body["posts"]]
    assert actors[0] + actors[1] == dids
    assert [p.cursor for p in pages] == [{"cursor": None, "pending_dids": dids},
                                         {"cursor": None, "pending_dids": dids[25:]}, None]


def test_malformed_records_do_not_break_paging():
    r = rig(reply("create_session.json"), reply("search_malformed_records.json"),
            reply("profiles_ab.json"))
    pages = r.pages(MENTIONS)
    assert r.pds.requests[2].url.params.get_list("actors") == [DID_B]  # the only valid did
    assert [p.records for p in pages] == [5, 2]
    assert pages[0].text == fixture("search_malformed_records.json")
    assert pages[-1].cursor is None  # a non-string cursor counts as none


def test_shard_with_nothing_to_search_sends_nothing():
    r = rig()
    assert r.pages(Shard("bluesky", "mentions", "empty", NIGHT.start, NIGHT.end,
                         exclude=("x",))) == []
    assert r.pds.requests == []


def test_bad_query_fails_the_shard():
    r = rig(reply("create_session.json"),
            httpx.Response(400, json={"error": "BadQueryString", "message": "unbalanced quotes"}))
    with pytest.raises(ShardFailed, match="BadQueryString"):
        r.pages(MENTIONS)


def test_budget_exhaustion_stops_with_quota_after_committed_pages():
    r = rig(reply("create_session.json"), *mentions_data(), budget=3)
    got = []
    with pytest.raises(QuotaExhausted, match="budget"):
        for page in r.connector.pages(MENTIONS, None):
            got.append(page)
    assert [p.cursor for p in got] == [{"cursor": "100", "pending_dids": [DID_A, DID_B]},
                                       {"cursor": "100", "pending_dids": []}]


def _no_secrets(*texts: object) -> None:
    for text in texts:
        for secret in (PASSWORD, SESSION["accessJwt"], SESSION["refreshJwt"]):
            assert secret not in str(text)


def test_canary_password_and_tokens_never_reach_pages_or_logs(caplog):
    caplog.set_level(logging.DEBUG)
    r = rig(reply("create_session.json"), *mentions_data())
    pages = r.pages(MENTIONS)
    assert all(not p.endpoint.startswith("com.atproto") for p in pages)
    for p in pages:
        _no_secrets(p.url, json.dumps(p.params), p.text, json.dumps(p.body), json.dumps(p.cursor),
                    p.headers)
    _no_secrets(caplog.text, *(rec.getMessage() for rec in caplog.records))


@pytest.mark.parametrize("status", [401, 429, 500])
def test_canary_password_never_reaches_errors_or_logs(status, caplog):
    caplog.set_level(logging.DEBUG)
    # A server that echoes the secrets back: messages must still come out masked.
    echo = {"error": "Echo", "message": f"{PASSWORD} / {SESSION['accessJwt']}"}
    failing = [httpx.Response(status, json=echo, headers={"Retry-After": "1"}) for _ in range(3)]
    first = failing if status == 401 else [reply("create_session.json"), *failing]
    r = rig(*first, max_retries=1)
    with pytest.raises((AuthFailed, ShardFailed)) as err:
        r.pages(MENTIONS)
    _no_secrets(str(err.value), repr(err.value), caplog.text,
                *(rec.getMessage() for rec in caplog.records))
    assert "***" in str(err.value)
