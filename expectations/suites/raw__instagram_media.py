"""raw__instagram_media: one row per media in the night's current Instagram pages of our
professional account: its own media (/media, filtered on the shard's window) and media by
others that tag it (/tags, no time filter: only "not after the fetch").

Contract: media id and timestamp present; media_type from the known vocabulary; the comment
count present and non-negative; a like count non-negative where present (it is left out when
the owner hides likes); a tagging media names its account's username.
"""

from __future__ import annotations

from typing import Any

from carepulse.config import LoadedConfig
from expectations.raw_zone import PageContext
from expectations.suites import common as c
from expectations.values import as_int, as_str, dig, iso_utc

NAME = "raw__instagram_media"
PLATFORM = "instagram"
ENTITY = "post"
ENDPOINTS = ("instagram.user.media", "instagram.user.tags")
MEDIA_TYPES = {"IMAGE", "VIDEO", "CAROUSEL_ALBUM"}
COLUMNS = ["media_id", "published_at", "media_type", "is_tagged", "has_username", "like_count",
           "comments_count", "window_start", "window_end"]


def items(endpoint: str, body: Any) -> list[Any]:
    data = dig(body, "data")
    return data if isinstance(data, list) else []


def rows(endpoint: str, body: Any, page: PageContext) -> list[dict[str, Any]]:
    tagged = endpoint == "instagram.user.tags"
    window = c.fetched_window(page) if tagged else c.shard_window(page)
    return [{
        "media_id": as_str(dig(media, "id")),
        "published_at": iso_utc(dig(media, "timestamp")),
        "media_type": as_str(dig(media, "media_type")),
        "is_tagged": tagged,
        "has_username": not tagged or as_str(dig(media, "username")) is not None,
        "like_count": as_int(dig(media, "like_count")),
        "comments_count": as_int(dig(media, "comments_count")),
        **window,
    } for media in items(endpoint, body)]


def staging_keys(endpoint: str, body: Any) -> set[str]:
    """What stg_instagram__posts loads from the page (media with an id)."""
    return c.keyed("instagram:media:", items(endpoint, body))


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("media_id", "published_at", "media_type", "comments_count"),
        c.in_set("media_type", MEDIA_TYPES),
        *c.all_true("has_username"),
        *c.inside_window(),
        *c.non_negative("like_count", "comments_count"),
        c.volume_band(),
    ]
