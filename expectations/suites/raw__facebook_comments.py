"""raw__facebook_comments: one row per comment in the night's current Facebook comment pages
(/{post-id}/comments with filter=stream, so replies come with their parent), on posts of
our Page published inside the shard's window.

Contract: comment id and created_time present; the post the page was requested for named
in the request parameters (staging attaches the comment to it); published after the window
opened and not after the fetch; like and reply counts non-negative.
"""

from __future__ import annotations

from typing import Any

from carepulse.config import LoadedConfig
from expectations.raw_zone import PageContext
from expectations.suites import common as c
from expectations.values import as_int, as_str, dig, iso_utc

NAME = "raw__facebook_comments"
PLATFORM = "facebook"
ENTITY = "comment"
ENDPOINTS = ("facebook.post.comments",)
COLUMNS = ["comment_id", "published_at", "is_reply", "like_count", "reply_count",
           "window_start", "window_end"]


def items(endpoint: str, body: Any) -> list[Any]:
    data = dig(body, "data")
    return data if isinstance(data, list) else []


def rows(endpoint: str, body: Any, page: PageContext) -> list[dict[str, Any]]:
    window = c.fetched_window(page, since=True)
    return [{
        "comment_id": as_str(dig(comment, "id")),
        "published_at": iso_utc(dig(comment, "created_time")),
        "is_reply": as_str(dig(comment, "parent", "id")) is not None,
        "like_count": as_int(dig(comment, "like_count")),
        "reply_count": as_int(dig(comment, "comment_count")),
        **window,
    } for comment in items(endpoint, body)]


def staging_keys(endpoint: str, body: Any) -> set[str]:
    """What stg_facebook__comments loads from the page (comments with an id)."""
    return c.keyed("facebook:comment:", items(endpoint, body))


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("comment_id", "published_at"),
        *c.inside_window(),
        *c.non_negative("like_count", "reply_count"),
        c.volume_band(),
    ]
