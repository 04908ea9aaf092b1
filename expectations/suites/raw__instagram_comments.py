"""raw__instagram_comments: one row per comment in the night's current Instagram comment
pages (/{media-id}/comments) on media of our account published inside the shard's window.

Contract: comment id and timestamp present; the commenter's id present (staging keys the
author by it); published after the window opened and not after the fetch; likes
non-negative.
"""

from __future__ import annotations

from typing import Any

from carepulse.config import LoadedConfig
from expectations.raw_zone import PageContext
from expectations.suites import common as c
from expectations.values import as_int, as_str, dig, iso_utc

NAME = "raw__instagram_comments"
PLATFORM = "instagram"
ENTITY = "comment"
ENDPOINTS = ("instagram.media.comments",)
COLUMNS = ["comment_id", "author_id", "published_at", "like_count", "window_start", "window_end"]


def items(endpoint: str, body: Any) -> list[Any]:
    data = dig(body, "data")
    return data if isinstance(data, list) else []


def rows(endpoint: str, body: Any, page: PageContext) -> list[dict[str, Any]]:
    window = c.fetched_window(page, since=True)
    return [{
        "comment_id": as_str(dig(comment, "id")),
        "author_id": as_str(dig(comment, "from", "id")),
        "published_at": iso_utc(dig(comment, "timestamp")),
        "like_count": as_int(dig(comment, "like_count")),
        **window,
    } for comment in items(endpoint, body)]


def staging_keys(endpoint: str, body: Any) -> set[str]:
    """What stg_instagram__comments loads from the page (comments with an id)."""
    return c.keyed("instagram:comment:", items(endpoint, body))


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("comment_id", "author_id", "published_at"),
        *c.inside_window(),
        *c.non_negative("like_count"),
        c.volume_band(),
    ]
