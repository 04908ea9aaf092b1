"""The simulated Graph API (Facebook, Instagram): the generator, the `fields` language, and
the wire over HTTP: paging, summaries, absent keys, credentials, errors and usage headers."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from extract.simulator.meta import Field, FieldsError, MetaWorld, parse_fields
from extract.simulator.world import DAY_MS, day_number

from .conftest import CLOCK, NIGHT

PAGE, IG = "104857600000001", "17841400000000001"
FB = {"Authorization": "Bearer demo-fb-page-token"}
INSTA = {"Authorization": "Bearer demo-ig-token"}
POST_FIELDS = ("id,message,created_time,updated_time,permalink_url,from{id,name},status_type,"
               "message_tags,attachments{media_type},shares,reactions.summary(total_count).limit(0),"
               "comments.summary(true).limit(0)")
MEDIA_FIELDS = ("id,caption,media_type,media_product_type,permalink,timestamp,username,like_count,"
                "comments_count")
SINCE = int((CLOCK - timedelta(days=30)).timestamp())
UNTIL = int(CLOCK.timestamp())
GRAPH_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000")
NEEDLES = (re.compile(r"\(555\) 01\d-\d{4}"), re.compile(r"[a-z]+\.[a-z]+\.\d{4}@example\.com"),
           re.compile(r"MRN \d{8}"))


def proof(token: str, secret: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def posts(http: httpx.Client, **params) -> httpx.Response:
    query = {"fields": POST_FIELDS, "since": SINCE, "until": UNTIL, "limit": 100, **params}
    return http.get(f"/facebook/v26.0/{PAGE}/posts", headers=FB, params=query)


def walk(http: httpx.Client, path: str, headers: dict, params: dict | None) -> list[dict]:
    """Every page of an edge, following `paging.next` to its end."""
    pages, response = [], http.get(path, headers=headers, params=params)
    while True:
        assert response.status_code == 200, response.text
        pages.append(response.json())
        link = pages[-1].get("paging", {}).get("next")
        if not link:
            return pages
        response = http.get(link, headers=headers)


def _epoch(stamp: str) -> int:
    return int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def ids(pages: list[dict]) -> list[str]:
    return [item["id"] for page in pages for item in page["data"]]


@pytest.fixture(scope="module")
def meta(cfg) -> MetaWorld:
    return MetaWorld.from_config(cfg, seed=7)


# -- the fields language ------------------------------------------------------------------------


def test_fields_are_parsed_with_subfields_and_modifiers():
    parsed = parse_fields("id, from{id,name},reactions.summary(total_count).limit(0),attachments{media_type}")
    assert [f.name for f in parsed] == ["id", "from", "reactions", "attachments"]
    assert parsed[1].sub == (Field("id"), Field("name"))
    assert parsed[2].mods == (("summary", "total_count"), ("limit", "0"))
    assert parsed[2].summary and parsed[2].limit == 0 and not Field("comments").summary
    assert Field("comments").limit == 25
    for bad in ("a{b", "a.b", "", "a,,b", "a}", "a.limit(1"):
        with pytest.raises(FieldsError):
            parse_fields(bad)


# -- the generator ------------------------------------------------------------------------------


def test_the_generator_is_deterministic_and_sized_per_day(cfg, meta):
    again = MetaWorld.from_config(cfg, seed=7)
    days = range(day_number(NIGHT) - 60, day_number(NIGHT) + 1)
    sizes = {kind: [len(meta.day(kind, d)) for d in days] for kind in
             ("fb_posts", "fb_tagged", "ig_media", "ig_tags")}
    assert [p.id for d in days for p in again.day("fb_posts", d)] == \
        [p.id for d in days for p in meta.day("fb_posts", d)]
    assert set(sizes["fb_posts"]) <= {1, 2, 3} and set(sizes["fb_tagged"]) <= {0, 1, 2, 3}
    assert set(sizes["ig_media"]) <= {1, 2} and set(sizes["ig_tags"]) <= {0, 1, 2}
    fb = [p for d in days for p in meta.day("fb_posts", d)]
    assert any(p.text is None for p in fb) and any(p.shares == 0 for p in fb)
    assert any(p.text and "Lakemont Health" in p.text for p in fb)
    assert any("#Lakemont" in (p.text or "") for p in fb)
    assert max(sum(c.parent is None for c in p.comments) for p in fb) <= 15
    assert any(c.author is None and c.parent for p in fb for c in p.comments)  # the Page answers
    assert any("Lakemont Health" in c.text and c.author for p in fb for c in p.comments)
    tagged = [p for d in days for p in meta.day("fb_tagged", d)]
    assert {p.author.page for p in tagged} == {True, False}
    assert all(p.tags[0][:3] == (PAGE, "Lakemont Health", "page") for p in tagged)
    assert any(t[2] == "user" for p in tagged for t in p.tags)
    media = [p for d in days for p in meta.day("ig_media", d)]
    assert any(m.likes_hidden for m in media) and any(not m.likes_hidden for m in media)
    assert {m.kind for m in media} == {"IMAGE", "VIDEO", "CAROUSEL_ALBUM"}
    assert max(len(m.comments) for m in media) <= 12


def test_phi_needles_are_planted_in_about_one_comment_in_twenty(meta):
    days = [NIGHT - timedelta(days=i) for i in range(90)]
    needles = meta.phi_canaries(days)
    texts = [c.text for d in days for kind in ("fb_posts", "ig_media")
             for p in meta.day(kind, day_number(d)) for c in p.comments if c.author]
    assert 0.02 < len(needles) / len(texts) < 0.1
    assert all(any(n.fullmatch(needle) for n in NEEDLES) for needle in needles)
    assert {i for needle in needles for i, n in enumerate(NEEDLES) if n.fullmatch(needle)} == {0, 1, 2}
    assert all(sum(needle in t for t in texts) >= 1 for needle in needles)
    early = meta.phi_canaries(days, now_ms=day_number(NIGHT - timedelta(days=45)) * DAY_MS)
    assert set(early) < set(needles)


def test_engagement_grows_with_age(meta):
    now = int(CLOCK.timestamp() * 1000)
    recent = [p for d in (day_number(NIGHT), day_number(NIGHT) - 1) for p in meta.day("fb_posts", d)]
    later = now + 3 * DAY_MS
    assert all(meta.reactions(p, later) >= meta.reactions(p, now) for p in recent)
    assert any(meta.reactions(p, later) > meta.reactions(p, now) for p in recent)
    assert any(meta.comment_count(p, later) > meta.comment_count(p, now) for p in recent)
    assert any(meta.updated_ms(p, later) > meta.updated_ms(p, now) for p in recent)


# -- Facebook over HTTP -------------------------------------------------------------------------


def test_posts_carry_summaries_only_when_asked_and_leave_out_what_is_not_there(sim, http):
    response = posts(http)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert "\\/" in response.text and "https://" not in response.text  # Graph escapes every '/'
    data = response.json()["data"]
    assert len(data) > 30 and [d["created_time"] for d in data] == sorted(
        (d["created_time"] for d in data), reverse=True)
    for post in data:
        assert GRAPH_TIME.fullmatch(post["created_time"]) and post["id"].startswith(f"{PAGE}_")
        assert post["reactions"]["data"] == [] and set(post["reactions"]["summary"]) == {
            "total_count", "viewer_reaction"}
        assert set(post["comments"]["summary"]) == {"order", "total_count", "can_comment"}
        assert post["from"] == {"id": PAGE, "name": "Lakemont Health"}
        assert SINCE <= _epoch(post["created_time"]) < UNTIL
    assert any("shares" not in p for p in data) and any(p.get("shares", {}).get("count") for p in data)
    assert any("message" not in p for p in data) and any("message_tags" in p for p in data)
    plain = posts(http, fields="id,reactions,comments{id},from{id}").json()["data"]
    assert all("summary" not in p["reactions"] and "summary" not in p["comments"] for p in plain)
    assert any(p["comments"]["data"] for p in plain) and all(set(p["from"]) == {"id"} for p in plain)
    assert all(set(c) == {"id"} for p in plain for c in p["comments"]["data"])
    assert posts(http, fields="message").json()["data"][0].keys() <= {"message", "id"}


def test_tagged_posts_by_people_have_no_from(sim, http):
    data = posts(http).json()["data"]
    window = {"fields": POST_FIELDS, "since": SINCE, "until": UNTIL, "limit": 100}
    tagged = http.get(f"/facebook/v26.0/{PAGE}/tagged", headers=FB, params=window).json()["data"]
    assert tagged and not {t["id"] for t in tagged} & {d["id"] for d in data}
    assert any("from" not in t for t in tagged) and any("from" in t for t in tagged)
    assert all(t["message_tags"][0]["id"] == PAGE for t in tagged)


def test_paging_follows_next_to_the_end(sim, http):
    whole = ids([posts(http).json()])
    first = posts(http, limit=7, appsecret_proof=proof("demo-fb-page-token", "demo-fb-app-secret"))
    pages = walk(http, str(first.request.url), FB, None)
    assert ids(pages) == whole and len(pages) == -(-len(whole) // 7)
    link = pages[0]["paging"]["next"]
    assert link.startswith(f"{sim.url}/facebook/v26.0/{PAGE}/posts?")
    query = parse_qs(urlsplit(link).query)
    assert query["appsecret_proof"] and query["fields"] == [POST_FIELDS] and query["after"]
    assert set(pages[0]["paging"]["cursors"]) == {"before", "after"}
    assert "next" not in pages[-1]["paging"]


def test_every_third_posts_comments_start_with_an_empty_page_with_next(sim, http):
    params = {"fields": "id,message,created_time,from{id,name},like_count,comment_count,parent{id}",
              "filter": "stream", "limit": 100}
    gaps = 0
    for post_id in ids([posts(http).json()])[:12]:
        pages = walk(http, f"/facebook/v26.0/{post_id}/comments", FB, params)
        if not pages[0]["data"] and "next" in pages[0].get("paging", {}):
            gaps += 1
            assert "cursors" not in pages[0]["paging"]
        for c in (c for p in pages for c in p["data"]):
            assert ("from" in c) == ("parent" in c)  # only the Page's replies name their author
    assert 2 <= gaps <= 8
    top = walk(http, f"/facebook/v26.0/{post_id}/comments", FB, {**params, "filter": "toplevel"})
    assert all("parent" not in c for p in top for c in p["data"])


def test_the_window_limits_posts_and_media_but_not_tags(sim, http):
    week = {"since": UNTIL - 7 * 86400, "until": UNTIL, "limit": 100}
    fb = posts(http, **week).json()["data"]
    assert fb and all(_epoch(p["created_time"]) >= week["since"] for p in fb)
    media = http.get(f"/instagram/v26.0/{IG}/media", headers=INSTA,
                     params={"fields": MEDIA_FIELDS, **week}).json()["data"]
    assert media and all(_epoch(m["timestamp"]) >= week["since"] for m in media)
    tags = http.get(f"/instagram/v26.0/{IG}/tags", headers=INSTA,
                    params={"fields": "id,timestamp,username", **week}).json()["data"]
    assert any(_epoch(t["timestamp"]) < week["since"] for t in tags)  # Instagram ignores it there


def test_instagram_media_and_comments(sim, http):
    window = {"fields": MEDIA_FIELDS, "since": SINCE, "until": UNTIL, "limit": 100}
    media = http.get(f"/instagram/v26.0/{IG}/media", headers=INSTA, params=window).json()["data"]
    assert any("like_count" not in m for m in media) and any("like_count" in m for m in media)
    assert all(m["username"] == "lakemonthealth" and GRAPH_TIME.fullmatch(m["timestamp"]) for m in media)
    assert {m["media_product_type"] for m in media} == {"FEED", "REELS"}
    busy = next(m for m in media if m["comments_count"] > 3)
    pages = walk(http, f"/instagram/v26.0/{busy['id']}/comments", INSTA,
                 {"fields": "id,text,timestamp,from{id,username},like_count"})
    comments = [c for p in pages for c in p["data"]]
    assert len(comments) == busy["comments_count"]
    assert all(set(c) == {"id", "text", "timestamp", "from", "like_count"} for c in comments)
    assert all(set(c["from"]) == {"id", "username"} for c in comments)


# -- credentials and errors ---------------------------------------------------------------------


def _error(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and body["error"]["fbtrace_id"]
    return body["error"]


def test_the_token_as_header_or_parameter_and_the_appsecret_proof(sim, http):
    path = f"/facebook/v26.0/{PAGE}/posts"
    assert http.get(path, headers=FB).status_code == 200
    assert http.get(path, params={"access_token": "any-token"}).status_code == 200
    missing = http.get(path)
    assert missing.status_code == 400 and _error(missing)["code"] == 104
    good = proof("demo-fb-page-token", "demo-fb-app-secret")
    assert http.get(path, headers=FB, params={"appsecret_proof": good}).status_code == 200
    wrong = http.get(path, headers=FB, params={"appsecret_proof": proof("demo-fb-page-token", "other")})
    assert wrong.status_code == 400 and _error(wrong) | {"fbtrace_id": ""} == {
        "message": "Invalid appsecret_proof provided in the API argument", "type": "GraphMethodException",
        "code": 100, "fbtrace_id": ""}
    unknown = {"Authorization": "Bearer some-other-token"}
    assert http.get(path, headers=unknown, params={"appsecret_proof": "ab" * 32}).status_code == 200
    assert http.get(path, headers=unknown, params={"appsecret_proof": "nope"}).status_code == 400
    sim.platforms["facebook"].require_proof = True
    assert _error(http.get(path, headers=FB))["code"] == 100
    sim.platforms["facebook"].token_expired = True
    expired = _error(http.get(path, headers=FB, params={"appsecret_proof": good}))
    assert (expired["code"], expired["error_subcode"]) == (190, 463)
    assert expired["message"].startswith("Error validating access token: Session has expired on")


def test_missing_permissions(sim, http):
    sim.platforms["facebook"].missing_permission = "pages_read_engagement"
    denied = http.get(f"/facebook/v26.0/{PAGE}/posts", headers=FB)
    assert denied.status_code == 403 and _error(denied)["code"] == 10
    assert "'pages_read_engagement'" in _error(denied)["message"]
    assert http.get(f"/facebook/v26.0/{PAGE}/tagged", headers=FB).status_code == 200
    sim.platforms["instagram"].missing_permission = "instagram_manage_comments"
    denied = http.get(f"/instagram/v26.0/{IG}/tags", headers=INSTA)
    assert _error(denied)["message"] == "(#10) Application does not have permission for this action"


@pytest.mark.parametrize(("query", "code"), [
    ({"fields": "id,bogus"}, 100), ({"fields": "id,from{id"}, 2500), ({"limit": 0}, 100),
    ({"limit": 101}, 100), ({"after": "not-a-cursor"}, 100), ({"since": "whenever"}, 100),
])
def test_requests_graph_refuses(sim, http, query, code):
    response = http.get(f"/facebook/v26.0/{PAGE}/posts", headers=FB, params=query)
    assert response.status_code == 400 and _error(response)["code"] == code


def test_unknown_objects_and_edges(sim, http):
    gone = _error(http.get(f"/facebook/v26.0/{PAGE}_122000000000000000/comments", headers=FB))
    assert (gone["code"], gone["error_subcode"], gone["type"]) == (100, 33, "GraphMethodException")
    assert _error(http.get("/facebook/v26.0/1234/posts", headers=FB))["error_subcode"] == 33
    assert _error(http.get(f"/facebook/v26.0/{PAGE}/feedz", headers=FB))["code"] == 2500


@pytest.mark.parametrize(("platform", "path", "headers", "code"), [
    ("facebook", f"/facebook/v26.0/{PAGE}/posts", FB, 80001),
    ("instagram", f"/instagram/v26.0/{IG}/media", INSTA, 80002),
])
def test_throttling_is_a_400_with_the_wait_in_the_usage_header(sim, http, platform, path, headers, code):
    sim.faults.add(platform, {"kind": "rate_limit", "times": 1, "retry_after": 90})
    sim.faults.add(platform, {"kind": "rate_limit", "times": 1, "code": 4})
    sim.faults.add(platform, {"kind": "quota", "after": 2})
    for expected, minutes in ((code, 2), (4, 1)):
        response = http.get(path, headers=headers)
        err = _error(response)
        assert response.status_code == 400 and err["code"] == expected and err["is_transient"] is True
        [entry] = json.loads(response.headers["x-business-use-case-usage"])[sim.platforms[platform].owner_id]
        assert entry["estimated_time_to_regain_access"] == minutes and entry["call_count"] == 100
        assert json.loads(response.headers["x-app-usage"])["call_count"] == 100
    assert [http.get(path, headers=headers).status_code for _ in range(2)] == [200, 200]
    for _ in range(2):  # the day's allowance: spent until reset
        quota = http.get(path, headers=headers)
        assert _error(quota)["code"] == code
        assert "1440" in quota.headers["x-business-use-case-usage"]


def test_api_error_faults_answer_graph_codes(sim, http):
    path = f"/facebook/v26.0/{PAGE}/posts"
    for rule in ({"code": 190, "subcode": 460}, {"code": 10}, {"code": 200}, {"code": 2}, {"code": 1},
                 {"code": 100, "subcode": 33}, {"code": 17}):
        sim.faults.add("facebook", {"kind": "api_error", "times": 1, **rule})
    answers = [_error(http.get(path, headers=FB)) for _ in range(7)]
    assert [(a["code"], a.get("error_subcode")) for a in answers] == [
        (190, 460), (10, None), (200, None), (2, None), (1, None), (100, 33), (17, None)]
    assert "changed their password" in answers[0]["message"]
    assert answers[3]["is_transient"] is True and answers[6]["is_transient"] is True
    assert http.get(path, headers=FB).status_code == 200


def test_server_errors_and_expired_tokens(sim, http):
    path = f"/facebook/v26.0/{PAGE}/posts"
    sim.faults.add("facebook", {"kind": "server_error", "status": 503, "times": 1})
    failed = http.get(path, headers=FB)
    assert failed.status_code == 503 and _error(failed)["code"] == 2
    sim.faults.add("facebook", {"kind": "expired_token", "times": 1})
    assert [_error(http.get(path, headers=FB))["code"] for _ in range(2)] == [190, 190]  # it sticks
    assert http.get(path, headers={"Authorization": "Bearer a-new-token"}).status_code == 200


def test_usage_headers_ride_on_every_response(sim, http):
    ok = http.get(f"/facebook/v26.0/{PAGE}/posts", headers=FB)
    refused = http.get(f"/facebook/v26.0/{PAGE}/posts")
    for response in (ok, refused):
        app = json.loads(response.headers["x-app-usage"])
        assert set(app) == {"call_count", "total_cputime", "total_time"} and 0 <= app["call_count"] <= 100
        [entry] = json.loads(response.headers["x-business-use-case-usage"])[PAGE]
        assert entry["type"] == "pages" and entry["estimated_time_to_regain_access"] == 0
    sim.platforms["instagram"].usage_pct = 97
    busy = http.get(f"/instagram/v26.0/{IG}/media", headers=INSTA)
    assert json.loads(busy.headers["x-app-usage"])["call_count"] == 97
    assert json.loads(busy.headers["x-business-use-case-usage"])[IG][0]["type"] == "instagram"


@pytest.mark.parametrize("kind", ["empty_page_with_cursor", "duplicate_item"])
def test_page_faults_keep_every_item(sim, http, kind):
    path, params = f"/facebook/v26.0/{PAGE}/posts", {"since": SINCE, "until": UNTIL, "limit": 5}
    clean = walk(http, path, FB, params)
    sim.faults.add("facebook", {"kind": kind, "after": 1})
    faulty = walk(http, path, FB, params)
    assert set(ids(faulty)) == set(ids(clean))
    if kind == "empty_page_with_cursor":
        assert faulty[1]["data"] == [] and ids(faulty) == ids(clean)
    else:
        assert faulty[2]["data"][0] == faulty[1]["data"][0] and len(ids(faulty)) == len(ids(clean)) + 1


def test_the_feed_adds_visitors_posts_to_the_pages_own(http):
    query = {"fields": POST_FIELDS, "since": SINCE, "until": UNTIL, "limit": 100}
    feed = [p for page in walk(http, f"/facebook/v26.0/{PAGE}/feed", FB, query) for p in page["data"]]
    own = [p for page in walk(http, f"/facebook/v26.0/{PAGE}/posts", FB, query) for p in page["data"]]
    visitors = [p for p in feed if p["id"] not in {o["id"] for o in own}]
    assert {o["id"] for o in own} < {p["id"] for p in feed} and visitors
    # a person's post on the Page: on its feed (its id is the Page's), without `from`
    assert all(p["id"].startswith(f"{PAGE}_") and "from" not in p for p in visitors)
    assert all(o["from"]["id"] == PAGE for o in own)
    stamps = [_epoch(p["created_time"]) for p in feed]
    assert stamps == sorted(stamps, reverse=True)
