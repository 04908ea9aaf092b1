"""Facebook Pages connector: recorded Graph API payloads (fixtures/facebook) through an
httpx.MockTransport, then whole nights against the simulated Graph API through the runner.

The MockTransport tests script the exact responses and check what the connector sent, what
it yielded (verbatim) and the cursor after every page. The runner tests (Facebook and
Instagram alike: they share extract/meta.py) check what a night leaves on disk: a token
that expires mid-night ends it partial with its pages kept, the resumed run completes it
without fetching anything twice, and no credential reaches a stored byte.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import logging
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from carepulse.config import PlatformConfig, load_config
from carepulse.demo import DEMO_CREDENTIALS
from carepulse.secrets import install_log_masking
from extract.base import ConnectorContext, Night, Page, Shard
from extract.errors import AuthFailed, RateLimitTooLong, ShardFailed
from extract.facebook import FacebookConnector
from extract.http import Budget, RetryPolicy
from extract.items import manifest_items
from extract.runner import extract_night
from extract.simulator.faults import FaultPlan
from extract.simulator.server import SimulatorServer
from tests.conftest import CONFIG

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "https://graph.facebook.com"
PAGE_ID = "104857600000001"
TOKEN = "canary-fb-page-token-QX7Z4410"
SECRET = "canary-fb-app-secret-9KT2P"
PROOF = hmac.new(SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC).timestamp()
NIGHT = Night(date(2026, 11, 20))
SHARD = Shard("facebook", "accounts", "lakemont", NIGHT.lookback_start(7), NIGHT.end,
              handles=(PAGE_ID,), owned=True)
POST_A, POST_C = f"{PAGE_ID}_122207770113577407", f"{PAGE_ID}_122207730094410236"
POST_FIELDS = ("id,message,created_time,updated_time,permalink_url,from{id,name},status_type,"
               "message_tags,attachments{media_type},shares,reactions.summary(total_count).limit(0),"
               "comments.summary(true).limit(0)")
COMMENT_FIELDS = "id,message,created_time,from{id,name},like_count,comment_count,parent{id}"
WINDOW = {"since": "1794528000", "until": "1795219200"}  # 2026-11-13 .. 2026-11-21


def fixture(name: str, platform: str = "facebook") -> str:
    return (FIXTURES / platform / name).read_text(encoding="utf-8")


def reply(name: str, status: int = 200, platform: str = "facebook",
          headers: dict[str, str] | None = None) -> httpx.Response:
    """A recorded body, with the headers of its sidecar (name.headers.json) when it has one."""
    sidecar = FIXTURES / platform / name.replace(".json", ".headers.json")
    recorded = json.loads(sidecar.read_text()) if sidecar.exists() else {}
    return httpx.Response(status, headers={"Content-Type": "application/json; charset=UTF-8",
                                           **recorded, **(headers or {})},
                          content=fixture(name, platform).encode("utf-8"))


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
    connector: FacebookConnector
    api: Api
    waits: list[float]
    malformed: list[tuple[str, dict]]

    def pages(self, shard: Shard = SHARD, cursor: dict | None = None) -> list[Page]:
        return list(self.connector.pages(shard, cursor))

    def sent(self, i: int) -> dict[str, str]:
        return dict(self.api.requests[i].url.params)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.api.requests]


def rig(*responses: httpx.Response, cls: type = FacebookConnector, platform: str = "facebook",
        credential: str = f"{TOKEN}:{SECRET}", page_size: int = 100, max_wait_s: float = 900,
        max_retries: int = 3) -> Rig:
    api, waits, malformed = Api(*responses), [], []
    policy = RetryPolicy(max_retries=max_retries, backoff_base_s=1, backoff_max_s=8,
                         max_wait_s=max_wait_s, sleep=waits.append, clock=lambda: NOW,
                         rng=random.Random(7))
    config = PlatformConfig(endpoint=BASE, credential_env=f"CAREPULSE_{platform.upper()}_TOKEN",
                            page_size=page_size, api_version="v26.0")
    ctx = ConnectorContext(platform, config, credential, policy, Budget(100),
                           on_malformed=lambda f, meta: malformed.append((f.text, meta)))
    return Rig(cls(ctx, transport=httpx.MockTransport(api)), api, waits, malformed)


NIGHT_FLOW = ("posts_p1.json", "comments_a_p1.json", "comments_a_p2.json", "posts_p2.json",
              "comments_empty_next.json", "comments_c_p2.json", "tagged_p1.json")


def night_flow() -> list[httpx.Response]:
    return [reply(name) for name in NIGHT_FLOW]


# -- a night, recorded ------------------------------------------------------------------------


def test_feed_then_each_posts_comments_then_tagged():
    r = rig(*night_flow())
    pages = r.pages()
    v = "/v26.0"
    # the feed, not /posts: visitors' posts on the Page are there too
    assert r.paths() == [f"{v}/{PAGE_ID}/feed", f"{v}/{POST_A}/comments", f"{v}/{POST_A}/comments",
                         f"{v}/{PAGE_ID}/feed", f"{v}/{POST_C}/comments", f"{v}/{POST_C}/comments",
                         f"{v}/{PAGE_ID}/tagged"]  # post B counts no comment: none asked for
    posts = {"fields": POST_FIELDS, **WINDOW, "limit": "100", "appsecret_proof": PROOF}
    comments = {"fields": COMMENT_FIELDS, "filter": "stream", "limit": "100", "appsecret_proof": PROOF}
    assert r.sent(0) == posts
    assert r.sent(1) == comments and r.sent(2) == {**comments, "after": "QVFIUmFBQkNEMTI0"}
    assert r.sent(3) == {**posts, "after": "QVFIUnpYb2RfLXh3bFdtQQ"}
    assert r.sent(4) == comments and r.sent(5) == {**comments, "after": "QVFIUmJQcml2YWN5"}
    assert r.sent(6) == posts
    assert all(q.headers["Authorization"] == f"Bearer {TOKEN}" for q in r.api.requests)
    assert all("access_token" not in str(q.url) for q in r.api.requests)

    assert [p.text for p in pages] == [fixture(n) for n in NIGHT_FLOW]  # verbatim
    assert [p.endpoint for p in pages] == [
        "facebook.page.posts", "facebook.post.comments", "facebook.post.comments", "facebook.page.posts",
        "facebook.post.comments", "facebook.post.comments", "facebook.page.tagged"]
    assert [p.records for p in pages] == [2, 2, 1, 1, 0, 1, 2]
    assert pages[0].cursor == {"phase": "feed", "page": {"after": "QVFIUnpYb2RfLXh3bFdtQQ"},
                               "parents": [POST_A]}
    assert pages[1].cursor == {**pages[0].cursor, "child_page": {"after": "QVFIUmFBQkNEMTI0"}}
    assert pages[2].cursor == {"phase": "feed", "page": {"after": "QVFIUnpYb2RfLXh3bFdtQQ"}}
    assert pages[3].cursor == {"phase": "feed", "exhausted": True, "parents": [POST_C]}
    assert pages[4].cursor == {**pages[3].cursor, "child_page": {"after": "QVFIUmJQcml2YWN5"}}
    assert pages[5].cursor == {"phase": "tagged"}
    assert pages[6].cursor is None


def test_recorded_quirks_are_landed_as_they_are():
    pages = rig(*night_flow()).pages()
    a, b = pages[0].body["data"]
    assert "shares" not in a and b["shares"] == {"count": 4}  # nobody shared post A yet
    assert "message" not in b  # a photo-only post
    assert a["reactions"]["summary"]["total_count"] == 131 and a["comments"]["summary"]["total_count"] == 3
    assert a["message"].endswith("💉 #LakemontCares")  # \uXXXX escapes, parsed
    user, reply_ = pages[1].body["data"]
    assert "from" not in user and reply_["from"]["id"] == PAGE_ID
    assert reply_["parent"] == {"id": user["id"]}
    assert pages[4].body == {"data": [], "paging": {"next": pages[4].body["paging"]["next"]}}
    tagged = pages[6].body["data"]
    assert "from" not in tagged[0] and tagged[1]["from"]["name"] == "Riverside Running Club"


def test_pages_record_the_object_and_no_secret():
    r = rig(*night_flow())
    pages = r.pages()
    assert [p.params.get("page_id") or p.params.get("post_id") for p in pages] == [
        PAGE_ID, POST_A, POST_A, PAGE_ID, POST_C, POST_C, PAGE_ID]
    assert pages[1].params == {"post_id": POST_A, "fields": COMMENT_FIELDS, "filter": "stream",
                               "limit": 100}
    for p in pages:
        stored = p.url + json.dumps(p.params) + json.dumps(p.cursor) + json.dumps(p.headers)
        assert "appsecret_proof" not in p.url and "access_token" not in p.url
        assert not any(s in stored for s in (TOKEN, SECRET, PROOF))
    assert pages[0].url.startswith(f"{BASE}/v26.0/{PAGE_ID}/feed?fields=")
    assert all(r.sent(i)["appsecret_proof"] == PROOF for i in range(len(pages)))


def test_without_an_app_secret_no_proof_is_sent():
    r = rig(*night_flow(), credential=TOKEN)
    r.pages()
    assert all("appsecret_proof" not in q.url.params for q in r.api.requests)
    assert all(q.headers["Authorization"] == f"Bearer {TOKEN}" for q in r.api.requests)


def test_resume_from_each_cursor_repeats_no_committed_request():
    full = rig(*night_flow()).pages()
    for k, page in enumerate(full[:-1]):
        cursor = json.loads(json.dumps(page.cursor))  # as the journal stores it
        r = rig(*night_flow()[k + 1:])
        resumed = r.pages(cursor=cursor)
        assert [p.text for p in resumed] == [p.text for p in full[k + 1:]]
        assert [p.cursor for p in resumed] == [p.cursor for p in full[k + 1:]]
        assert len(r.api.requests) == len(full) - k - 1


def test_a_cursor_from_elsewhere_is_refused():
    with pytest.raises(ShardFailed, match="cannot resume"):
        rig().pages(cursor={"next_token": "x"})


def test_an_empty_page_with_next_keeps_paging_and_a_repeated_next_ends_the_edge():
    looping = {"data": [], "paging": {"next": f"{BASE}/v26.0/{PAGE_ID}/posts?after=QVFIUmxvb3A"}}
    r = rig(httpx.Response(200, json=looping), httpx.Response(200, json=looping), reply("tagged_p1.json"))
    pages = r.pages()
    assert r.sent(1)["after"] == "QVFIUmxvb3A"
    assert [p.endpoint for p in pages] == ["facebook.page.posts"] * 2 + ["facebook.page.tagged"]
    assert pages[1].cursor == {"phase": "tagged"}  # the same next again: the edge ends


# -- throttling and usage -------------------------------------------------------------------


@pytest.mark.parametrize(("code", "minutes"), [(4, 1), (17, 2), (32, 3), (613, 4), (80001, 5)])
def test_throttling_waits_the_business_use_case_estimate(code, minutes):
    r = rig(reply(f"error_{code}.json", 400), reply("posts_p2.json"), reply("comments_c_p2.json"),
            reply("tagged_p1.json"))
    pages = r.pages()
    assert [p.records for p in pages] == [1, 1, 2]
    assert len(r.waits) == 1 and minutes * 60 <= r.waits[0] <= minutes * 60 + 0.05
    assert r.connector.stats() == {"requests": 4, "retries": 1, "waited_s": r.waits[0]}


def test_a_throttle_estimate_beyond_max_wait_is_too_long():
    r = rig(reply("error_80001.json", 400), max_wait_s=120)  # 5 minutes asked
    with pytest.raises(RateLimitTooLong, match="asked to wait 300s"):
        r.pages()
    assert r.waits == []


def test_a_throttle_without_an_estimate_backs_off():
    r = rig(httpx.Response(400, content=fixture("error_4.json").encode()), reply("posts_p2.json"),
            reply("comments_c_p2.json"), reply("tagged_p1.json"))
    r.pages()
    assert len(r.waits) == 1 and r.waits[0] <= 1  # the first backoff step


def test_usage_near_the_allowance_pauses_before_the_next_request():
    busy = {"x-app-usage": '{"call_count":96,"total_cputime":10,"total_time":12}'}
    estimate = {"x-business-use-case-usage": json.dumps({PAGE_ID: [
        {"type": "pages", "call_count": 40, "total_cputime": 20, "total_time": 97,
         "estimated_time_to_regain_access": 2}]})}
    r = rig(reply("posts_p2.json", headers=busy), reply("comments_c_p2.json", headers=estimate),
            reply("tagged_p1.json"))
    pages = r.pages()
    assert r.waits == [60.0, 120.0]  # no estimate: a minute; else the estimate
    assert r.connector.stats()["waited_s"] == 180.0
    assert json.loads(pages[0].headers["x-app-usage"])["call_count"] == 96  # kept as evidence


def test_transient_codes_and_server_errors_are_retried():
    r = rig(reply("error_1.json", 400), reply("error_2.json", 400), httpx.Response(503, text=""),
            reply("posts_p2.json"), reply("comments_c_p2.json"), reply("tagged_p1.json"), max_retries=3)
    pages = r.pages()
    assert [p.records for p in pages] == [1, 1, 2]
    assert len(r.waits) == 3 and r.connector.stats()["retries"] == 3


def test_malformed_json_is_kept_as_evidence_then_retried():
    truncated = fixture("posts_p2.json")[:40]
    r = rig(httpx.Response(200, text=truncated), reply("posts_p2.json"), reply("comments_c_p2.json"),
            reply("tagged_p1.json"))
    pages = r.pages()
    assert [(text, meta["endpoint"]) for text, meta in r.malformed] == [(truncated, "facebook.page.posts")]
    assert pages[0].text == fixture("posts_p2.json")


# -- errors that stop ---------------------------------------------------------------------------


def test_an_expired_token_stops_with_auth_failed_after_the_pages_already_yielded():
    r = rig(reply("posts_p1.json"), reply("error_190_463.json", 400))
    got = []
    with pytest.raises(AuthFailed) as failed:
        for page in r.connector.pages(SHARD, None):
            got.append(page)
    message = str(failed.value)
    assert "it expired" in message and "Graph error 190/463" in message
    assert "platforms.facebook.credential_env" in message and "CAREPULSE_" not in message
    assert TOKEN not in message and SECRET not in message
    assert [p.records for p in got] == [2] and got[0].cursor["parents"] == [POST_A]
    assert len(r.api.requests) == 2 and r.waits == []  # never retried


@pytest.mark.parametrize(("responses", "permission"), [
    (["error_10.json"], "pages_read_engagement"),  # named by Graph's message
    (["posts_p2.json", "error_200.json"], "pages_read_user_content"),  # by the edge
], ids=["posts", "comments"])
def test_a_missing_permission_is_named(responses, permission):
    r = rig(*[reply(n, 403 if n.startswith("error") else 200) for n in responses])
    with pytest.raises(AuthFailed, match=f"probably lacks the {permission} permission.*"
                                         "platforms.facebook.credential_env"):
        r.pages()


def test_an_invalid_parameter_fails_the_shard_and_a_refused_proof_the_credential():
    with pytest.raises(ShardFailed, match=r"Graph error 100: \(#100\) Tried accessing nonexisting field"):
        rig(reply("error_100.json", 400)).pages()
    with pytest.raises(AuthFailed, match=r"appsecret_proof was refused.*app secret in the variable named "
                                         r"by platforms\.facebook\.credential_env"):
        rig(reply("error_100_proof.json", 400)).pages()


def test_comments_of_a_post_gone_since_it_was_listed_are_skipped():
    r = rig(reply("posts_p2.json"), reply("error_100_33.json", 400), reply("tagged_p1.json"))
    pages = r.pages()
    assert [p.endpoint for p in pages] == ["facebook.page.posts", "facebook.page.tagged"]
    assert pages[-1].cursor is None


def test_an_empty_token_or_a_mentions_shard_is_refused():
    with pytest.raises(AuthFailed, match="empty"):
        rig(credential=":secret-only").pages()
    with pytest.raises(ShardFailed, match="accounts shard"):
        rig().pages(Shard("facebook", "mentions", "lakemont", SHARD.since, SHARD.until))


# -- nights against the simulator, through the runner ---------------------------------------

SIM_CLOCK = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


def fast_policy() -> RetryPolicy:
    """Real retry logic without real sleeping."""
    return RetryPolicy(max_retries=4, backoff_base_s=0.01, backoff_max_s=0.05, max_wait_s=900,
                       sleep=lambda s: None)


@pytest.fixture(scope="module")
def simulator(loaded_config):
    with SimulatorServer(loaded_config.config, seed=5, mentions_per_night=50, port=0,
                         clock=SIM_CLOCK) as server:
        yield server


@pytest.fixture
def night(simulator, monkeypatch):
    """run(platform, raw, faults=..., credential=...) -> manifest of an extract_night."""
    monkeypatch.setenv("CAREPULSE_SIMULATOR_URL", simulator.url)
    loaded = load_config(CONFIG)
    simulator.reset()

    def run(platform: str, raw: Path, *, faults: list | None = None, credential: str | None = None):
        env = getattr(loaded.config.platforms, platform).credential_env
        monkeypatch.setenv(env, credential or DEMO_CREDENTIALS[platform])
        simulator.faults.replace(FaultPlan.from_json({platform: list(faults or [])}))
        return extract_night(loaded, NIGHT.date, raw, [platform], policy_factory=fast_policy).manifest

    yield run
    simulator.reset()


def pages_of(manifest: dict) -> int:
    return sum(f["kind"] == "page" for f in manifest["files"])


@pytest.mark.parametrize("platform", ["facebook", "instagram"])
def test_an_expired_token_ends_the_night_partial_and_the_next_run_completes_it(night, simulator,
                                                                               tmp_path, platform):
    clean = night(platform, tmp_path / "clean")
    assert clean["status"] == "complete", clean["partial_reasons"]
    items = manifest_items(tmp_path / "clean", clean)
    assert {k.split(":")[1] for k in items} >= {"post" if platform == "facebook" else "media", "comment"}

    raw = tmp_path / "raw"
    first = night(platform, raw, faults=[{"kind": "expired_token", "after": 5}])
    [shard] = first["shards"].values()
    assert first["status"] == "partial" and shard["reason_kind"] == "auth_failed"
    assert f"platforms.{platform}.credential_env" in shard["reason"] and "it expired" in shard["reason"]
    assert pages_of(first) == 5 and shard["resume_cursor"]  # what was landed stays

    simulator.reset()  # a new token
    second = night(platform, raw)
    assert second["status"] == "complete" and second["continues_run"] == first["run_id"]
    assert pages_of(first) + pages_of(second) == pages_of(clean)  # nothing fetched twice
    landed = manifest_items(raw, first) + manifest_items(raw, second)
    assert Counter(landed) == Counter(items)


@pytest.mark.parametrize("fault", [
    {"kind": "rate_limit", "times": 2, "retry_after": 60},
    {"kind": "api_error", "code": 2, "times": 2},
    {"kind": "api_error", "code": 613, "times": 1},
    {"kind": "server_error", "status": 500, "times": 1},
    {"kind": "empty_page_with_cursor", "after": 1, "times": 2},
    {"kind": "duplicate_item", "times": 1},
    {"kind": "malformed", "after": 2, "times": 1},
], ids=lambda f: f"{f['kind']}-{f.get('code', '')}")
def test_transient_faults_lose_nothing(night, tmp_path, fault):
    clean = night("facebook", tmp_path / "clean")
    m = night("facebook", tmp_path / "raw", faults=[fault])
    assert m["status"] == "complete", m["partial_reasons"]
    assert set(manifest_items(tmp_path / "raw", m)) == set(manifest_items(tmp_path / "clean", clean))


def test_the_quota_fault_is_a_throttle_too_long_to_wait(night, tmp_path):
    m = night("facebook", tmp_path / "raw", faults=[{"kind": "quota", "after": 3}])
    [shard] = m["shards"].values()
    assert m["status"] == "partial" and shard["reason_kind"] == "rate_limited"
    assert "asked to wait 86400s" in shard["reason"] and pages_of(m) == 3


@pytest.mark.parametrize("platform", ["facebook", "instagram"])
def test_secrets_never_reach_the_raw_zone_manifests_journals_or_logs(night, simulator, tmp_path,
                                                                     caplog, platform):
    token, secret = f"canary-{platform}-token-Hq83Lw0", f"canary-{platform}-secret-Pz51Vd7"
    proof = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()
    faults = [{"kind": "server_error", "status": 500, "times": 1},
              {"kind": "rate_limit", "after": 2, "times": 1, "retry_after": 60},
              {"kind": "api_error", "code": 1, "after": 4, "times": 1},
              {"kind": "expired_token", "after": 8}]
    install_log_masking()  # as the CLI does: httpx logs every URL it requests, the proof with it
    with caplog.at_level(logging.DEBUG):
        simulator.platforms[platform].app_secrets[token] = secret  # so the proof is checked
        first = night(platform, tmp_path / "raw", faults=faults, credential=f"{token}:{secret}")
        simulator.reset()
        simulator.platforms[platform].app_secrets[token] = secret
        second = night(platform, tmp_path / "raw", credential=f"{token}:{secret}")
    assert first["status"] == "partial" and second["status"] == "complete"
    texts = [caplog.text]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            texts.append((gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", "replace"))
    assert len(texts) > 10
    assert not [s for s in (token, secret) for t in texts if s in t]
    # the proof only ever sits in the verbatim bodies' paging.next, where Graph echoes it
    envelopes = [json.loads(line) for p in tmp_path.rglob("*.jsonl.gz")
                 for line in gzip.decompress(p.read_bytes()).decode().splitlines()]
    assert envelopes and not [e for e in envelopes if proof in json.dumps({**e, "body": None})]
    assert "appsecret_proof=***" in caplog.text and proof not in caplog.text
