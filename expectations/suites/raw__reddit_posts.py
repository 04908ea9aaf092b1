"""raw__reddit_posts: one row per listing child in the night's current Reddit search pages.

Contract: every child is a link (kind t3, the only kind staging reads) with a fullname
(t3_...), a title and a creation time no later than the fetch (search has no time bounds:
the connector pages newest-first past the shard's start, so older posts are expected);
comment counts non-negative, upvote ratio a fraction; post_hint from the known vocabulary
(it decides the content type). Scores may be negative on Reddit and are only required.
"""

from __future__ import annotations

from typing import Any

from carepulse.config import LoadedConfig
from expectations.raw_zone import PageContext
from expectations.suites import common as c
from expectations.values import as_float, as_int, as_str, dig, epoch_utc, has_text

NAME = "raw__reddit_posts"
PLATFORM = "reddit"
ENTITY = "post"
ENDPOINTS = ("reddit.search",)
POST_HINTS = {"self", "link", "image", "hosted:video", "rich:video", "gallery"}
COLUMNS = ["kind", "fullname", "published_at", "has_title", "score", "num_comments", "upvote_ratio",
           "post_hint", "listing_kind", "window_start", "window_end"]


def items(endpoint: str, body: Any) -> list[Any]:
    children = dig(body, "data", "children")
    return children if isinstance(children, list) else []


def rows(endpoint: str, body: Any, page: PageContext) -> list[dict[str, Any]]:
    window = c.fetched_window(page)
    listing = as_str(dig(body, "kind"))
    return [{
        "kind": as_str(dig(child, "kind")),
        "fullname": as_str(dig(child, "data", "name")),
        "published_at": epoch_utc(dig(child, "data", "created_utc")),
        "has_title": has_text(dig(child, "data", "title")),
        "score": as_int(dig(child, "data", "score")),
        "num_comments": as_int(dig(child, "data", "num_comments")),
        "upvote_ratio": as_float(dig(child, "data", "upvote_ratio")),
        "post_hint": as_str(dig(child, "data", "post_hint")),
        "listing_kind": listing,
        **window,
    } for child in items(endpoint, body)]


def staging_keys(endpoint: str, body: Any) -> set[str]:
    """What stg_reddit__posts loads (base_reddit__posts: t3 children with a fullname)."""
    return {f"reddit:post:{dig(ch, 'data', 'name')}" for ch in items(endpoint, body)
            if dig(ch, "kind") == "t3" and as_str(dig(ch, "data", "name"))}


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("kind", "fullname", "published_at", "score", "num_comments"),
        c.in_set("kind", {"t3"}),
        c.in_set("listing_kind", {"Listing"}),
        c.matches("fullname", r"^t3_[0-9a-z]+$"),
        *c.all_true("has_title"),
        *c.inside_window(),
        *c.non_negative("num_comments"),
        c.between("upvote_ratio", 0, 1),
        c.in_set("post_hint", POST_HINTS),
        c.volume_band(),
    ]
