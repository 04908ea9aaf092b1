"""Mastodon connector: hashtag timelines, status search and account statuses on one instance.

Mentions shard: one step per search term (each quoted phrase and @handle, through
`/api/v2/search?type=statuses` with offset paging) and per hashtag (through
`/api/v1/timelines/tag/<tag>`, following `Link rel="next"`). Accounts shard:
`/api/v1/accounts/lookup`, then `/api/v1/accounts/<id>/statuses` following `Link`.

Mastodon has no time filter, so every walk runs newest-first and ends after the page whose
oldest status predates `shard.since` (statuses newer than `shard.until` land too and are
filtered downstream, as are the shard's exclusions, which Mastodon search cannot express).

Cursors (the resume point after a page):
    mentions  {"term_index": i, "term": "#tag", "next_url": "<absolute Link URL>"}
              {"term_index": i, "term": "\"phrase\"", "offset": 80}
              {"term_index": i, "term": "..."}          step i not started yet
    accounts  {"account_id": "109876", "next_url": "..."}  no next_url: first statuses page
The term itself is stored so a resume never walks the wrong step if the list shifted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from carepulse.secrets import register_secret
from extract._query import as_utc, bare_handle, handle_terms, hashtag_terms, phrase_terms
from extract.base import ConnectorContext, Page, Shard
from extract.errors import AuthFailed, ShardFailed
from extract.http import Fetched
from extract.items import listed

log = logging.getLogger("extract.mastodon")

PLATFORM = "mastodon"
PAGE_MAX = 40
_LINK = re.compile(r"<([^>]*)>([^<]*)")
_REL = re.compile(r"""rel\s*=\s*"?([^";,]*)"?""", re.IGNORECASE)

# (response, logical endpoint, params shown on the page, step state after it; None when the
# step is finished)
Step = tuple[Fetched, str, dict[str, Any], dict[str, Any] | None]


