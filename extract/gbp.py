"""Google Business Profile reviews connector: the v4 reviews list of each location, over HTTP.

Reviews are not in google-api-python-client's bundled discovery documents, so the connector
calls the documented REST path itself:
`GET {endpoint}/v4/{accounts/*/locations/*}/reviews?pageSize=50&orderBy=updateTime desc`.
The OAuth access token comes from google-auth, refreshed from the client id, client secret
and refresh token in the one credential variable the config names
(`<client_id>:<client_secret>:<refresh_token>`) against `{auth_endpoint}/token`; all three and
every access token are registered as secrets, so logs and manifests never show them.

A shard is one location (`Shard.account` is its resource name). It walks the reviews
newest-updated first until a page ends before the shard's `since` (the high-water mark the
planner gives it; the first night gives the beginning of time, so everything is read), and
never stops before the newest `reread` reviews were read in full: edits and replies move a
review's updateTime, and Google documents that pages after the first can miss reviews, so
the newest ones are read again every night whatever tonight's walk found.

Cursor: {"pageToken": "...", "read": n}: the next page and how many reviews were read, so a
resumed shard stops where the uninterrupted one would have.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx

from carepulse.secrets import register_secret
from extract import items
from extract._query import as_utc
from extract.base import ConnectorContext, Page, Shard
from extract.errors import AuthFailed, QuotaExhausted, ShardFailed
from extract.http import Fetched, Verdict, default_verdict

log = logging.getLogger("extract.gbp")

PLATFORM = "gbp"
ENDPOINT = "gbp.reviews.list"
PAGE_MAX = 50
REREAD = 100  # the newest reviews read in full every night


class GbpConnector:
    platform = PLATFORM

    def __init__(self, ctx: ConnectorContext, transport: httpx.BaseTransport | None = None,
                 reread: int = REREAD):
        self._ctx = ctx
        parts = ctx.credential.strip().split(":", 2)
        if len(parts) != 3 or not all(parts):
            raise AuthFailed("gbp: the credential must be <client_id>:<client_secret>:<refresh_token>")
        for part in parts:
            register_secret(part)
        self._client_id, self._client_secret, self._refresh_token = parts
        self._base = ctx.config.endpoint.rstrip("/")
        self._token_uri = f"{(ctx.config.auth_endpoint or ctx.config.endpoint).rstrip('/')}/token"
        self._page_size = max(1, min(ctx.config.page_size, PAGE_MAX))
        self._reread = reread
        self._credentials = None
        self._refreshes = 0  # token requests: google-auth sends them through our client
        client = httpx.Client(transport=transport, headers={"User-Agent": ctx.user_agent,
                                                            "Accept": "application/json"})
        self._http = ctx.http_session(client, self._on_malformed)

    def pages(self, shard: Shard, cursor: dict[str, Any] | None) -> Iterator[Page]:
        location = shard.account
        if not location.startswith("accounts/") or "/locations/" not in location:
            raise ShardFailed(f"gbp: shard {shard.id}: {location!r} is not a location resource name "
                              "(accounts/<id>/locations/<id>)")
        since = as_utc(shard.since)
        token = (cursor or {}).get("pageToken")
        read = int((cursor or {}).get("read") or 0)
        while True:
            params = {"pageSize": self._page_size, "orderBy": "updateTime desc"}
            if token:
                params["pageToken"] = token
            fetched = self._get(f"{self._base}/v4/{location}/reviews", params)
            reviews = items.listed(ENDPOINT, fetched.body)
            read += len(reviews)
            nxt = fetched.body.get("nextPageToken") if isinstance(fetched.body, dict) else None
            if nxt is not None and (not isinstance(nxt, str) or nxt == token):
                log.warning("gbp: %s: the API returned the page token it was sent; ending the shard",
                            shard.id)
                nxt = None
            oldest = _oldest_update(reviews)
            done = not nxt or (read >= self._reread and oldest is not None and oldest < since)
            after = None if done else {"pageToken": nxt, "read": read}
            yield Page.from_fetched(fetched, endpoint=ENDPOINT, params=params, cursor=after)
            if done:
                return
            token = nxt

    def stats(self) -> dict[str, float]:
        return {"requests": self._http.requests + self._refreshes, "retries": self._http.retries,
                "waited_s": self._http.waited_s}

    def close(self) -> None:
        self._http.client.close()

    # -- OAuth ---------------------------------------------------------------------------------

    def _auth(self, force: bool = False) -> dict[str, str]:
        """The Authorization header, the access token refreshed by google-auth when missing,
        expired, or refused (force)."""
        import google.auth.exceptions
        from google.oauth2.credentials import Credentials

        if self._credentials is None or force:
            self._credentials = Credentials(None, refresh_token=self._refresh_token,
                                            token_uri=self._token_uri, client_id=self._client_id,
                                            client_secret=self._client_secret)
        if not self._credentials.valid:
            try:
                self._refreshes += 1
                self._credentials.refresh(_AuthRequest(self._http.client))
            except google.auth.exceptions.RefreshError as exc:
                raise AuthFailed(f"gbp: {self._token_uri} refused the refresh token ({_first_line(exc)}); "
                                 "issue a new one") from None
            except google.auth.exceptions.TransportError as exc:
                raise ShardFailed(f"gbp: token refresh at {self._token_uri} failed: "
                                  f"{_first_line(exc)}") from None
            register_secret(self._credentials.token)
        return {"Authorization": f"Bearer {self._credentials.token}"}

    def _get(self, url: str, params: dict[str, Any]) -> Fetched:
        fetched = self._http.get(url, params=params, headers=self._auth(), verdict=_verdict,
                                 refresh_auth=lambda: self._auth(force=True), endpoint=ENDPOINT)
        if fetched.status == 403:
            raise QuotaExhausted(
                "gbp: the Google Cloud project's Business Profile API quota is 0: API access has not "
                "been approved for this project yet, so no location can be read (HTTP 403 from "
                f"{fetched.url})")
        return fetched

    def _on_malformed(self, fetched: Fetched, meta: dict) -> None:
        self._ctx.on_malformed(fetched, {**meta, "endpoint": ENDPOINT})


class _AuthRequest:
    """google-auth's transport (google.auth.transport.Request) over the connector's httpx
    client: token refreshes take the same route (and test transport) as the API calls."""

    def __init__(self, client: httpx.Client):
        self._client = client

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        import google.auth.exceptions

        try:
            response = self._client.request(method, url, content=body, headers=headers,
                                            timeout=timeout or 30)
        except httpx.HTTPError as exc:
            raise google.auth.exceptions.TransportError(exc) from exc
        return _AuthResponse(response)


class _AuthResponse:
    """google.auth.transport.Response over an httpx response."""

    def __init__(self, response: httpx.Response):
        self.status = response.status_code
        self.headers = dict(response.headers)
        self.data = response.content


def _verdict(f: Fetched) -> Verdict:
    if f.status == 403 and "quota limit value is 0" in f.text:
        return "ok"  # _get names the cause: API access not approved
    return default_verdict(f)


def _oldest_update(reviews: list) -> datetime | None:
    """The oldest updateTime on a page (the walk is newest first): where the page ends."""
    stamps = [_parse(r.get("updateTime")) for r in reviews if isinstance(r, dict)]
    return min((s for s in stamps if s is not None), default=None)


def _parse(text: Any) -> datetime | None:
    """RFC 3339 with 0-9 fractional digits and `Z` (Python 3.11 parses both)."""
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__

