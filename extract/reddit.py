"""Reddit connector: application-only OAuth, then `/search` (and `/user/{name}/about`).

Reddit search has no time bounds, so a shard is read newest-first (`sort=new`) and the
walk stops after the first page that reaches back past the shard's `since` (that page is
still landed verbatim; filtering is the warehouse's job) or when `after` is null.

Cursors: `{"step": "about"}` (accounts shards start here), then
`{"step": "search", "after": "t3_..." | None}`; `after` None means the first page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from carepulse.secrets import mask, register_secret
from extract._query import any_of, phrase_terms, quoted
from extract.base import ConnectorContext, Page, Shard
from extract.errors import AuthFailed, ShardFailed
from extract.http import Fetched, Verdict, parse_body
from extract.items import listed

log = logging.getLogger("extract.reddit")

PLATFORM = "reddit"
LIMIT_MAX = 100
QUERY_MAX = 512  # Reddit's documented limit for `q`
TOKEN_MARGIN_S = 60.0  # renew a token this long before Reddit says it expires


class RedditConnector:
    platform = PLATFORM

    def __init__(self, ctx: ConnectorContext, *, transport: httpx.BaseTransport | None = None):
        """`transport` lets tests answer with httpx.MockTransport instead of the network."""
        register_secret(ctx.credential)
        register_secret(ctx.credential.partition(":")[2])  # the client secret on its own
        self._ctx = ctx
        self._endpoint = ctx.config.endpoint
        self._auth_base = ctx.config.auth_endpoint or ctx.config.endpoint
        client = httpx.Client(transport=transport, headers={"User-Agent": ctx.user_agent},
                              follow_redirects=False)
        self._session = ctx.http_session(client, self._malformed)
        self._current_endpoint = ""
        self._token: str | None = None
        self._token_expires_at = 0.0

    # -- Connector protocol -------------------------------------------------------------

    def pages(self, shard: Shard, cursor: dict[str, Any] | None) -> Iterator[Page]:
        state: dict[str, Any] | None = dict(cursor) if cursor else self._start(shard)
        while state is not None:
            step = state.get("step", "search")
            if step == "about":
                page = self._about(shard)
            elif step == "search":
                page = self._search(shard, state.get("after"))
            else:
                raise ShardFailed(f"{PLATFORM}: {shard.id}: unknown cursor step {step!r}")
            yield page
            state = page.cursor

    def stats(self) -> dict[str, float]:
        s = self._session
        return {"requests": s.requests, "retries": s.retries, "waited_s": s.waited_s}

    def close(self) -> None:
        self._session.client.close()

    # -- pages ------------------------------------------------------------------------------

    def _start(self, shard: Shard) -> dict[str, Any]:
        return {"step": "about"} if shard.kind == "accounts" else {"step": "search", "after": None}

    def _about(self, shard: Shard) -> Page:
        name = _username(shard.account)
        if not name:
            raise ShardFailed(f"{PLATFORM}: {shard.id}: accounts shard without a username")
        url = f"{self._endpoint}/user/{quote(name, safe='')}/about"
        f = self._get("reddit.user.about", url, None)
        return Page.from_fetched(f, endpoint="reddit.user.about", params={},
                                 cursor={"step": "search", "after": None})

    def _search(self, shard: Shard, after: Any) -> Page:
        params = self._search_params(shard, after if _is_str(after) else None)
        f = self._get("reddit.search", f"{self._endpoint}/search", params)
        children = listed("reddit.search", f.body)
        nxt_after = _after(f.body, sent=after)
        # An empty page that still names `after` is not the end (the listing was filtered);
        # the run's max_pages_per_shard bounds a server that never stops doing that.
        done = nxt_after is None or _reaches_before(children, shard.since)
        nxt = None if done else {"step": "search", "after": nxt_after}
        return Page.from_fetched(f, endpoint="reddit.search", params=params, cursor=nxt)

    def _search_params(self, shard: Shard, after: str | None) -> dict[str, Any]:
        limit = min(self._ctx.config.page_size, LIMIT_MAX)
        if shard.kind == "accounts":
            name = _username(shard.account)
            if not name:
                raise ShardFailed(f"{PLATFORM}: {shard.id}: accounts shard without a username")
            params: dict[str, Any] = {"q": f"author:{name}", "sort": "new", "limit": limit}
        else:
            q = reddit_query(shard)
            if not q:
                raise ShardFailed(f"{PLATFORM}: {shard.id}: mentions shard without query terms")
            if len(q) > QUERY_MAX:
                log.warning("%s: %s: query is %d characters, Reddit reads at most %d",
                            PLATFORM, shard.id, len(q), QUERY_MAX)
            params = {"q": q, "sort": "new", "limit": limit, "type": "link"}
        if after:
            params["after"] = after
        return params

    def _get(self, endpoint: str, url: str, params: dict[str, Any] | None) -> Fetched:
        self._current_endpoint = endpoint
        return self._session.get(url, params=params, headers=self._auth_header(),
                                 refresh_auth=self._refresh_auth)

    def _malformed(self, fetched: Fetched, meta: dict) -> None:
        # HttpSession does not know the logical endpoint; the runner files evidence by it.
        self._ctx.on_malformed(fetched, {**meta, "endpoint": self._current_endpoint})

    # -- OAuth ------------------------------------------------------------------------------

    def _auth_header(self) -> dict[str, str]:
        if self._token is None or self._ctx.policy.clock() >= self._token_expires_at:
            self._token, lifetime = self._fetch_token()
            self._token_expires_at = self._ctx.policy.clock() + max(lifetime - TOKEN_MARGIN_S, 0)
        return {"Authorization": f"bearer {self._token}"}

    def _refresh_auth(self) -> dict[str, str]:
        """HttpSession calls this once on a 401: the token expired or was revoked."""
        self._token = None
        return self._auth_header()

    def _fetch_token(self) -> tuple[str, float]:
        """POST /api/v1/access_token (client_credentials), retrying like HttpSession.get.

        Not routed through HttpSession.get because it needs a form body, and because a
        malformed token response must not be handed to on_malformed (it may hold a token).
        """
        client_id, client_secret = self._client_credentials()
        url = f"{self._auth_base}/api/v1/access_token"
        session, policy = self._session, self._ctx.policy
        attempt = 0
        while True:
            self._ctx.budget.spend(1, PLATFORM)
            f = self._post_token(url, client_id, client_secret)
            verdict = _token_verdict(f)
            if verdict == "ok":
                return self._accept_token(f)
            if verdict == "auth":
                raise AuthFailed(
                    f"{PLATFORM}: the token endpoint rejected the credentials in "
                    f"{self._ctx.config.credential_env} ({_token_summary(f)})"
                )
            if verdict == "fatal" or attempt >= policy.max_retries:
                raise ShardFailed(
                    f"{PLATFORM}: no access token after {attempt + 1} attempts "
                    f"({_token_summary(f)})"
                )
            wait = session._wait_for(f, verdict, attempt)
            log.warning("%s: token request failed (%s), retry %d/%d in %.1fs", PLATFORM,
                        _token_summary(f), attempt + 1, policy.max_retries, wait)
            session.retries += 1
            session._sleep(wait)
            attempt += 1

    def _post_token(self, url: str, client_id: str, client_secret: str) -> Fetched:
        self._session.requests += 1
        try:
            resp = self._session.client.post(
                url, data={"grant_type": "client_credentials"}, auth=(client_id, client_secret),
                timeout=self._ctx.policy.timeout_s,
            )
        except httpx.TransportError as exc:
            return Fetched(-1, mask(url), "", None, {}, f"{type(exc).__name__}: {mask(exc)}")
        text = resp.text
        body, error = parse_body(text) if text else ({}, None)
        return Fetched(resp.status_code, mask(str(resp.url)), text, body, dict(resp.headers), error)

    def _accept_token(self, f: Fetched) -> tuple[str, float]:
        token = f.body.get("access_token") if isinstance(f.body, dict) else None
        if not _is_str(token):
            raise AuthFailed(
                f"{PLATFORM}: the token endpoint returned no access token for the credentials "
                f"in {self._ctx.config.credential_env} ({_token_summary(f)})"
            )
        register_secret(token)
        lifetime = f.body.get("expires_in")
        valid = isinstance(lifetime, int | float) and not isinstance(lifetime, bool)
        return token, float(lifetime) if valid else 3600.0

    def _client_credentials(self) -> tuple[str, str]:
        client_id, sep, client_secret = self._ctx.credential.strip().partition(":")
        if not sep or not client_id or not client_secret:
            raise AuthFailed(
                f"{PLATFORM}: {self._ctx.config.credential_env} must hold "
                "'client_id:client_secret' (no ':' separating the two parts)"
            )
        return client_id, client_secret


# -- helpers ----------------------------------------------------------------------------------


def reddit_query(shard: Shard) -> str:
    """`("a" OR "b" OR tag) NOT "x"`; hashtags are plain words in Reddit search."""
    hashtags = [t.strip().lstrip("#") for t in shard.hashtags if t.strip().lstrip("#")]
    positives = list(dict.fromkeys(phrase_terms(shard) + hashtags))
    if not positives:
        return ""
    negatives = dict.fromkeys(f"NOT {quoted(x)}" for x in shard.exclude if x.strip())
    return " ".join([f"({any_of(positives)})", *negatives])


def _username(account: str) -> str:
    name = account.strip().lstrip("/@")
    return name[2:] if name.lower().startswith("u/") else name


def _after(body: Any, *, sent: Any) -> str | None:
    """The next-page anchor; one equal to the anchor just sent would loop forever."""
    data = body.get("data") if isinstance(body, dict) else None
    after = data.get("after") if isinstance(data, dict) else None
    return after if _is_str(after) and after != sent else None


def _reaches_before(children: list, since: datetime) -> bool:
    """True when the page's oldest datable item was created before `since`."""
    times = [
        c["data"]["created_utc"] for c in children
        if isinstance(c, dict) and isinstance(c.get("data"), dict)
        and isinstance(c["data"].get("created_utc"), int | float)
        and not isinstance(c["data"]["created_utc"], bool)
    ]
    return bool(times) and min(times) < since.timestamp()


def _is_str(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _token_verdict(f: Fetched) -> Verdict:
    if f.status == -1 or f.status >= 500 or f.status == 408:
        return "retry"
    if f.status == 429:
        return "rate_limited"
    if 400 <= f.status < 500:
        return "auth"
    if 300 <= f.status < 400:
        return "fatal"
    return "retry" if f.parse_error else "ok"


def _token_summary(f: Fetched) -> str:
    """Status and Reddit's short error code only: a token response body may hold a token."""
    if f.status == -1:
        return mask(f"{f.parse_error} for {f.url}")
    err = f.body.get("error") if isinstance(f.body, dict) else None
    detail = f.parse_error or (str(err)[:80] if isinstance(err, str | int) else "")
    return mask(f"HTTP {f.status} from {f.url}" + (f": {detail}" if detail else ""))
