"""YouTube through google-api-python-client (and raw httpx for header/encoding details)."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from extract.simulator.world import FLAG_COMMENTS_OFF, day_number

from .conftest import DAY_END, DAY_START, NIGHT

DAYS_BEFORE = [day_number(NIGHT) - k for k in range(20)]

MENTIONS_Q = ('"Lakemont Health"|"Northgate Medical"|#LakemontHealth|@LakemontHealth '
              '-"Lakemont Realty"')
KEY = {"x-goog-api-key": "test-key"}


@pytest.fixture
def yt(sim):
    return build("youtube", "v3", developerKey="test-key", static_discovery=True,
                 cache_discovery=False, client_options={"api_endpoint": f"{sim.url}/youtube"})


def walk_search(yt, **params) -> tuple[list[dict], list[dict]]:
    pages, items = [], []
    request = yt.search().list(part="snippet", type="video", order="date", maxResults=50,
                               **params)
    while request is not None:
        page = request.execute()
        pages.append(page)
        items += page["items"]
        request = yt.search().list_next(request, page)
    return pages, items


def test_search_pages_to_the_end_without_duplicates(yt):
    pages, items = walk_search(yt, q=MENTIONS_Q, publishedAfter=DAY_START,
                               publishedBefore=DAY_END)
    ids = [i["id"]["videoId"] for i in items]
    assert len(pages) > 1 and len(ids) == len(set(ids))
    assert "nextPageToken" not in pages[-1]
    assert all("nextPageToken" in p and len(p["items"]) == 50 for p in pages[:-1])
    stamps = [i["snippet"]["publishedAt"] for i in items]
    assert stamps == sorted(stamps, reverse=True)
    assert all(DAY_START <= s <= DAY_END for s in stamps)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{11}", i) for i in ids)
    assert all(not re.search(r"Lakemont Realty", i["snippet"]["description"]) for i in items)


def test_search_snippets_are_entity_escaped_and_videos_are_not(yt):
    _, items = walk_search(yt, q="*", publishedAfter=DAY_START, publishedBefore=DAY_END)
    escaped = [i for i in items if re.search(r"&(amp|#39|quot|lt|gt);", i["snippet"]["title"])]
    assert escaped
    raw = yt.videos().list(part="snippet", id=[i["id"]["videoId"] for i in escaped[:50]]).execute()
    titles = {v["snippet"]["title"] for v in raw["items"]}
    assert any(("'" in t or "&" in t or "<" in t) for t in titles)
    assert not any(re.search(r"&(amp|#39);", t) for t in titles)


def test_videos_statistics_are_strings_and_parts_accept_both_encodings(sim, yt, http):
    _, items = walk_search(yt, q=MENTIONS_Q, publishedAfter=DAY_START, publishedBefore=DAY_END)
    ids = [i["id"]["videoId"] for i in items[:50]]
    as_list = yt.videos().list(part=["snippet", "statistics", "contentDetails"], id=ids).execute()
    as_text = yt.videos().list(part="snippet,statistics,contentDetails", id=",".join(ids)).execute()
    assert as_list == as_text and len(as_list["items"]) == len(ids)
    for video in as_list["items"]:
        stats = video["statistics"]
        assert all(isinstance(v, str) and v.isdigit() for v in stats.values())
        assert re.fullmatch(r"PT(\d+M)?(\d+S)?|PT\d+H(\d+M)?(\d+S)?", video["contentDetails"]
                            ["duration"])
    repeated = http.get("/youtube/youtube/v3/videos", headers=KEY,
                        params=[("part", "statistics"), ("part", "id")] + [("id", i) for i in ids])
    assert [v["id"] for v in repeated.json()["items"]] == ids


def test_channels_for_handle_and_by_id(yt, cfg):
    found = yt.channels().list(part="snippet,statistics", forHandle="@LakemontHealth").execute()
    channel = found["items"][0]
    assert channel["snippet"]["customUrl"] == "@lakemonthealth"
    assert channel["snippet"]["title"] == cfg.organisation.name
    assert isinstance(channel["statistics"]["subscriberCount"], str)
    by_id = yt.channels().list(part="snippet", id=channel["id"]).execute()
    assert by_id["items"][0]["id"] == channel["id"]
    missing = yt.channels().list(part="snippet", forHandle="@nobody-here").execute()
    assert missing["pageInfo"]["totalResults"] == 0 and "items" not in missing


def test_owned_videos_comment_threads(yt):
    channel = yt.channels().list(part="id", forHandle="@LakemontHealth").execute()["items"][0]
    _, videos = walk_search(yt, channelId=channel["id"], publishedAfter="2026-11-13T00:00:00Z",
                            publishedBefore=DAY_END)
    assert videos and all(v["snippet"]["channelId"] == channel["id"] for v in videos)
    threads = []
    for video in videos:
        request = yt.commentThreads().list(part="snippet,replies", videoId=video["id"]["videoId"],
                                           maxResults=100)
        while request is not None:
            page = request.execute()
            threads += page["items"]
            request = yt.commentThreads().list_next(request, page)
    assert threads
    top = [t["snippet"]["topLevelComment"]["snippet"] for t in threads]
    assert all(isinstance(s["likeCount"], int) and isinstance(s["authorChannelId"], dict)
               for s in top)
    owner_replies = [c for t in threads for c in t.get("replies", {}).get("comments", [])
                     if c["snippet"]["authorChannelId"]["value"] == channel["id"]]
    assert owner_replies and all(c["snippet"]["parentId"] for c in owner_replies)
    assert any("?" in s["textOriginal"] for s in top)


def test_comment_text_is_html_unless_plain_text_is_asked(sim, yt, http):
    world = sim.world
    now = sim.now_ms()
    video = next(v for d in DAYS_BEFORE for v in world.stream_posts("youtube", d, 1)
                 if any("<3" in t.text and t.ms <= now for t in world.comments(v)))
    vid = world.video_id(video)
    html = http.get("/youtube/youtube/v3/commentThreads", headers=KEY,
                    params={"part": "snippet", "videoId": vid, "maxResults": 100}).json()
    plain = http.get("/youtube/youtube/v3/commentThreads", headers=KEY,
                     params={"part": "snippet", "videoId": vid, "maxResults": 100,
                             "textFormat": "plainText"}).json()
    def top(thread: dict) -> dict:
        return thread["snippet"]["topLevelComment"]["snippet"]

    pairs = [(top(a), top(b)) for a, b in zip(html["items"], plain["items"], strict=True)]
    assert any("&lt;3" in h["textDisplay"] and "<3" in p["textDisplay"] for h, p in pairs)
    assert all(h["textOriginal"] == p["textOriginal"] == p["textDisplay"] for h, p in pairs)


def test_errors_in_google_format(sim, yt, http):
    with pytest.raises(HttpError) as too_many:
        yt.search().list(part="snippet", q="x", maxResults=51).execute()
    assert too_many.value.status_code == 400
    assert too_many.value.error_details[0]["reason"] == "invalidParameter"
    with pytest.raises(HttpError) as bad_token:
        yt.search().list(part="snippet", q="x", pageToken="nope").execute()
    assert bad_token.value.error_details[0]["reason"] == "invalidPageToken"
    no_key = http.get("/youtube/youtube/v3/videos", params={"part": "id", "id": "abc"})
    assert no_key.status_code == 403
    assert no_key.json()["error"]["errors"][0]["reason"] == "forbidden"
    no_part = http.get("/youtube/youtube/v3/videos", headers=KEY, params={"id": "abc"})
    assert no_part.status_code == 400
    assert no_part.json()["error"]["errors"][0]["reason"] == "required"
    disabled = next(v for d in DAYS_BEFORE for v in sim.world.stream_posts("youtube", d, 0)
                    if v.flags & FLAG_COMMENTS_OFF)
    off = http.get("/youtube/youtube/v3/commentThreads", headers=KEY,
                   params={"part": "snippet", "videoId": sim.world.video_id(disabled)})
    assert off.status_code == 403
    assert off.json()["error"]["errors"][0]["reason"] == "commentsDisabled"


def test_quota_is_counted_per_key_with_search_costing_more(sim, http):
    youtube = sim.platforms["youtube"]
    youtube.quota.daily_limit = 250
    try:
        def search(key: str) -> httpx.Response:
            return http.get("/youtube/youtube/v3/search", headers={"x-goog-api-key": key},
                            params={"part": "snippet", "q": "Lakemont"})
        assert search("a").status_code == 200 and search("a").status_code == 200
        exhausted = search("a")
        assert exhausted.status_code == 403
        assert exhausted.json() == EXACT_QUOTA_BODY
        assert exhausted.text == json.dumps(EXACT_QUOTA_BODY, indent=2)
        assert search("b").status_code == 200  # another key has its own quota
        assert http.get("/youtube/youtube/v3/videos", params={"part": "id", "id": "x",
                                                              "key": "a"}).status_code == 200
    finally:
        youtube.quota.daily_limit = 1_000_000


QUOTA_MESSAGE = ("The request cannot be completed because you have exceeded your "
                 '<a href="/youtube/v3/getting-started#quota">quota</a>.')
EXACT_QUOTA_BODY = {"error": {"code": 403, "message": QUOTA_MESSAGE, "errors": [
    {"message": QUOTA_MESSAGE, "domain": "youtube.quota", "reason": "quotaExceeded"}]}}
