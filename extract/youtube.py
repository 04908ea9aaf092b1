"""YouTube Data API v3 connector, through google-api-python-client.

The client is built without `developerKey`: the key travels in the `x-goog-api-key` header
added by `KeyedHttp`, so it never reaches a URL, and therefore never an `HttpError`, a
googleapiclient log line or a landed page. The client's own retries are off
(`num_retries=0`); `_call` retries with the run's policy instead, so waits, budgets and
error types match the httpx connectors.

A shard is walked as a small state machine whose state is the page cursor:

    mentions: search -> videos -> channels (new channel ids only) -> search (next page) ...
    accounts: resolve (channels.list forHandle) -> search -> videos [-> comments per video] ...

Each yielded page carries the state after it, so a resume repeats only the request that
was in flight.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from carepulse.secrets import mask, register_secret
from extract._query import bare_handle, exclusions, positive_terms, rfc3339
from extract.base import ConnectorContext, Page, Shard
from extract.errors import AuthFailed, QuotaExhausted, RateLimitTooLong, ShardFailed
from extract.http import Fetched, Verdict, parse_body, wait_hint
from extract.items import listed

log = logging.getLogger("extract.youtube")

PLATFORM = "youtube"
SEARCH_MAX = 50
COMMENTS_MAX = 100
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
AUTH_REASONS = frozenset({"API_KEY_INVALID", "keyInvalid", "keyExpired", "API_KEY_EXPIRED"})
# A video whose comments are off (or that vanished since the search) must not fail the shard.
SKIPPABLE_COMMENT_REASONS = frozenset({"commentsDisabled", "videoNotFound"})
TRANSPORT_ERRORS = (OSError, httplib2.HttpLib2Error, http.client.HTTPException)
RESOURCES = {
    "youtube.search.list": "search",
    "youtube.videos.list": "videos",
    "youtube.channels.list": "channels",
    "youtube.commentThreads.list": "commentThreads",
}

PageGen = Generator[Page, None, "dict[str, Any] | None"]


@dataclass
class Exchange:
    """The last response KeyedHttp received, exactly as it came off the wire."""

    status: int
    headers: dict[str, str]
    content: bytes


class KeyedHttp(httplib2.Http):
    """httplib2 transport that sends the API key as a header and keeps the raw response."""

    def __init__(self, api_key: str, *, timeout: float, user_agent: str):
        super().__init__(timeout=timeout)
        # A redirect would carry the key header to whatever host it names.
        self.follow_redirects = False
        self._api_key = api_key
        self._user_agent = user_agent
        self.last: Exchange | None = None

    def __repr__(self) -> str:
        return "KeyedHttp(key=***)"

    def request(  # type: ignore[override]
        self, uri, method="GET", body=None, headers=None,
        redirections=httplib2.DEFAULT_MAX_REDIRECTS, connection_type=None,
    ):
        sent = dict(headers or {})  # a copy: the client's request object never holds the key
        sent["x-goog-api-key"] = self._api_key
        sent["user-agent"] = f"{self._user_agent} {sent.get('user-agent', '')}".strip()
        self.last = None
        resp, content = super().request(uri, method, body, sent, redirections, connection_type)
        raw = content if isinstance(content, bytes) else str(content).encode("utf-8")
        self.last = Exchange(resp.status, {str(k): str(v) for k, v in resp.items()}, raw)
        return resp, content


class YouTubeConnector:
    platform = PLATFORM

    def __init__(self, ctx: ConnectorContext):
        register_secret(ctx.credential)
        self._ctx = ctx
        self._http = KeyedHttp(ctx.credential, timeout=ctx.policy.timeout_s,
                               user_agent=ctx.user_agent)
        self._yt = build(
            "youtube", "v3", http=self._http,
            client_options={"api_endpoint": ctx.config.endpoint},
            static_discovery=True, cache_discovery=False,
        )
        self._requests = 0
        self._retries = 0
        self._waited_s = 0.0

    # -- Connector protocol -------------------------------------------------------------

    def pages(self, shard: Shard, cursor: dict[str, Any] | None) -> Generator[Page, None, None]:
        state: dict[str, Any] | None = dict(cursor) if cursor else self._start(shard)
        steps = {
            "resolve": self._resolve, "search": self._search, "videos": self._videos,
            "channels": self._channels, "comments": self._comments,
        }
        while state is not None:
            step = steps.get(str(state.get("step")))
            if step is None:
                raise ShardFailed(f"{PLATFORM}: {shard.id}: unknown cursor step {state.get('step')!r}")
            state = yield from step(shard, state)

    def stats(self) -> dict[str, float]:
        return {"requests": self._requests, "retries": self._retries, "waited_s": self._waited_s}

    def close(self) -> None:
        self._http.close()

    # -- steps: each yields its page(s) and returns the next state -----------------------

    def _start(self, shard: Shard) -> dict[str, Any]:
        if shard.kind == "accounts":
            return {"step": "resolve"}
        return {"step": "search", "search_token": None, "seen_channels": []}

    def _resolve(self, shard: Shard, state: dict[str, Any]) -> PageGen:
        handle = _handle(shard.account)
        if not handle:
            raise ShardFailed(f"{PLATFORM}: {shard.id}: accounts shard without a handle")
        params = {"part": "snippet,statistics", "forHandle": handle}
        f = self._call("youtube.channels.list", params)
        items = listed("youtube.channels.list", f.body)
        channel_id = next((i["id"] for i in _dicts(items) if _is_str(i.get("id"))), None)
        if channel_id is None:
            # Land the answer as evidence, but leave the shard partial: a handle that
            # resolves to nothing is a config problem someone must see.
            yield self._page(f, "youtube.channels.list", params, state)
            raise ShardFailed(f"{PLATFORM}: {shard.id}: handle {handle} resolved to no channel")
        nxt = _state("search", state, channel_id=channel_id, search_token=None)
        yield self._page(f, "youtube.channels.list", params, nxt)
        return nxt

    def _search(self, shard: Shard, state: dict[str, Any]) -> PageGen:
        params = self._search_params(shard, state)
        f = self._call("youtube.search.list", params)
        items = listed("youtube.search.list", f.body)
        token = _next_token(f.body, sent=state.get("search_token"))
        ids = _unique(_search_video_ids(items))
        if ids:
            nxt = _state("videos", state, search_token=token, pending_ids=ids)
        else:
            nxt = _state("search", state, search_token=token) if token else None
        yield self._page(f, "youtube.search.list", params, nxt)
        return nxt

    def _videos(self, shard: Shard, state: dict[str, Any]) -> PageGen:
        ids = _str_list(state.get("pending_ids"))
        if not ids:
            return _after_batch(state)
        params = {"part": "snippet,statistics,contentDetails", "id": ",".join(ids)}
        f = self._call("youtube.videos.list", params)
        items = listed("youtube.videos.list", f.body)
        nxt = self._after_videos(shard, state, items)
        yield self._page(f, "youtube.videos.list", params, nxt)
        return nxt

    def _after_videos(self, shard: Shard, state: dict[str, Any], items: list) -> dict | None:
        if shard.kind == "mentions":
            seen = _str_list(state.get("seen_channels"))
            known = set(seen)
            new = [c for c in _unique(_video_channel_ids(items)) if c not in known]
            if new:
                return _state("channels", state, pending_ids=new, seen_channels=seen + new)
        elif shard.owned:
            videos = _unique(i["id"] for i in _dicts(items) if _is_str(i.get("id")))
            if videos:
                return _state("comments", state, pending_ids=videos, comment_token=None)
        return _after_batch(state)

    def _channels(self, shard: Shard, state: dict[str, Any]) -> PageGen:
        ids = _str_list(state.get("pending_ids"))
        if not ids:
            return _after_batch(state)
        params = {"part": "snippet,statistics", "id": ",".join(ids)}
        f = self._call("youtube.channels.list", params)
        nxt = _after_batch(state)
        yield self._page(f, "youtube.channels.list", params, nxt)
        return nxt

    def _comments(self, shard: Shard, state: dict[str, Any]) -> PageGen:
        videos = _str_list(state.get("pending_ids"))
        if not videos:
            return _after_batch(state)
        params: dict[str, Any] = {
            "part": "snippet,replies", "videoId": videos[0],
            "maxResults": min(self._ctx.config.page_size, COMMENTS_MAX),
        }
        if _is_str(state.get("comment_token")):
            params["pageToken"] = state["comment_token"]
        f = self._call("youtube.commentThreads.list", params, skippable=True)
        rest = _state("comments", state, pending_ids=videos[1:], comment_token=None)
        rest = rest if videos[1:] else _after_batch(state)
        if f.status >= 300:  # comments off or video gone: nothing to land for this video
            log.info("%s: %s: no comment threads for video %s (%s)", PLATFORM, shard.id,
                     videos[0], mask(_describe(f)))
            return rest
        token = _next_token(f.body, sent=state.get("comment_token"))
        nxt = _state("comments", state, pending_ids=videos, comment_token=token) if token else rest
        yield self._page(f, "youtube.commentThreads.list", params, nxt)
        return nxt

    def _search_params(self, shard: Shard, state: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"part": "snippet"}
        if shard.kind == "accounts":
            if not _is_str(state.get("channel_id")):
                # googleapiclient drops None parameters: this would search all of YouTube.
                raise ShardFailed(f"{PLATFORM}: {shard.id}: cursor has no channel_id: {state}")
            params["channelId"] = state["channel_id"]
        else:
            q = youtube_query(shard)
            if not q:
                raise ShardFailed(f"{PLATFORM}: {shard.id}: mentions shard without query terms")
            params["q"] = q
        params.update(
            type="video", order="date", publishedAfter=rfc3339(shard.since),
            publishedBefore=rfc3339(shard.until),
            maxResults=min(self._ctx.config.page_size, SEARCH_MAX),
        )
        if _is_str(state.get("search_token")):
            params["pageToken"] = state["search_token"]
        return params

    def _page(self, f: Fetched, endpoint: str, params: dict, cursor: dict | None) -> Page:
        return Page.from_fetched(f, endpoint=endpoint, params=dict(params), cursor=cursor)

    # -- one request, with retries --------------------------------------------------------

    def _call(self, endpoint: str, params: dict[str, Any], *, skippable: bool = False) -> Fetched:
        """Send one API request until it yields a JSON page, or raise a typed error.

        With `skippable`, a comments-disabled / not-found answer is returned (status >= 300)
        instead of failing the shard.
        """
        cost = self._ctx.config.search_cost if endpoint == "youtube.search.list" else 1
        attempt = 0
        while True:
            self._ctx.budget.spend(cost, PLATFORM)  # raises QuotaExhausted before sending
            f = self._send(RESOURCES[endpoint], params)
            verdict = _verdict(f)
            if verdict == "ok" and f.parse_error:
                meta = {"url": f.url, "attempt": attempt, "endpoint": endpoint}
                self._ctx.on_malformed(f, meta)
                verdict = "retry"
            if verdict == "ok":
                return f
            if verdict == "quota":
                raise QuotaExhausted(f"{PLATFORM}: quota exhausted ({_describe(f)})")
            if verdict == "auth":
                raise AuthFailed(
                    f"{PLATFORM}: API key in {self._ctx.config.credential_env} was rejected "
                    f"({_describe(f)})"
                )
            if verdict == "fatal":
                if skippable and _skippable(f):
                    return f
                raise ShardFailed(f"{PLATFORM}: request rejected ({_describe(f)})")
            if attempt >= self._ctx.policy.max_retries:
                raise ShardFailed(
                    f"{PLATFORM}: gave up after {attempt + 1} attempts ({_describe(f)})"
                )
            wait = self._wait_for(f, verdict, attempt)
            log.warning("%s: %s, retry %d/%d in %.1fs", PLATFORM, _describe(f), attempt + 1,
                        self._ctx.policy.max_retries, wait)
            self._retries += 1
            self._waited_s += wait
            self._ctx.policy.sleep(wait)
            attempt += 1

    def _send(self, resource: str, params: dict[str, Any]) -> Fetched:
        self._requests += 1
        request = getattr(self._yt, resource)().list(**params)
        url = mask(request.uri)
        try:
            request.execute(num_retries=0)
        except HttpError:
            pass  # status and body are read from the transport's record below
        except TRANSPORT_ERRORS as exc:  # refused, reset, timeout, DNS
            return Fetched(-1, url, "", None, {}, f"{type(exc).__name__}: {mask(exc)}")
        last = self._http.last
        if last is None:
            return Fetched(-1, url, "", None, {}, "no response recorded")
        text, decode_error = _decode(last.content)
        body, parse_error = parse_body(text) if text else ({}, None)
        return Fetched(last.status, url, text, body, last.headers, decode_error or parse_error)

    def _wait_for(self, f: Fetched, verdict: Verdict, attempt: int) -> float:
        """HttpSession's rule: honour a rate-limit hint, else full-jitter backoff.

        Unlike HttpSession, a hint longer than max_wait_s is refused on 5xx too (a 503 with
        Retry-After: 86400 must not park the night).
        """
        policy = self._ctx.policy
        hint = wait_hint(f.headers, policy.clock())
        if hint is not None and hint > policy.max_wait_s:
            raise RateLimitTooLong(
                f"{PLATFORM}: asked to wait {hint:.0f}s, more than max_wait_s="
                f"{policy.max_wait_s:.0f}s ({_describe(f)})"
            )
        if verdict == "rate_limited" and hint is not None:
            return hint + policy.rng.uniform(0, 0.05)
        return max(hint or 0.0, policy.backoff(attempt))


# -- query and cursor helpers -------------------------------------------------------------


def youtube_query(shard: Shard) -> str:
    """`"a"|"b"|#tag|@handle -"excluded"`: YouTube's OR is `|`, exclusion is `-`."""
    positives = positive_terms(shard)
    return " ".join(["|".join(positives), *exclusions(shard)]) if positives else ""