class MastodonConnector:
    platform = PLATFORM

    def __init__(self, ctx: ConnectorContext, transport: httpx.BaseTransport | None = None):
        self._ctx = ctx
        self._token = ctx.credential.strip()
        register_secret(self._token)
        self._base = ctx.config.endpoint.rstrip("/")
        self._limit = max(1, min(ctx.config.page_size, PAGE_MAX))
        self._endpoint = ""  # logical endpoint in flight, reported with malformed responses
        client = httpx.Client(
            transport=transport,
            headers={"Authorization": f"Bearer {self._token}", "User-Agent": ctx.user_agent,
                     "Accept": "application/json"},
        )
        self._http = ctx.http_session(client, self._on_malformed)

    def pages(self, shard: Shard, cursor: dict[str, Any] | None) -> Iterator[Page]:
        if not self._token:
            raise AuthFailed("mastodon: the access token is empty")
        if shard.kind == "accounts":
            yield from self._account_pages(shard, cursor)
        else:
            yield from self._mention_pages(shard, cursor)

    def stats(self) -> dict[str, float]:
        return {"requests": self._http.requests, "retries": self._http.retries,
                "waited_s": self._http.waited_s}

    def close(self) -> None:
        self._http.client.close()

    # mentions

    def _mention_pages(self, shard: Shard, cursor: dict[str, Any] | None) -> Iterator[Page]:
        steps = mention_steps(shard)
        first, state = _resume_step(steps, cursor)
        since = as_utc(shard.since)
        for index in range(first, len(steps)):
            term = steps[index]
            walk = (self._walk_tag(term[1:], since, state) if term.startswith("#")
                    else self._walk_search(term, since, state))
            for fetched, endpoint, params, after in walk:
                if after is not None:
                    nxt: dict[str, Any] | None = {"term_index": index, "term": term, **after}
                elif index + 1 < len(steps):
                    nxt = {"term_index": index + 1, "term": steps[index + 1]}
                else:
                    nxt = None
                yield Page.from_fetched(fetched, endpoint=endpoint, params=params, cursor=nxt)
            state = {}

    def _walk_tag(self, tag: str, since: datetime, state: dict[str, Any]) -> Iterator[Step]:
        first = f"{self._base}/api/v1/timelines/tag/{quote(tag, safe='')}"
        yield from self._walk_links("mastodon.timelines.tag", first, since, state.get("next_url"))

    def _walk_search(self, q: str, since: datetime, state: dict[str, Any]) -> Iterator[Step]:
        offset = state.get("offset")
        offset = offset if isinstance(offset, int) and offset >= 0 else 0
        url = f"{self._base}/api/v2/search"
        while True:
            params = {"q": q, "type": "statuses", "limit": self._limit, "offset": offset}
            fetched = self._get("mastodon.search", url, params)
            statuses = listed("mastodon.search", fetched.body)
            # Advance by what came back, not by `limit`: the server drops statuses the
            # token may not see after applying the offset, so a short page is not the end
            # and skipping ahead by `limit` could leave gaps (repeats are deduped downstream).
            offset += len(statuses)
            done = not statuses or _reaches_before(statuses, since)
            yield fetched, "mastodon.search", params, None if done else {"offset": offset}
            if done:
                return

    # accounts

    def _account_pages(self, shard: Shard, cursor: dict[str, Any] | None) -> Iterator[Page]:
        handle = bare_handle(shard.account)
        if not handle:
            raise ShardFailed(f"mastodon: accounts shard {shard.id} has no handle")
        account_id = (cursor or {}).get("account_id")
        resume_url = (cursor or {}).get("next_url")
        if not isinstance(account_id, str) or not account_id:
            params = {"acct": handle}
            fetched = self._get("mastodon.accounts.lookup", f"{self._base}/api/v1/accounts/lookup",
                                params)
            account_id = _account_id(fetched.body)
            if account_id is None:
                raise ShardFailed(f"mastodon: lookup of @{handle} returned no account id "
                                  f"(HTTP {fetched.status} from {fetched.url})")
            yield Page.from_fetched(fetched, endpoint="mastodon.accounts.lookup", params=params,
                                    cursor={"account_id": account_id})
            resume_url = None
        first = f"{self._base}/api/v1/accounts/{quote(account_id, safe='')}/statuses"
        walk = self._walk_links("mastodon.accounts.statuses", first, as_utc(shard.since),
                                resume_url)
        for fetched, endpoint, params, after in walk:
            nxt = {"account_id": account_id, **after} if after is not None else None
            yield Page.from_fetched(fetched, endpoint=endpoint, params=params, cursor=nxt)

    # shared

    def _walk_links(self, endpoint: str, first_url: str, since: datetime,
                    resume_url: Any) -> Iterator[Step]:
        """Follow `Link rel="next"` until a page without one, or past `since`."""
        if isinstance(resume_url, str) and resume_url:
            self._check_same_endpoint(resume_url)
            url, params = resume_url, {}
        else:
            url, params = first_url, {"limit": self._limit}
        while True:
            fetched = self._get(endpoint, url, params or None)
            statuses = listed(endpoint, fetched.body)
            nxt = next_link(fetched.headers)
            if nxt == url:
                log.warning("%s: %s links to itself; ending the walk", PLATFORM, endpoint)
            done = nxt is None or nxt == url or _reaches_before(statuses, since)
            if not done:
                self._check_same_endpoint(nxt)  # before its URL can reach a cursor
            shown = params or _query_params(url)
            yield fetched, endpoint, shown, None if done else {"next_url": nxt}
            if done:
                return
            url, params = nxt, {}

    def _check_same_endpoint(self, url: str) -> None:
        """Refuse to send the bearer token anywhere but the configured instance."""
        try:
            target, base = httpx.URL(url), httpx.URL(self._base)
        except httpx.InvalidURL:
            raise ShardFailed(f"mastodon: unusable next-page link {url!r}") from None
        same_origin = (target.scheme, target.host, target.port) == (base.scheme, base.host,
                                                                     base.port)
        if not same_origin or not target.path.startswith(base.path.rstrip("/") + "/"):
            raise ShardFailed(f"mastodon: next-page link {url} is outside the configured "
                              f"endpoint {self._base}; not following it")

    def _get(self, endpoint: str, url: str, params: dict[str, Any] | None) -> Fetched:
        self._endpoint = endpoint
        return self._http.get(url, params=params)

    def _on_malformed(self, fetched: Fetched, meta: dict) -> None:
        self._ctx.on_malformed(fetched, {**meta, "endpoint": self._endpoint})


def mention_steps(shard: Shard) -> list[str]:
    """One step per term: '#tag' walks the tag timeline, anything else is a search query."""
    return list(dict.fromkeys(phrase_terms(shard) + handle_terms(shard) + hashtag_terms(shard)))


def _resume_step(steps: list[str], cursor: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
    if not cursor:
        return 0, {}
    term, index = cursor.get("term"), cursor.get("term_index")
    if isinstance(term, str) and term in steps:
        return steps.index(term), cursor
    if term is None and isinstance(index, int) and 0 <= index < len(steps):
        return index, cursor
    # The shard's terms changed since the cursor was written: start over rather than guess.
    log.warning("%s: cursor term %r is not in this shard; starting from the first term",
                PLATFORM, term)
    return 0, {}


def next_link(headers: dict[str, str]) -> str | None:
    """The URL of the `rel="next"` entry of a Link header, if any."""
    value = next((v for k, v in headers.items() if k.lower() == "link"), None)
    for url, attrs in _LINK.findall(value or ""):
        rel = _REL.search(attrs)
        if rel and "next" in rel.group(1).lower().split() and url.strip():
            return url.strip()
    return None


def _account_id(body: Any) -> str | None:
    value = body.get("id") if isinstance(body, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value) or None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def _reaches_before(statuses: list, since: datetime) -> bool:
    """Whether the page's oldest datable status predates `since` (newest-first paging)."""
    times = [t for s in statuses if isinstance(s, dict)
             and (t := _parse_time(s.get("created_at"))) is not None]
    return bool(times) and min(times) < since


def _query_params(url: str) -> dict[str, Any]:
    try:
        return dict(httpx.URL(url).params.multi_items())
    except httpx.InvalidURL:
        return {}
