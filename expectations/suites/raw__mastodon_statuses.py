"""raw__mastodon_statuses: one row per status in the night's current Mastodon pages
(v2 search, tag timelines, account statuses).

Contract: id, account id, creation time and content present; created no later than the
fetch (Mastodon search and timelines have no time bounds: the connector pages newest-first
past the shard's start, so older statuses are expected); counts and author followers
non-negative; visibility from Mastodon's four values; language a BCP 47 code.
"""

from __future__ import annotations

from typing import Any

from carepulse.config import LoadedConfig
from expectations.raw_zone import PageContext
from expectations.suites import common as c
from expectations.values import as_int, as_str, dig, has_text, iso_utc

NAME = "raw__mastodon_statuses"
PLATFORM = "mastodon"
ENTITY = "post"
ENDPOINTS = ("mastodon.search", "mastodon.timelines.tag", "mastodon.accounts.statuses")
COUNTS = ("favourites_count", "reblogs_count", "replies_count")
VISIBILITY = {"public", "unlisted", "private", "direct"}
COLUMNS = ["status_id", "account_id", "published_at", "has_content", "visibility", "language",
           "is_boost", *COUNTS, "author_followers", "window_start", "window_end"]


def items(endpoint: str, body: Any) -> list[Any]:
    statuses = dig(body, "statuses") if endpoint == "mastodon.search" else body
    return statuses if isinstance(statuses, list) else []


def rows(endpoint: str, body: Any, page: PageContext) -> list[dict[str, Any]]:
    window = c.fetched_window(page)
    return [{
        "status_id": as_str(dig(s, "id")),
        "account_id": as_str(dig(s, "account", "id")),
        "published_at": iso_utc(dig(s, "created_at")),
        "has_content": has_text(dig(s, "content")),
        "visibility": as_str(dig(s, "visibility")),
        "language": as_str(dig(s, "language")),
        "is_boost": dig(s, "reblog", "id") is not None,
        **{k: as_int(dig(s, k)) for k in COUNTS},
        "author_followers": as_int(dig(s, "account", "followers_count")),
        **window,
    } for s in items(endpoint, body)]


def staging_keys(endpoint: str, body: Any) -> set[str]:
    """What stg_mastodon__posts loads (base_mastodon__posts: statuses with an id, boosts left out)."""
    return {f"mastodon:status:{dig(s, 'id')}" for s in items(endpoint, body)
            if as_str(dig(s, "id")) and dig(s, "reblog", "id") is None}


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("status_id", "account_id", "published_at", "visibility", *COUNTS),
        *c.all_true("has_content"),
        *c.inside_window(),
        *c.non_negative(*COUNTS, "author_followers"),
        c.in_set("visibility", VISIBILITY),
        c.matches("language", c.LANGUAGE_TAG),
        c.volume_band(),
    ]
