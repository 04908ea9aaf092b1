"""Each raw suite passes a page as the platform serves it and fails the defect it exists for.

Frames are built from API page bodies by the dataset modules themselves (the same code
validate_raw uses), so a test also shows which JSON field each expectation reads.
"""

from __future__ import annotations

import copy

import pandas as pd

from expectations import suites
from expectations.raw_zone import LandedFile, ReadPage
from tests.expectations.conftest import failed, frame_of, iso, page

OPEN_BAND = {"volume_min": 0, "volume_max": None}


def module(name):
    return suites.module(name)


# -- X ------------------------------------------------------------------------------------------

USER = {"id": "42", "username": "someone", "verified_type": "none", "public_metrics": {"followers_count": 12}}


def tweet(**changes):
    t = {"id": "2126070178114000028", "text": "Huge thanks to the nurses", "author_id": "42",
         "created_at": iso(3), "lang": "en", "conversation_id": "2126070178114000028",
         "public_metrics": {"retweet_count": 0, "reply_count": 1, "like_count": 2, "quote_count": 0,
                            "bookmark_count": 0, "impression_count": 10}}
    t.update(changes)
    return t


def x_body(tweets, users=(USER,)):
    return {"data": tweets, "includes": {"users": list(users)}, "meta": {"result_count": len(tweets)}}


def test_x_tweets_pass(suite_runner):
    body = x_body([tweet(), tweet(id="2126070178114000029", lang="pt-BR",
                               referenced_tweets=[{"type": "replied_to", "id": "1"}])])
    frame = frame_of(module("raw__x_tweets"), body, page("x", "x.tweets.search.recent"))
    assert suite_runner.failures("raw__x_tweets", frame, OPEN_BAND) == []


def test_x_tweets_fail(suite_runner):
    metrics = dict(tweet()["public_metrics"], like_count=-3)
    bad = [tweet(id=None), tweet(public_metrics=metrics), tweet(created_at=iso(-30)),
           tweet(lang="English please"), tweet(author_id="404"),
           tweet(referenced_tweets=[{"type": "boosted", "id": "1"}])]
    users = [USER, {**USER, "id": "43", "verified_type": "gold"}]
    frame = frame_of(module("raw__x_tweets"), x_body([*bad, tweet(author_id="43")], users),
                     page("x", "x.tweets.search.recent"))
    failures = suite_runner.failures("raw__x_tweets", frame, {"volume_min": 20, "volume_max": 100})
    s = "raw__x_tweets"
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=tweet_id")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=like_count")
    assert failed(failures, s, "expect_column_pair_values_a_to_be_greater_than_b",
                  "column_A=published_at, column_B=window_start")
    assert failed(failures, s, "expect_column_values_to_match_regex", "column=lang")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=author_included")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=author_verified_type")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=reference_type")
    assert failed(failures, s, "expect_table_row_count_to_be_between")
    assert not failed(failures, s, "expect_column_values_to_not_be_null", "column=author_id")


# -- Reddit -------------------------------------------------------------------------------------


def child(**changes):
    data = {"name": "t3_9l5skqiy", "title": "Billed twice", "selftext": "", "created_utc": 1795740516.0,
            "score": 0, "num_comments": 3, "upvote_ratio": 0.52, "author_fullname": "t2_8j7hk3t0"}
    data.update(changes)
    return {"kind": "t3", "data": data}


def reddit_body(children):
    return {"kind": "Listing", "data": {"after": None, "dist": len(children), "children": children}}


def test_reddit_posts_pass(suite_runner):
    # search has no time bounds: a post from weeks before the night is fine
    body = reddit_body([child(), child(name="t3_abc", created_utc=1790000000.0, score=-4, post_hint="image")])
    frame = frame_of(module("raw__reddit_posts"), body, page("reddit", "reddit.search"))
    assert suite_runner.failures("raw__reddit_posts", frame, OPEN_BAND) == []


