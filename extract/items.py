"""Natural keys of the items inside a landed page, per endpoint.

Used by tests and the benchmark to compare what landed, and by auditors to find the page
an item came from. The warehouse's staging models apply the same keys when deduplicating.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def _list(body: Any, *path: str) -> list:
    for key in path:
        body = body.get(key) if isinstance(body, dict) else None
    return body if isinstance(body, list) else []


def _youtube_search(body):
    for item in _list(body, "items"):
        vid = (item.get("id") or {}).get("videoId") if isinstance(item.get("id"), dict) else None
        if vid:
            yield f"video:{vid}"


def _ids(prefix: str, *path: str, field: str = "id") -> Callable[[Any], Iterator[str]]:
    def keys(body):
        for item in _list(body, *path):
            if isinstance(item, dict) and item.get(field) is not None:
                yield f"{prefix}:{item[field]}"
    return keys


def _reddit_search(body):
    for child in _list(body, "data", "children"):
        data = child.get("data") if isinstance(child, dict) else None
        if isinstance(data, dict) and data.get("name"):
            yield f"post:{data['name']}"


def _reddit_about(body):
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict) and data.get("name"):
        yield f"user:{data['name']}"


def _mastodon_search(body):
    yield from _ids("status", "statuses")(body)


def _mastodon_list(body):
    for item in body if isinstance(body, list) else []:
        if isinstance(item, dict) and item.get("id"):
            yield f"status:{item['id']}"


def _mastodon_lookup(body):
    if isinstance(body, dict) and body.get("id"):
        yield f"account:{body['id']}"


KEYS: dict[str, Callable[[Any], Iterator[str]]] = {
    "youtube.search.list": _youtube_search,
    "youtube.videos.list": _ids("video", "items"),
    "youtube.channels.list": _ids("channel", "items"),
    "youtube.commentThreads.list": _ids("thread", "items"),
    "reddit.search": _reddit_search,
    "reddit.user.about": _reddit_about,
    "mastodon.timelines.tag": _mastodon_list,
    "mastodon.accounts.statuses": _mastodon_list,
    "mastodon.search": _mastodon_search,
    "mastodon.accounts.lookup": _mastodon_lookup,
    "bluesky.feed.searchPosts": _ids("post", "posts", field="uri"),
    "bluesky.actor.getProfiles": _ids("profile", "profiles", field="did"),
    "x.tweets.search.recent": _ids("tweet", "data"),
}


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
