"""Bluesky connector: app.bsky.feed.searchPosts, plus getProfiles for the authors' follower counts.

Login is an app-password session (`com.atproto.server.createSession`), reused across shards.
When the PDS reports the access JWT expired (400 `ExpiredToken`, or a 401) the session is
renewed once per request: `refreshSession` with the refresh JWT, else a new
`createSession`. Session replies carry JWTs, so they are never landed as pages, and a
malformed one is handed to `on_malformed` (kept as evidence) only with its JWTs redacted.

Per shard: searchPosts pages (`sort=latest`, `since`/`until` from the shard; accounts shards
search `q=*` with `author=<handle>`), and after each one a getProfiles page per 25 authors
not yet seen in this shard, because post views carry no follower counts.

Cursor (the resume point after a page):
    {"cursor": "<searchPosts cursor to send next; null once search is done>",
     "pending_dids": ["<authors of the last search page whose profiles are still due>"]}
The cursor keeps no set of authors already profiled (it would grow with the shard), so
after a resume an author seen before the resume point may be profiled once more.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx

from carepulse.secrets import register_secret
from extract._query import any_of, bare_handle, positive_terms, rfc3339
from extract.base import ConnectorContext, Page, Shard
from extract.errors import AuthFailed, ShardFailed
from extract.http import Fetched, Verdict, default_verdict
from extract.items import listed

log = logging.getLogger("extract.bluesky")

PLATFORM = "bluesky"
SEARCH_MAX = 100
PROFILES_MAX = 25  # getProfiles accepts at most 25 actors
EXPIRED_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
SESSION_ENDPOINTS = frozenset({"bluesky.server.createSession", "bluesky.server.refreshSession"})
# Session tokens in a reply, by key or by JWT shape, whole or cut short (a truncated
# reply can end inside one).
_TOKEN_VALUE = re.compile(r'("(?:accessJwt|refreshJwt)"\s*:\s*")[^"]*')
_JWT = re.compile(r"eyJ[A-Za-z0-9_=-]*(?:\.[A-Za-z0-9_=-]*){0,2}")


class BlueskyConnector:
    platform = PLATFORM

    def __init__(self, ctx: ConnectorContext, transport: httpx.BaseTransport | None = None):
        self._ctx = ctx
        # rpartition: an identifier may be a DID (did:plc:...); app passwords have no ':'.
        identifier, sep, password = ctx.credential.strip().rpartition(":")
        self._identifier = identifier.strip() if sep else ""
        self._password = password.strip()
        # Only the password is secret; the handle is public and appears in queries and URLs.
        register_secret(self._password)
        self._access: str | None = None
        self._refresh_jwt: str | None = None
        self._base = ctx.config.endpoint.rstrip("/")
        self._limit = max(1, min(ctx.config.page_size, SEARCH_MAX))
        self._endpoint = ""  # logical endpoint in flight, reported with malformed responses
        client = httpx.Client(transport=transport,
                              headers={"User-Agent": ctx.user_agent, "Accept": "application/json"})
        self._http = ctx.http_session(client, self._on_malformed)

    def pages(self, shard: Shard, cursor: dict[str, Any] | None) -> Iterator[Page]:
        base = self._search_params(shard)
        if base is None:
            return  # nothing to search for: not worth a login
        self._login_if_needed()
        search_cursor, pending, resumed = _read_cursor(cursor)
        seen = set(pending)
        yield from self._profile_pages(pending, search_cursor)
        if resumed and search_cursor is None:
            return
        while True:
            params = {**base, "cursor": search_cursor} if search_cursor else dict(base)
            fetched = self._xrpc("app.bsky.feed.searchPosts", "bluesky.feed.searchPosts", params)
            posts = listed("bluesky.feed.searchPosts", fetched.body)
            nxt = _next_cursor(fetched.body, search_cursor)
            new = [did for did in _author_dids(posts) if did not in seen]
            seen.update(new)
            yield Page.from_fetched(fetched, endpoint="bluesky.feed.searchPosts", params=params,
                                    cursor=_cursor(nxt, new))
            yield from self._profile_pages(new, nxt)
            if nxt is None:
                return
            search_cursor = nxt

    def stats(self) -> dict[str, float]:
        return {"requests": self._http.requests, "retries": self._http.retries,
                "waited_s": self._http.waited_s}

    def close(self) -> None:
        self._http.client.close()

    # pages

    def _search_params(self, shard: Shard) -> dict[str, Any] | None:
        window = {"sort": "latest", "since": rfc3339(shard.since), "until": rfc3339(shard.until),
                  "limit": self._limit}
        if shard.kind == "accounts":
            handle = bare_handle(shard.account)
            if not handle:
                raise ShardFailed(f"bluesky: accounts shard {shard.id} has no handle")
            return {"q": "*", "author": handle, **window}
        terms = positive_terms(shard)
        return {"q": any_of(terms), **window} if terms else None

    def _profile_pages(self, dids: list[str], search_cursor: str | None) -> Iterator[Page]:
        for start in range(0, len(dids), PROFILES_MAX):
            params = {"actors": dids[start:start + PROFILES_MAX]}
            fetched = self._xrpc("app.bsky.actor.getProfiles", "bluesky.actor.getProfiles", params)
            yield Page.from_fetched(
                fetched, endpoint="bluesky.actor.getProfiles", params=params,
                cursor=_cursor(search_cursor, dids[start + PROFILES_MAX:]),
            )

    def _xrpc(self, nsid: str, endpoint: str, params: dict[str, Any]) -> Fetched:
        self._endpoint = endpoint
        return self._http.get(f"{self._base}/xrpc/{nsid}", params=params, headers=self._bearer(),
                              verdict=_verdict, refresh_auth=self._renew_session)

    def _on_malformed(self, fetched: Fetched, meta: dict) -> None:
        if self._endpoint in SESSION_ENDPOINTS:
            fetched = dataclasses.replace(fetched, text=_redact_tokens(fetched.text))
        self._ctx.on_malformed(fetched, {**meta, "endpoint": self._endpoint})

    # session

    def _bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._access}"}

    def _login_if_needed(self) -> None:
        if self._access:
            return
        if not self._identifier or not self._password:
            raise AuthFailed("bluesky: the credential must be 'handle:app-password' "
                             "(handle and app password separated by ':')")
        self._create_session()

    def _create_session(self) -> None:
        self._endpoint = "bluesky.server.createSession"
        fetched = self._http.get(
            f"{self._base}/xrpc/com.atproto.server.createSession", method="POST",
            json_body={"identifier": self._identifier, "password": self._password},
            verdict=_session_verdict,
        )
        self._keep_session(fetched.body, "createSession")

    def _refresh_session(self, refresh_jwt: str) -> None:
        self._endpoint = "bluesky.server.refreshSession"
        fetched = self._http.get(
            f"{self._base}/xrpc/com.atproto.server.refreshSession", method="POST",
            headers={"Authorization": f"Bearer {refresh_jwt}"}, verdict=_session_verdict,
        )
        self._keep_session(fetched.body, "refreshSession")

    def _renew_session(self) -> dict[str, str]:
        """HttpSession's refresh hook: new access JWT, returned as the header to retry with."""
        log.info("bluesky: access token rejected as expired; renewing the session")
        in_flight = self._endpoint  # the request being retried after the renewal
        try:
            if self._refresh_jwt:
                try:
                    self._refresh_session(self._refresh_jwt)
                    return self._bearer()
                except AuthFailed as exc:
                    log.info("bluesky: refreshSession refused (%s); logging in again", exc)
            self._create_session()
            return self._bearer()
        finally:
            self._endpoint = in_flight

    def _keep_session(self, body: Any, call: str) -> None:
        access = body.get("accessJwt") if isinstance(body, dict) else None
        refresh = body.get("refreshJwt") if isinstance(body, dict) else None
        if not isinstance(access, str) or not access:
            raise AuthFailed(f"bluesky: {call} returned no accessJwt")
        register_secret(access)
        register_secret(refresh if isinstance(refresh, str) else None)
        self._access = access
        self._refresh_jwt = refresh if isinstance(refresh, str) and refresh else None


