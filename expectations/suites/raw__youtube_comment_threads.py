"""raw__youtube_comment_threads: one row per comment thread in the night's current
commentThreads.list pages (the organisation's own videos), with its embedded replies
summarised on the same row (the thread is the unit the API pages and the manifest counts).

Contract: kinds youtube#commentThread / youtube#comment; thread, video and top-level
comment ids present, and every embedded reply has an id; the top-level comment's text and
publishedAt present; comments (and replies) published after the shard's window opened (the
videos were published inside it) and no later than the fetch; like and reply counts
non-negative.
"""

from __future__ import annotations

from typing import Any

from carepulse.config import LoadedConfig
from expectations.raw_zone import PageContext
from expectations.suites import common as c
from expectations.values import as_int, as_str, dig, has_text, iso_utc

NAME = "raw__youtube_comment_threads"
PLATFORM = "youtube"
ENTITY = "comment"
ENDPOINTS = ("youtube.commentThreads.list",)
COLUMNS = ["kind", "thread_id", "video_id", "comment_kind", "comment_id", "published_at", "has_text",
           "like_count", "total_reply_count", "replies", "replies_without_id", "replies_min_like_count",
           "replies_first_published", "replies_last_published", "window_start", "window_end"]


def items(endpoint: str, body: Any) -> list[Any]:
    threads = dig(body, "items")
    return threads if isinstance(threads, list) else []


def _replies(thread: Any) -> list[Any]:
    replies = dig(thread, "replies", "comments")
    return replies if isinstance(replies, list) else []


def _row(thread: Any, window: dict) -> dict[str, Any]:
    top = dig(thread, "snippet", "topLevelComment")
    replies = _replies(thread)
    reply_times = [t for r in replies if (t := iso_utc(dig(r, "snippet", "publishedAt")))]
    reply_likes = [n for r in replies if (n := as_int(dig(r, "snippet", "likeCount"))) is not None]
    return {
        "kind": as_str(dig(thread, "kind")),
        "thread_id": as_str(dig(thread, "id")),
        "video_id": as_str(dig(thread, "snippet", "videoId")),
        "comment_kind": as_str(dig(top, "kind")),
        "comment_id": as_str(dig(top, "id")),
        "published_at": iso_utc(dig(top, "snippet", "publishedAt")),
        "has_text": has_text(dig(top, "snippet", "textDisplay"))
        or has_text(dig(top, "snippet", "textOriginal")),
        "like_count": as_int(dig(top, "snippet", "likeCount")),
        "total_reply_count": as_int(dig(thread, "snippet", "totalReplyCount")),
        "replies": len(replies),
        "replies_without_id": sum(as_str(dig(r, "id")) is None for r in replies),
        "replies_min_like_count": min(reply_likes, default=None),
        "replies_first_published": min(reply_times, default=None),
        "replies_last_published": max(reply_times, default=None),
        **window,
    }


def rows(endpoint: str, body: Any, page: PageContext) -> list[dict[str, Any]]:
    window = c.fetched_window(page, since=True)
    return [_row(thread, window) for thread in items(endpoint, body)]


def staging_keys(endpoint: str, body: Any) -> set[str]:
    """Comments stg_youtube__comments loads: each thread's top-level comment and its replies."""
    keys = set()
    for thread in items(endpoint, body):
        comments = [dig(thread, "snippet", "topLevelComment"), *_replies(thread)]
        keys.update(f"youtube:comment:{dig(x, 'id')}" for x in comments if as_str(dig(x, "id")))
    return keys


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("kind", "thread_id", "video_id", "comment_kind", "comment_id", "published_at"),
        c.in_set("kind", {"youtube#commentThread"}),
        c.in_set("comment_kind", {"youtube#comment"}),
        *c.all_true("has_text"),
        c.between("replies_without_id", 0, 0),
        *c.inside_window("published_at"),
        *c.inside_window("replies_first_published"),
        *c.inside_window("replies_last_published"),
        *c.non_negative("like_count", "total_reply_count", "replies_min_like_count"),
        c.volume_band(),
    ]