def test_reddit_posts_fail(suite_runner):
    future = 1795740516.0 + 10 * 86400
    body = reddit_body([child(name=None), {"kind": "t1", "data": child()["data"]}, child(num_comments=-1),
                        child(upvote_ratio=1.5), child(created_utc=future), child(post_hint="hologram")])
    frame = frame_of(module("raw__reddit_posts"), body, page("reddit", "reddit.search"))
    failures = suite_runner.failures("raw__reddit_posts", frame, OPEN_BAND)
    s = "raw__reddit_posts"
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=fullname")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=kind")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=num_comments")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=upvote_ratio")
    assert failed(failures, s, "expect_column_pair_values_a_to_be_greater_than_b",
                  "column_A=window_end, column_B=published_at")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=post_hint")


# -- Mastodon -----------------------------------------------------------------------------------


def status(**changes):
    s = {"id": "117684905410572000", "created_at": iso(21), "content": "<p>5 heart-healthy habits</p>",
         "visibility": "public", "language": "en", "replies_count": 9, "reblogs_count": 1,
         "favourites_count": 11, "reblog": None, "account": {"id": "1000", "followers_count": 126}}
    s.update(changes)
    return s


def test_mastodon_statuses_pass(suite_runner):
    context, mod = page("mastodon", "mastodon.search"), module("raw__mastodon_statuses")
    frames = [frame_of(mod, {"statuses": [status()]}, context, "mastodon.search"),
              frame_of(mod, [status(id="2", visibility="unlisted")], context, "mastodon.timelines.tag")]
    frame = pd.concat(frames, ignore_index=True)
    assert len(frame) == 2
    assert suite_runner.failures("raw__mastodon_statuses", frame, OPEN_BAND) == []


def test_mastodon_statuses_fail(suite_runner):
    body = [status(id=None), status(visibility="circle"), status(favourites_count=-2),
            status(account={"id": None, "followers_count": -1}), status(language="English"),
            status(created_at="yesterday")]
    frame = frame_of(module("raw__mastodon_statuses"), body, page("mastodon", "mastodon.accounts.statuses"),
                     "mastodon.accounts.statuses")
    failures = suite_runner.failures("raw__mastodon_statuses", frame, OPEN_BAND)
    s = "raw__mastodon_statuses"
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=status_id")
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=account_id")
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=published_at")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=visibility")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=favourites_count")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=author_followers")
    assert failed(failures, s, "expect_column_values_to_match_regex", "column=language")


# -- Bluesky ------------------------------------------------------------------------------------


def post(**changes):
    p = {"uri": "at://did:plc:uxmg2xjpuznhgz3vu6wsivvc/app.bsky.feed.post/3n3aofhlpvkka",
         "cid": "bafyrei", "author": {"did": "did:plc:uxmg2xjpuznhgz3vu6wsivvc", "handle": "o.bsky.social"},
         "record": {"$type": "app.bsky.feed.post", "createdAt": iso(22), "langs": ["en"],
                    "text": "how do I book a flu shot?"},
         "likeCount": 0, "repostCount": 0, "replyCount": 0, "quoteCount": 0, "indexedAt": iso(22)}
    p.update(changes)
    return p


def test_bluesky_posts_pass(suite_runner):
    record = dict(post()["record"], embed={"$type": "app.bsky.embed.images", "images": []})
    # indexed just after the window: inside the sort-time slack
    body = {"posts": [post(), post(record=record, indexedAt=iso(24.5))]}
    frame = frame_of(module("raw__bluesky_posts"), body, page("bluesky", "bluesky.feed.searchPosts"))
    assert suite_runner.failures("raw__bluesky_posts", frame, OPEN_BAND) == []


def test_bluesky_posts_fail(suite_runner):
    record = post()["record"]
    body = {"posts": [post(uri=None), post(author={"handle": "x"}), post(likeCount=-1),
                      post(record=dict(record, **{"$type": "app.bsky.feed.like"})),
                      post(record=dict(record, embed={"$type": "app.bsky.embed.hologram"})),
                      post(record={k: v for k, v in record.items() if k != "text"}),
                      post(indexedAt=iso(48))]}
    frame = frame_of(module("raw__bluesky_posts"), body, page("bluesky", "bluesky.feed.searchPosts"))
    failures = suite_runner.failures("raw__bluesky_posts", frame, OPEN_BAND)
    s = "raw__bluesky_posts"
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=uri")
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=author_did")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=like_count")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=record_type")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=embed_type")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=has_text")
    assert failed(failures, s, "expect_column_pair_values_a_to_be_greater_than_b",
                  "column_A=window_end, column_B=published_at")


