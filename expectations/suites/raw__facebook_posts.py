"""raw__facebook_posts: one row per post in the night's current Facebook pages of our Page:
its feed (/feed: its own posts and visitors' posts on it, filtered on the shard's window by
since/until) and posts by others that tag it (/tagged, also filtered by since/until).

Contract: ids `<page or author id>_<post id>`; created_time present; the reactions and
comments summaries present (they come only when the request asks `.summary(true)`: a missing
one means the fields lost their modifier and engagement would read as zero); counts
non-negative. (`from` is absent on a person's post, whichever edge it came from.)
"""

from __future__ import annotations

from typing import Any

from carepulse.config import LoadedConfig
from expectations.raw_zone import PageContext
from expectations.suites import common as c
from expectations.values import as_int, as_str, dig, has_text, iso_utc

NAME = "raw__facebook_posts"
PLATFORM = "facebook"
ENTITY = "post"
ENDPOINTS = ("facebook.page.posts", "facebook.page.tagged")
COLUMNS = ["post_id", "published_at", "has_text", "is_tagged", "has_author", "reaction_count",
           "comment_count", "share_count", "window_start", "window_end"]


def items(endpoint: str, body: Any) -> list[Any]:
    data = dig(body, "data")
    return data if isinstance(data, list) else []


def rows(endpoint: str, body: Any, page: PageContext) -> list[dict[str, Any]]:
    tagged = endpoint == "facebook.page.tagged"
    window = c.shard_window(page)
    return [{
        "post_id": as_str(dig(post, "id")),
        "published_at": iso_utc(dig(post, "created_time")),
        "has_text": has_text(dig(post, "message")),
        "is_tagged": tagged,
        "has_author": as_str(dig(post, "from", "id")) is not None,
        "reaction_count": as_int(dig(post, "reactions", "summary", "total_count")),
        "comment_count": as_int(dig(post, "comments", "summary", "total_count")),
        "share_count": as_int(dig(post, "shares", "count")),  # absent when 0
        **window,
    } for post in items(endpoint, body)]


def staging_keys(endpoint: str, body: Any) -> set[str]:
    """What stg_facebook__posts loads from the page (posts with an id)."""
    return c.keyed("facebook:post:", items(endpoint, body))


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("post_id", "published_at", "reaction_count", "comment_count"),
        c.matches("post_id", r"^[0-9]+_[0-9]+$"),
        *c.inside_window(),
        *c.non_negative("reaction_count", "comment_count", "share_count"),
        c.volume_band(),
    ]
