"""raw__bluesky_posts: one row per post in the night's current Bluesky searchPosts pages.

Contract: at-uri, author DID, record text and indexedAt present; the record a feed post;
indexedAt (staging's publication time) inside the shard's [since, until] give or take
SORT_SLACK (the API filters on its sort time, which can lean on the client's createdAt);
counts non-negative; the embed type from the known lexicon (it decides the content type);
the first language a BCP 47 code.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from carepulse.config import LoadedConfig
from expectations.raw_zone import PageContext
from expectations.suites import common as c
from expectations.values import as_int, as_str, dig, has_text, iso_utc

NAME = "raw__bluesky_posts"
PLATFORM = "bluesky"
ENTITY = "post"
ENDPOINTS = ("bluesky.feed.searchPosts",)
COUNTS = ("like_count", "repost_count", "reply_count", "quote_count")
SORT_SLACK = timedelta(hours=6)
EMBED_TYPES = {"app.bsky.embed.images", "app.bsky.embed.video", "app.bsky.embed.external",
               "app.bsky.embed.record", "app.bsky.embed.recordWithMedia"}
URI = r"^at://did:[a-z0-9]+:[^/]+/app\.bsky\.feed\.post/[^/]+$"
COLUMNS = ["uri", "author_did", "published_at", "record_type", "has_text", "embed_type", "lang",
           *COUNTS, "window_start", "window_end"]


def items(endpoint: str, body: Any) -> list[Any]:
    posts = dig(body, "posts")
    return posts if isinstance(posts, list) else []


def rows(endpoint: str, body: Any, page: PageContext) -> list[dict[str, Any]]:
    window = c.shard_window(page, pad=SORT_SLACK)
    return [{
        "uri": as_str(dig(p, "uri")),
        "author_did": as_str(dig(p, "author", "did")),
        "published_at": iso_utc(dig(p, "indexedAt")),
        "record_type": as_str(dig(p, "record", "$type")),
        "has_text": has_text(dig(p, "record", "text")),
        "embed_type": as_str(dig(p, "record", "embed", "$type")),
        "lang": as_str(dig(p, "record", "langs", 0)),
        "like_count": as_int(dig(p, "likeCount")),
        "repost_count": as_int(dig(p, "repostCount")),
        "reply_count": as_int(dig(p, "replyCount")),
        "quote_count": as_int(dig(p, "quoteCount")),
        **window,
    } for p in items(endpoint, body)]


def staging_keys(endpoint: str, body: Any) -> set[str]:
    """Posts stg_bluesky__posts loads (uri and author DID present), by uri: staging keys them
    by the author's pseudonym instead, one to one, so the counts compare."""
    return {dig(p, "uri") for p in items(endpoint, body)
            if as_str(dig(p, "uri")) and as_str(dig(p, "author", "did"))}


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("uri", "author_did", "published_at", "record_type", *COUNTS),
        c.matches("uri", URI),
        c.in_set("record_type", {"app.bsky.feed.post"}),
        *c.all_true("has_text"),
        *c.inside_window(),
        *c.non_negative(*COUNTS),
        c.in_set("embed_type", EMBED_TYPES),
        c.matches("lang", c.LANGUAGE_TAG),
        c.volume_band(),
    ]
