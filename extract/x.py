"""X (Twitter) API v2 connector: /2/tweets/search/recent with the author expansion.

Mentions shards search `("a" OR "b" OR #tag OR @handle) -"excluded" -is:retweet`; accounts
shards search `from:<handle> -is:retweet`. Authors (with follower counts) arrive in
`includes.users` of the same page, so one request per page is all it takes.

Recent search only reaches back 7 days and wants `end_time` at least 10 s in the past, so
the shard's window is clipped to what is searchable at request time: an accounts shard's
7-day engagement lookback, run the morning after, starts just over 7 days ago. The clipped
start is the first UTC midnight inside the searchable range, so X covers whole days and a
rerun on the same day sends the same query (a 7-day lookback becomes 6 days on X). If none
of the window is searchable, the shard's own window is sent and X's 400 says why.

A 429 means one of two things: the 15-minute rate limit (wait for `x-rate-limit-reset`) or
the monthly `UsageCapExceeded` cap, which no wait clears (QuotaExhausted).

Cursor: {"next_token": "...", "start_time": "...", "end_time": "..."}: the token plus the
window it was issued for, so a resume repeats the same query exactly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from carepulse.secrets import register_secret
from extract._query import any_of, as_utc, bare_handle, exclusions, positive_terms, rfc3339
from extract.base import ConnectorContext, Page, Shard
from extract.errors import AuthFailed, ShardFailed
from extract.http import Fetched, Verdict, default_verdict

log = logging.getLogger("extract.x")

PLATFORM = "x"
ENDPOINT = "x.tweets.search.recent"
PAGE_MIN, PAGE_MAX = 10, 100
TWEET_FIELDS = ("created_at,lang,public_metrics,entities,author_id,conversation_id,"
                "in_reply_to_user_id,referenced_tweets")
EXPANSIONS = "author_id"
USER_FIELDS = "public_metrics,verified,verified_type,description,created_at,username,name"
SEARCHABLE = timedelta(days=7)
START_MARGIN = timedelta(minutes=1)  # so request latency cannot push start_time out of range
END_LAG = timedelta(seconds=15)  # X rejects an end_time less than 10 s before the request


class XConnector:
    platform = PLATFORM

    def __init__(self, ctx: ConnectorContext, transport: httpx.BaseTransport | None = None):
        self._ctx = ctx
        self._token = ctx.credential.strip()
        register_secret(self._token)
        self._url = f"{ctx.config.endpoint.rstrip('/')}/2/tweets/search/recent"
        self._max_results = max(PAGE_MIN, min(ctx.config.page_size, PAGE_MAX))
        client = httpx.Client(
            transport=transport,
            headers={"Authorization": f"Bearer {self._token}", "User-Agent": ctx.user_agent,
                     "Accept": "application/json"},
        )
        self._http = ctx.http_session(client, self._on_malformed)

    def pages(self, shard: Shard, cursor: dict[str, Any] | None) -> Iterator[Page]:
        if not self._token:
            raise AuthFailed("x: the bearer token is empty")
        query = build_query(shard)
        if query is None:
            return
        start, end = self._window(shard, cursor)
        base = {"query": query, "start_time": start, "end_time": end,
                "max_results": self._max_results, "tweet.fields": TWEET_FIELDS,
                "expansions": EXPANSIONS, "user.fields": USER_FIELDS}
        token = (cursor or {}).get("next_token")
        token = token if isinstance(token, str) and token else None
        while True:
            params = {**base, "next_token": token} if token else dict(base)
            fetched = self._search(params)
            nxt = _next_token(fetched.body, token)
            after = {"next_token": nxt, "start_time": start, "end_time": end} if nxt else None
            yield Page.from_fetched(fetched, endpoint=ENDPOINT, params=params, cursor=after)
            if nxt is None:
                return
            token = nxt

    def stats(self) -> dict[str, float]:
        return {"requests": self._http.requests, "retries": self._http.retries,
                "waited_s": self._http.waited_s}

    def close(self) -> None:
        self._http.client.close()

    def _window(self, shard: Shard, cursor: dict[str, Any] | None) -> tuple[str, str]:
        stored = (cursor or {}).get("start_time"), (cursor or {}).get("end_time")
        if all(isinstance(v, str) and v for v in stored):
            return stored[0], stored[1]  # the window the next_token belongs to
        since, until = as_utc(shard.since), as_utc(shard.until)
        now = datetime.fromtimestamp(self._ctx.policy.clock(), UTC)
        start = max(since, _next_midnight(now - SEARCHABLE + START_MARGIN))
        end = min(until, now - END_LAG)
        if start >= end:
            return rfc3339(since), rfc3339(until)
        if (start, end) != (since, until):
            log.info("x: %s searches %s..%s (recent search reaches back 7 days, up to 10 s ago)",
                     shard.id, rfc3339(start), rfc3339(end))
        return rfc3339(start), rfc3339(end)

    def _search(self, params: dict[str, Any]) -> Fetched:
        fetched = self._http.get(self._url, params=params, verdict=_verdict)
        if fetched.status == 400:
            raise ShardFailed(f"x: request rejected (HTTP 400 from {fetched.url}: "
                              f"{_problem(fetched.body)})")
        return fetched

    def _on_malformed(self, fetched: Fetched, meta: dict) -> None:
        self._ctx.on_malformed(fetched, {**meta, "endpoint": ENDPOINT})


def _next_midnight(moment: datetime) -> datetime:
    """`moment` if it is a UTC midnight, else the following one."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == moment else midnight + timedelta(days=1)


def build_query(shard: Shard) -> str | None:
    """The shard's recent-search query, or None when it has nothing to search for."""
    if shard.kind == "accounts":
        handle = bare_handle(shard.account)
        if not handle:
            raise ShardFailed(f"x: accounts shard {shard.id} has no handle")
        return f"from:{handle} -is:retweet"
    terms = positive_terms(shard)
    if not terms:
        return None
    return " ".join([f"({any_of(terms)})", *exclusions(shard), "-is:retweet"])


def _verdict(f: Fetched) -> Verdict:
    if f.status == 429 and _usage_capped(f.body):
        return "quota"  # the monthly cap: waiting 15 minutes will not clear it
    if f.status == 400 and f.parse_error is None:
        # Let it through so _search can raise with X's own errors[].message, which the
        # generic summary (title/detail only) would drop.
        return "ok"
    if f.status == 403:
        return "auth"  # app not enrolled / not allowed this endpoint: no shard can succeed
    return default_verdict(f)


def _usage_capped(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    kind = body.get("type")
    return body.get("title") == "UsageCapExceeded" or (
        isinstance(kind, str) and kind.endswith("/usage-capped"))


def _problem(body: Any) -> str:
    """X's explanation of a rejected request: every errors[].message, else detail/title."""
    if not isinstance(body, dict):
        return "no details"
    errors = body.get("errors")
    messages = [str(e["message"]) for e in errors if isinstance(e, dict) and e.get("message")] \
        if isinstance(errors, list) else []
    if messages:
        return "; ".join(messages)
    return " / ".join(str(body[k]) for k in ("title", "detail") if body.get(k)) or "no details"


def _next_token(body: Any, sent: str | None) -> str | None:
    meta = body.get("meta") if isinstance(body, dict) else None
    token = meta.get("next_token") if isinstance(meta, dict) else None
    if not isinstance(token, str) or not token:
        return None
    if token == sent:  # the same token again would loop forever
        log.warning("x: recent search returned the next_token it was sent; ending the shard")
        return None
    return token