def _redact_tokens(text: str) -> str:
    return _JWT.sub("***", _TOKEN_VALUE.sub(r"\1***", text))


def _error_name(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) else ""


def _verdict(f: Fetched) -> Verdict:
    # The PDS answers an expired access JWT with 400 ExpiredToken, not 401.
    if f.status == 400 and _error_name(f.body) in EXPIRED_ERRORS:
        return "auth"
    return default_verdict(f)


def _session_verdict(f: Fetched) -> Verdict:
    # createSession/refreshSession: 400 (e.g. ExpiredToken, InvalidRequest) and 401 both
    # mean these credentials will not do; a retry would only burn the login rate limit.
    if f.status in (400, 401):
        return "auth"
    return default_verdict(f)


def _read_cursor(cursor: dict[str, Any] | None) -> tuple[str | None, list[str], bool]:
    """(search cursor to send next, dids whose profiles are due, whether this is a resume)."""
    if not cursor:
        return None, [], False
    search = cursor.get("cursor")
    pending = cursor.get("pending_dids")
    dids = [d for d in pending if isinstance(d, str)] if isinstance(pending, list) else []
    return (search if isinstance(search, str) and search else None), dids, True


def _cursor(search_cursor: str | None, pending: list[str]) -> dict[str, Any] | None:
    if search_cursor is None and not pending:
        return None
    return {"cursor": search_cursor, "pending_dids": list(pending)}


def _next_cursor(body: Any, sent: str | None) -> str | None:
    value = body.get("cursor") if isinstance(body, dict) else None
    if not isinstance(value, str) or not value:
        return None
    if value == sent:  # the same cursor again would loop forever
        log.warning("bluesky: searchPosts returned the cursor it was sent; ending the search")
        return None
    return value


def _author_dids(posts: list) -> list[str]:
    dids: dict[str, None] = {}
    for post in posts:
        author = post.get("author") if isinstance(post, dict) else None
        did = author.get("did") if isinstance(author, dict) else None
        if isinstance(did, str) and did.startswith("did:"):
            dids[did] = None
    return list(dids)
