"""The items inside a page, per endpoint: where the body holds them and their natural keys.

The one home of the rule: the connectors count a page's records with it (Page.from_fetched),
the raw gate checks landed pages against it, tests and the benchmark compare what landed by
its keys, auditors find the page an item came from. The warehouse's staging models apply the
same keys when deduplicating.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _at(*path: str) -> Callable[[Any], list]:
    """The list at `path` in a body (the body itself for no path); [] when it is not a list."""
    def listed(body: Any) -> list:
        for key in path:
            body = body.get(key) if isinstance(body, dict) else None
        return body if isinstance(body, list) else []
    return listed


def _object_at(*path: str) -> Callable[[Any], list]:
    """The one object at `path` in a body, as a list of one; [] when it is not an object."""
    def listed(body: Any) -> list:
        for key in path:
            body = body.get(key) if isinstance(body, dict) else None
        return [body] if isinstance(body, dict) else []
    return listed


def _key(prefix: str, *path: str, required: Callable[[Any], bool] = lambda v: v is not None,
         ) -> Callable[[Any], str | None]:
    """`prefix:<value at path>` of one item; None when the item has no usable value there."""
    def key(item: Any) -> str | None:
        for step in path:
            item = item.get(step) if isinstance(item, dict) else None
        return f"{prefix}:{item}" if required(item) else None
    return key


@dataclass(frozen=True)
class Endpoint:
    items: Callable[[Any], list]  # where a page's body holds its items
    key: Callable[[Any], str | None]  # an item's natural key (without the platform)


ENDPOINTS: dict[str, Endpoint] = {
    "youtube.search.list": Endpoint(_at("items"), _key("video", "id", "videoId", required=bool)),
    "youtube.videos.list": Endpoint(_at("items"), _key("video", "id")),
    "youtube.channels.list": Endpoint(_at("items"), _key("channel", "id")),
    "youtube.commentThreads.list": Endpoint(_at("items"), _key("thread", "id")),
    "reddit.search": Endpoint(_at("data", "children"), _key("post", "data", "name", required=bool)),
    "reddit.user.about": Endpoint(_object_at("data"), _key("user", "name", required=bool)),
    "mastodon.timelines.tag": Endpoint(_at(), _key("status", "id", required=bool)),
    "mastodon.accounts.statuses": Endpoint(_at(), _key("status", "id", required=bool)),
    "mastodon.search": Endpoint(_at("statuses"), _key("status", "id")),
    "mastodon.accounts.lookup": Endpoint(_object_at(), _key("account", "id", required=bool)),
    "bluesky.feed.searchPosts": Endpoint(_at("posts"), _key("post", "uri")),
    "bluesky.actor.getProfiles": Endpoint(_at("profiles"), _key("profile", "did")),
    "x.tweets.search.recent": Endpoint(_at("data"), _key("tweet", "id")),
    "facebook.page.posts": Endpoint(_at("data"), _key("post", "id")),
    "facebook.page.tagged": Endpoint(_at("data"), _key("post", "id")),
    "facebook.post.comments": Endpoint(_at("data"), _key("comment", "id")),
    "instagram.user.media": Endpoint(_at("data"), _key("media", "id")),
    "instagram.user.tags": Endpoint(_at("data"), _key("media", "id")),
    "instagram.media.comments": Endpoint(_at("data"), _key("comment", "id")),
    # a feed page's body is the feed as feedparser read it (extract/news.py); an item's key is
    # the hash of its canonical link, which the connector writes beside what the feed said
    "news.feed": Endpoint(_at("entries"), _key("article", "article_id", required=bool)),
    "news.gdelt.artlist": Endpoint(_at("articles"), _key("url", "url", required=bool)),
    "news.gdelt.tonechart": Endpoint(_at("tonechart"), _key("bin", "bin")),
    "gbp.reviews.list": Endpoint(_at("reviews"), _key("review", "reviewId")),
}


def listed(endpoint: str, body: Any) -> list:
    """The items a page of `endpoint` holds ([] for an endpoint no extractor has)."""
    known = ENDPOINTS.get(endpoint)
    return known.items(body) if known else []


def count(endpoint: str, body: Any) -> int:
    """A page's record count: the connectors write it to the manifest, the raw gate checks it."""
    return len(listed(endpoint, body))


def _keys(endpoint: str) -> Callable[[Any], Iterator[str]]:
    def keys(body: Any) -> Iterator[str]:
        rule = ENDPOINTS[endpoint]
        yield from (k for k in map(rule.key, rule.items(body)) if k is not None)
    return keys


# endpoint -> natural keys (without the platform) of the items in a body
KEYS: dict[str, Callable[[Any], Iterator[str]]] = {e: _keys(e) for e in ENDPOINTS}


def item_keys(envelope: dict[str, Any]) -> list[str]:
    """`platform:kind:id` for every item in a page envelope (empty for malformed pages)."""
    keys = KEYS.get(envelope.get("endpoint", ""))
    if keys is None or envelope.get("body") is None:
        return []
    return [f"{envelope['platform']}:{k}" for k in keys(envelope["body"])]


def manifest_items(raw_root, manifest: dict[str, Any]) -> list[str]:
    """Item keys of every committed page a manifest lists (malformed evidence excluded)."""
    keys: list[str] = []
    for f in manifest["files"]:
        if f["kind"] != "page":
            continue
        with gzip.open(Path(raw_root) / f["path"], "rt", encoding="utf-8") as fh:
            for line in fh:
                keys += item_keys(json.loads(line))
    return keys
