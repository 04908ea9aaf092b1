"""raw__news_articles: one row per article in the night's current news pages: each feed's
entries (as the connector read them with feedparser) and GDELT's article search per brand.

Contract: every article has a key (the hash of its canonical link, or of its guid or text
when it has no link) and a title; a feed entry's date, where the feed gives one, is not after
the fetch (an undated entry keeps its first night in the warehouse); a GDELT hit has a url,
a domain and a seendate inside GDELT's window and not after the fetch; languages from
GDELT's names or feed codes. ToneChart pages hold tone bins, not articles (not checked here).
"""

from __future__ import annotations

from typing import Any

from carepulse.config import LoadedConfig
from carepulse.urls import article_id
from expectations.raw_zone import PageContext
from expectations.suites import common as c
from expectations.values import as_str, dig, has_text, iso_utc

NAME = "raw__news_articles"
PLATFORM = "news"
ENTITY = "post"
ENDPOINTS = ("news.feed", "news.gdelt.artlist")
COLUMNS = ["article_id", "source", "has_title", "published_at", "has_domain", "window_start", "window_end"]


def items(endpoint: str, body: Any) -> list[Any]:
    listed = dig(body, "entries" if endpoint == "news.feed" else "articles")
    return listed if isinstance(listed, list) else []


def _seendate(value: Any) -> Any:
    text = as_str(value)  # 20261205T141500Z
    if not text or len(text) != 16:
        return None
    return iso_utc(f"{text[0:4]}-{text[4:6]}-{text[6:8]}T{text[9:11]}:{text[11:13]}:{text[13:15]}Z")


def _key(endpoint: str, item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    return as_str(item.get("article_id")) if endpoint == "news.feed" else article_id(as_str(item.get("url")))


def rows(endpoint: str, body: Any, page: PageContext) -> list[dict[str, Any]]:
    feed = endpoint == "news.feed"
    window = c.fetched_window(page)
    return [{
        "article_id": _key(endpoint, item),
        "source": "feed" if feed else "gdelt",
        "has_title": has_text(dig(item, "title")),
        "published_at": iso_utc(dig(item, "published")) if feed else _seendate(dig(item, "seendate")),
        "has_domain": feed or as_str(dig(item, "domain")) is not None,
        **window,
    } for item in items(endpoint, body)]


def staging_keys(endpoint: str, body: Any) -> set[str]:
    """What stg_news__posts loads from the page: one article per key (a feed item and a
    GDELT hit of the same canonical link are one)."""
    return {f"news:article:{k}" for item in items(endpoint, body) if (k := _key(endpoint, item))}


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("article_id"),
        *c.all_true("has_title", "has_domain"),
        *c.inside_window(),
        c.volume_band(),
    ]