# -- YouTube videos -----------------------------------------------------------------------------


def video(**changes):
    v = {"kind": "youtube#video", "id": "MMSMb2-nBIE",
         "snippet": {"publishedAt": iso(22.5), "channelId": "UCmU-gIFX06TWmAb012HPdBg", "title": "A visit",
                     "description": "", "liveBroadcastContent": "none"},
         "contentDetails": {"duration": "PT11M39S"},
         "statistics": {"viewCount": "1", "likeCount": "0", "favoriteCount": "0", "commentCount": "4"}}
    v.update(changes)
    return v


def test_youtube_videos_pass(suite_runner):
    hidden_likes = {"viewCount": "10", "favoriteCount": "0", "commentCount": "0"}
    body = {"kind": "youtube#videoListResponse",
            "items": [video(), video(id="bIxvjPT-hqw", statistics=hidden_likes)]}
    frame = frame_of(module("raw__youtube_videos"), body, page("youtube", "youtube.videos.list"))
    assert suite_runner.failures("raw__youtube_videos", frame, OPEN_BAND) == []


def test_youtube_videos_fail(suite_runner):
    snippet = video()["snippet"]
    body = {"items": [video(id=None), video(kind="youtube#playlist"),
                      video(statistics={"viewCount": "-5", "likeCount": "many"}),
                      video(snippet=dict(snippet, publishedAt=iso(-2))),
                      video(snippet=dict(snippet, liveBroadcastContent="premiere")),
                      video(contentDetails={"duration": "11 minutes"})]}
    frame = frame_of(module("raw__youtube_videos"), body, page("youtube", "youtube.videos.list"))
    failures = suite_runner.failures("raw__youtube_videos", frame, OPEN_BAND)
    s = "raw__youtube_videos"
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=video_id")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=kind")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=statistics_are_counts")
    assert failed(failures, s, "expect_column_values_to_not_be_null", "column=view_count")
    assert failed(failures, s, "expect_column_pair_values_a_to_be_greater_than_b",
                  "column_A=published_at, column_B=window_start")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=live_broadcast_content")
    assert failed(failures, s, "expect_column_values_to_match_regex", "column=duration")


# -- YouTube comment threads --------------------------------------------------------------------


def comment(cid, hours, likes=0):
    return {"kind": "youtube#comment", "id": cid,
            "snippet": {"videoId": "7AARJYIY1SE", "textDisplay": "Is this available downtown?",
                        "textOriginal": "Is this available downtown?", "likeCount": likes,
                        "publishedAt": iso(hours), "updatedAt": iso(hours),
                        "authorChannelId": {"value": "UCdwK48Yq8Evk0XPxC3DTLiw"}}}


def thread(tid="UgTHUG13cPPmtNoSX54AaABAg", replies=(), **changes):
    t = {"kind": "youtube#commentThread", "id": tid,
         "snippet": {"videoId": "7AARJYIY1SE", "topLevelComment": comment(tid, 25.5, 197),
                     "totalReplyCount": len(replies), "canReply": True, "isPublic": True}}
    if replies:
        t["replies"] = {"comments": list(replies)}
    t.update(changes)
    return t


def test_youtube_comment_threads_pass(suite_runner):
    # comments arrive after the night (the video was published in it): fine until fetched
    body = {"items": [thread(), thread("UgT8gXEt", replies=[comment("UgT8gXEt.r1", 25.9, 3)])]}
    context = page("youtube", "youtube.commentThreads.list", "accounts")
    frame = frame_of(module("raw__youtube_comment_threads"), body, context)
    assert frame["replies"].tolist() == [0, 1]
    assert suite_runner.failures("raw__youtube_comment_threads", frame, OPEN_BAND) == []


