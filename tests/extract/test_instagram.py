"""Instagram connector: recorded Graph API payloads (fixtures/instagram) through an
httpx.MockTransport. What it shares with Facebook (paging, errors, the credential, nights
through the runner) is covered in test_facebook.py; here is what differs: media and their
comments, /tags read newest first until it reaches back past the window, hidden likes, and
Instagram's own throttle and permission errors."""

from __future__ import annotations

import json

import pytest

from extract.base import Shard
from extract.errors import AuthFailed
from extract.instagram import InstagramConnector
from tests.extract.test_facebook import NIGHT, PROOF, TOKEN, WINDOW, fixture, reply, rig

IG_ID = "17841400000000001"
SHARD = Shard("instagram", "accounts", "lakemont", NIGHT.lookback_start(7), NIGHT.end,
              handles=(IG_ID,), owned=True)
M1, M3 = "179207770114951089", "179207730031515243"
MEDIA_FIELDS = ("id,caption,media_type,media_product_type,permalink,timestamp,username,like_count,"
                "comments_count")
TAG_FIELDS = "id,caption,media_type,permalink,timestamp,username,like_count,comments_count"
COMMENT_FIELDS = "id,text,timestamp,from{id,username},like_count"
FLOW = ("media_p1.json", "comments_m1.json", "media_p2.json", "comments_m3.json", "tags_p1.json",
        "tags_p2.json")


def ig(name: str, status: int = 200):
    return reply(name, status, platform="instagram")


def ig_rig(*responses, **kw):
    return rig(*responses, cls=InstagramConnector, platform="instagram", page_size=50, **kw)


def flow():
    return [ig(name) for name in FLOW]


def test_media_then_their_comments_then_tags_until_past_the_window():
    r = ig_rig(*flow())
    pages = r.pages(SHARD)
    v = "/v26.0"
    assert r.paths() == [f"{v}/{IG_ID}/media", f"{v}/{M1}/comments", f"{v}/{IG_ID}/media",
                         f"{v}/{M3}/comments", f"{v}/{IG_ID}/tags", f"{v}/{IG_ID}/tags"]
    media = {"fields": MEDIA_FIELDS, **WINDOW, "limit": "50", "appsecret_proof": PROOF}
    assert r.sent(0) == media and r.sent(2) == {**media, "after": "QVFIUk1lZGlhMg"}
    assert r.sent(1) == {"fields": COMMENT_FIELDS, "limit": "50", "appsecret_proof": PROOF}
    assert r.sent(4) == {"fields": TAG_FIELDS, "limit": "50", "appsecret_proof": PROOF}  # no window
    assert r.sent(5)["after"] == "QVFIUlRhZ3My"
    assert all(q.headers["Authorization"] == f"Bearer {TOKEN}" for q in r.api.requests)

    assert [p.text for p in pages] == [fixture(n, "instagram") for n in FLOW]
    assert [p.endpoint for p in pages] == [
        "instagram.user.media", "instagram.media.comments", "instagram.user.media",
        "instagram.media.comments", "instagram.user.tags", "instagram.user.tags"]
    assert [p.records for p in pages] == [2, 2, 1, 1, 2, 2]
    assert [p.params.get("ig_user_id") or p.params.get("media_id") for p in pages] == [
        IG_ID, M1, IG_ID, M3, IG_ID, IG_ID]
    assert [p.cursor for p in pages] == [
        {"phase": "media", "page": {"after": "QVFIUk1lZGlhMg"}, "parents": [M1]},
        {"phase": "media", "page": {"after": "QVFIUk1lZGlhMg"}},
        {"phase": "media", "exhausted": True, "parents": [M3]},
        {"phase": "tags"},
        {"phase": "tags", "page": {"after": "QVFIUlRhZ3My"}},
        None,  # tags_p2 reaches back past since: its `next` is not followed
    ]


def test_hidden_likes_and_missing_captions_are_landed_as_they_are():
    pages = ig_rig(*flow()).pages(SHARD)
    m1, m2 = pages[0].body["data"]
    assert m1["like_count"] == 46 and "like_count" not in m2 and m2["comments_count"] == 0
    assert "caption" not in pages[2].body["data"][0]
    assert pages[1].body["data"][0]["from"] == {"id": "17841450912345678", "username": "grace.kim"}
    assert all("appsecret_proof" not in p.url and PROOF not in json.dumps(p.params) for p in pages)


def test_resume_from_each_cursor_repeats_no_committed_request():
    full = ig_rig(*flow()).pages(SHARD)
    for k, page in enumerate(full[:-1]):
        r = ig_rig(*flow()[k + 1:])
        resumed = r.pages(SHARD, json.loads(json.dumps(page.cursor)))
        assert [p.text for p in resumed] == [p.text for p in full[k + 1:]]
        assert len(r.api.requests) == len(full) - k - 1


def test_instagram_throttling_waits_its_estimate():
    r = ig_rig(ig("error_80002.json", 400), *flow())
    pages = r.pages(SHARD)
    assert len(pages) == len(FLOW) and len(r.waits) == 1 and 420 <= r.waits[0] <= 420.05


def test_a_changed_password_stops_the_source():
    r = ig_rig(ig("media_p1.json"), ig("error_190_460.json", 400))
    with pytest.raises(AuthFailed, match=r"the password was changed; Graph error 190/460.*"
                                         "platforms.instagram.credential_env"):
        r.pages(SHARD)


def test_a_permission_error_without_a_name_names_the_edges():
    r = ig_rig(ig("media_p1.json"), ig("error_10.json", 403))
    with pytest.raises(AuthFailed, match="probably lacks the instagram_manage_comments permission"):
        r.pages(SHARD)
