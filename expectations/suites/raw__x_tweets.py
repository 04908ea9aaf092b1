"""raw__x_tweets: one row per tweet in the night's current X recent-search pages.

Contract: ids, author and creation time present; text present; created_at inside the
shard's [start_time, end_time] (the API filters on it); public metrics non-negative
integers; the author expanded in includes.users (staging takes followers from there) with
a known verified_type; referenced tweet types and lang codes from the known vocabularies.
"""

from __future__ import annotations

from typing import Any

from carepulse.config import LoadedConfig
from expectations.raw_zone import PageContext
from expectations.suites import common as c
from expectations.values import as_int, as_str, dig, has_text, iso_utc

NAME = "raw__x_tweets"
PLATFORM = "x"
ENTITY = "post"
ENDPOINTS = ("x.tweets.search.recent",)
METRICS = ("like_count", "retweet_count", "reply_count", "quote_count")
VERIFIED_TYPES = {"none", "blue", "business", "government"}
REFERENCE_TYPES = {"replied_to", "quoted", "retweeted"}
COLUMNS = ["tweet_id", "author_id", "published_at", "has_text", "lang", "reference_type",
           *METRICS, "impression_count", "author_included", "author_verified_type",
           "author_followers", "window_start", "window_end"]


def items(endpoint: str, body: Any) -> list[Any]:
    data = dig(body, "data")
    return data if isinstance(data, list) else []


def rows(endpoint: str, body: Any, page: PageContext) -> list[dict[str, Any]]:
    users = {u.get("id"): u for u in dig(body, "includes", "users") or [] if isinstance(u, dict)}
    window = c.shard_window(page)
    out = []
    for tweet in items(endpoint, body):
        author = users.get(dig(tweet, "author_id"))
        refs = dig(tweet, "referenced_tweets")
        out.append({
            "tweet_id": as_str(dig(tweet, "id")),
            "author_id": as_str(dig(tweet, "author_id")),
            "published_at": iso_utc(dig(tweet, "created_at")),
            "has_text": has_text(dig(tweet, "text")),
            "lang": as_str(dig(tweet, "lang")),
            # one type per tweet is enough to see a new vocabulary appear
            "reference_type": as_str(dig(refs, 0, "type")) if isinstance(refs, list) else None,
            **{m: as_int(dig(tweet, "public_metrics", m)) for m in METRICS},
            "impression_count": as_int(dig(tweet, "public_metrics", "impression_count")),
            "author_included": author is not None,
            "author_verified_type": as_str(dig(author, "verified_type")),
            "author_followers": as_int(dig(author, "public_metrics", "followers_count")),
            **window,
        })
    return out


def staging_keys(endpoint: str, body: Any) -> set[str]:
    """What stg_x__posts loads from the page (base_x__posts: tweets with an id)."""
    return {f"x:tweet:{t['id']}" for t in items(endpoint, body) if isinstance(t, dict) and t.get("id")}


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("tweet_id", "author_id", "published_at", *METRICS),
        c.matches("tweet_id", r"^[0-9]+$"),
        *c.all_true("has_text", "author_included"),
        *c.inside_window(),
        *c.non_negative(*METRICS, "impression_count", "author_followers"),
        c.in_set("author_verified_type", VERIFIED_TYPES),
        c.in_set("reference_type", REFERENCE_TYPES),
        c.matches("lang", c.LANGUAGE_TAG),
        c.volume_band(),
    ]
