"""raw__youtube_videos: one row per video in the night's current videos.list pages (search.list
only names ids; videos.list carries what staging reads).

Contract: kind youtube#video, an 11-character id, channel, title and publishedAt present;
publishedAt inside the shard's [publishedAfter, publishedBefore] (search filtered on it);
statistics are unsigned-integer strings (likeCount and commentCount may be absent when
hidden or disabled, viewCount never is); liveBroadcastContent from its three values;
duration an ISO-8601 duration (staging parses it to tell Shorts apart).
"""

from __future__ import annotations

from typing import Any

from carepulse.config import LoadedConfig
from expectations.raw_zone import PageContext
from expectations.suites import common as c
from expectations.values import as_str, dig, has_text, iso_utc, uint_string

NAME = "raw__youtube_videos"
PLATFORM = "youtube"
ENTITY = "post"
ENDPOINTS = ("youtube.videos.list",)
STATISTICS = ("viewCount", "likeCount", "commentCount")
LIVE = {"none", "live", "upcoming"}
DURATION = r"^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$"
COLUMNS = ["kind", "video_id", "channel_id", "published_at", "has_title", "live_broadcast_content",
           "duration", "view_count", "like_count", "comment_count", "statistics_are_counts",
           "window_start", "window_end"]


def items(endpoint: str, body: Any) -> list[Any]:
    videos = dig(body, "items")
    return videos if isinstance(videos, list) else []


def _statistics_are_counts(video: Any) -> bool:
    """Every statistic present is a decimal string (absent ones are allowed)."""
    stats = dig(video, "statistics")
    present = [stats[k] for k in STATISTICS if isinstance(stats, dict) and k in stats]
    return isinstance(stats, dict) and all(uint_string(v) is not None for v in present)


def rows(endpoint: str, body: Any, page: PageContext) -> list[dict[str, Any]]:
    window = c.shard_window(page)
    return [{
        "kind": as_str(dig(v, "kind")),
        "video_id": as_str(dig(v, "id")),
        "channel_id": as_str(dig(v, "snippet", "channelId")),
        "published_at": iso_utc(dig(v, "snippet", "publishedAt")),
        "has_title": has_text(dig(v, "snippet", "title")),
        "live_broadcast_content": as_str(dig(v, "snippet", "liveBroadcastContent")),
        "duration": as_str(dig(v, "contentDetails", "duration")),
        "view_count": uint_string(dig(v, "statistics", "viewCount")),
        "like_count": uint_string(dig(v, "statistics", "likeCount")),
        "comment_count": uint_string(dig(v, "statistics", "commentCount")),
        "statistics_are_counts": _statistics_are_counts(v),
        **window,
    } for v in items(endpoint, body)]


def staging_keys(endpoint: str, body: Any) -> set[str]:
    """What stg_youtube__posts loads (base_youtube__videos: videos with an id)."""
    return {f"youtube:video:{dig(v, 'id')}" for v in items(endpoint, body) if as_str(dig(v, "id"))}


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("kind", "video_id", "channel_id", "published_at", "view_count"),
        c.in_set("kind", {"youtube#video"}),
        c.matches("video_id", r"^[A-Za-z0-9_-]{11}$"),
        *c.all_true("has_title", "statistics_are_counts"),
        *c.inside_window(),
        *c.non_negative("view_count", "like_count", "comment_count"),
        c.in_set("live_broadcast_content", LIVE),
        c.matches("duration", DURATION),
        c.volume_band(),
    ]