def test_youtube_comment_threads_fail(suite_runner):
    top = comment("UgX", 25.5)
    no_text = copy.deepcopy(top)
    del no_text["snippet"]["textDisplay"], no_text["snippet"]["textOriginal"]
    reply_without_id = dict(comment("UgY.r1", 26), id=None)
    body = {"items": [thread(kind="youtube#playlistItem"), thread(replies=[reply_without_id]),
                      thread("UgZ", replies=[comment("UgZ.r1", 30, likes=-1)]),
                      thread("UgW", snippet=dict(thread()["snippet"], topLevelComment=no_text)),
                      thread("UgV", replies=[comment("UgV.r1", 24 * 9)])]}
    context = page("youtube", "youtube.commentThreads.list", "accounts")
    frame = frame_of(module("raw__youtube_comment_threads"), body, context)
    failures = suite_runner.failures("raw__youtube_comment_threads", frame, OPEN_BAND)
    s = "raw__youtube_comment_threads"
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=kind")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=replies_without_id")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=replies_min_like_count")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=has_text")
    assert failed(failures, s, "expect_column_pair_values_a_to_be_greater_than_b",
                  "column_A=window_end, column_B=replies_last_published")


# -- pages and platforms ------------------------------------------------------------------------


def landed_page(**entry_changes):
    entry = {"path": "platform=x/date=2026-11-26/run=r/mentions-a/page-00001.jsonl.gz", "sha256": "ab",
             "records": 2, "kind": "page", "endpoint": "x.tweets.search.recent", "http_status": 200,
             "shard": "x.mentions.a", "page": 1, "fetched_at": iso(26)}
    entry.update(entry_changes)
    return LandedFile("r", entry, {"platform": "x", "kind": "mentions"}, current=True)


def pages_frame(pages):
    mod = module("raw__pages")
    return pd.DataFrame([mod.row(p, n) for p, n in pages], columns=mod.COLUMNS)


def test_pages_pass(suite_runner):
    ok = ReadPage(landed_page(), found=True, sha256_matches=True, envelope={"body": {}})
    malformed = ReadPage(landed_page(kind="malformed", records=0), True, True, {"body_text": "<html>"})
    not_modified = ReadPage(landed_page(http_status=304, endpoint="news.feed", records=0), True, True,
                            {"body": {}})
    frame = pages_frame([(ok, 2), (malformed, 0), (not_modified, 0)])
    assert suite_runner.failures("raw__pages", frame) == []


def test_pages_fail(suite_runner):
    frame = pages_frame([
        (ReadPage(landed_page(), found=False, sha256_matches=False, envelope=None), 0),
        (ReadPage(landed_page(), found=True, sha256_matches=False, envelope={"body": {}}), 2),
        (ReadPage(landed_page(http_status=206, endpoint="x.tweets.search.all"), True, True, {}), 2),
        (ReadPage(landed_page(records=5), True, True, {"body": {}}), 2),
        (ReadPage(landed_page(http_status=304), True, True, {"body": {}}), 2),  # only a feed may say 304
    ])
    failures = suite_runner.failures("raw__pages", frame)
    s = "raw__pages"
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=file_found")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=sha256_matches")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=http_status_ok")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=endpoint")
    assert failed(failures, s, "expect_column_pair_values_to_be_equal",
                  "column_A=items_found, column_B=records")


def platforms_frame(rows):
    return pd.DataFrame(rows, columns=module("raw__platforms").COLUMNS)


def test_platforms_pass(suite_runner):
    frame = platforms_frame([
        {"platform": "x", "enabled": True, "runs": 1, "pages": 40, "malformed_pages": 2,
         "malformed_ratio": 2 / 42, "status": "complete"},
        {"platform": "reddit", "enabled": True, "runs": 2, "pages": 9, "malformed_pages": 0,
         "malformed_ratio": 0.0, "status": "partial"},
    ])
    assert suite_runner.failures("raw__platforms", frame) == []


def test_platforms_fail(suite_runner):
    row = {"platform": "x", "enabled": True, "runs": 1, "pages": 40, "malformed_pages": 0,
           "malformed_ratio": 0.0, "status": "complete"}
    frame = platforms_frame([
        {**row, "platform": "youtube", "runs": 0, "pages": 0, "status": None},  # never extracted
        {**row, "platform": "reddit", "malformed_pages": 30, "malformed_ratio": 30 / 70},
        {**row, "platform": "myspace"},
    ])
    failures = suite_runner.failures("raw__platforms", frame)
    s = "raw__platforms"
    assert failed(failures, s, "expect_column_values_to_be_between", "column=runs")
    assert failed(failures, s, "expect_column_values_to_be_between", "column=malformed_ratio")
    assert failed(failures, s, "expect_column_values_to_be_in_set", "column=platform")