def _handle(account: str) -> str:
    handle = bare_handle(account)
    return f"@{handle}" if handle else ""


def _state(step: str, prev: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A new cursor: the shard-wide keys carry over, the step-specific ones are replaced."""
    carried = {k: prev[k] for k in ("channel_id", "seen_channels", "search_token") if k in prev}
    return {"step": step, **carried, **changes}


def _after_batch(state: dict[str, Any]) -> dict[str, Any] | None:
    """Once a search page's follow-up calls are done: the next search page, or the end."""
    token = state.get("search_token")
    return _state("search", state, search_token=token) if _is_str(token) else None


def _dicts(items: list) -> list[dict]:
    return [i for i in items if isinstance(i, dict)]


def _search_video_ids(items: list) -> list[str]:
    ids = (i.get("id") for i in _dicts(items))
    return [rid["videoId"] for rid in ids if isinstance(rid, dict) and _is_str(rid.get("videoId"))]


def _video_channel_ids(items: list) -> list[str]:
    snippets = (i.get("snippet") for i in _dicts(items))
    return [s["channelId"] for s in snippets if isinstance(s, dict) and _is_str(s.get("channelId"))]


def _next_token(body: Any, *, sent: Any) -> str | None:
    """nextPageToken if usable; a token equal to the one just sent would loop forever."""
    token = body.get("nextPageToken") if isinstance(body, dict) else None
    return token if _is_str(token) and token != sent else None


def _str_list(value: Any) -> list[str]:
    return [v for v in value if _is_str(v)] if isinstance(value, list) else []


def _unique(values) -> list[str]:
    return list(dict.fromkeys(values))


def _is_str(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _decode(content: bytes) -> tuple[str, str | None]:
    try:
        return content.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return content.decode("utf-8", errors="replace"), f"body is not UTF-8: {exc.reason}"


# -- error classification -----------------------------------------------------------------


def _error_reasons(body: Any) -> set[str]:
    """Reasons from the Google error body: error.errors[].reason and error.details[].reason."""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return set()
    entries = [e for key in ("errors", "details") if isinstance(err.get(key), list)
               for e in err[key]]
    return {e["reason"] for e in entries if isinstance(e, dict) and _is_str(e.get("reason"))}


def _verdict(f: Fetched) -> Verdict:
    if f.status == -1:
        return "retry"
    if 200 <= f.status < 300:
        return "ok"
    reasons = _error_reasons(f.body)
    if f.status == 429 or (f.status == 403 and reasons & RATE_REASONS):
        return "rate_limited"
    if f.status == 403 and reasons & QUOTA_REASONS:
        return "quota"
    if f.status == 401 or (f.status in (400, 403) and reasons & AUTH_REASONS):
        return "auth"
    if f.status >= 500 or f.status == 408:
        return "retry"
    return "fatal"


def _skippable(f: Fetched) -> bool:
    return f.status == 404 or bool(_error_reasons(f.body) & SKIPPABLE_COMMENT_REASONS)


def _describe(f: Fetched) -> str:
    if f.status == -1:
        return mask(f"{f.parse_error} for {f.url}")
    err = f.body.get("error") if isinstance(f.body, dict) else None
    message = err.get("message") if isinstance(err, dict) else None
    detail = f.parse_error or (str(message) if message else "") or f.text[:200]
    reasons = ",".join(sorted(_error_reasons(f.body)))
    return mask(f"HTTP {f.status} from {f.url}: {detail}" + (f" [{reasons}]" if reasons else ""))
