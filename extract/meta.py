"""Meta's Graph API (Facebook Pages, Instagram professional accounts): what both connectors share.

A shard is one account of ours (`Shard.account`: the Page id or the Instagram user id),
read as a list of phases, each one edge of the account paged to its end; the first phase
also reads the comments of every item it lists (unless the item's count says it has none):

    facebook:  /{page}/feed (since/until) [-> /{post}/comments] -> /{page}/tagged (since/until)
    instagram: /{user}/media (since/until) [-> /{media}/comments] -> /{user}/tags

The shard's window is the engagement lookback, so every night re-reads the recent posts and
snapshots their engagement. /tags cannot be limited to a window: it is read newest first and
stops after the first page reaching back past `since` (pages are kept whole, as received).

Credential: `token[:app_secret]` in the variable named by platforms.<name>.credential_env.
The token travels as `Authorization: Bearer`, never in a URL. With the app secret, every
request carries `appsecret_proof` = HMAC-SHA256(key=app secret, msg=token) in hex. Token,
secret and proof are registered as secrets, and the proof is left out of the URL and
parameters a page records (Graph echoes the query, proof included, into `paging.next`, so
the landed bodies do hold it: a proof is worthless without the token).

Paging follows `paging.next` alone: cursors may be missing, and a page emptied by privacy
filtering may still have a next one. Only the query string of `next` is used, on our own
endpoint, so the token never travels to a host a response names; a `next` that would
repeat the request just sent ends the edge instead of looping.

Errors come as HTTP 400/403 with `error.code`. Throttling (4, 17, 32, 613, 80000-80014)
waits the `estimated_time_to_regain_access` (minutes) of X-Business-Use-Case-Usage, else
backs off; 1, 2 and anything `is_transient` are retried; 190 (and 102, 104) is a token that
expired or was revoked and 10 or 200-299 a missing permission: AuthFailed, which stops the
source for the night, naming the config key and the permission; 100 rejects the request
(ShardFailed) unless it refuses the appsecret_proof (AuthFailed: the secret is not the
token's app's); comments of a post that is gone (100/33) are skipped. The usage headers
give percentages of the app's and the account's hourly allowance: once one reaches 95, the
connector pauses before its next request (the BUC estimate if it gives one, else 60 s)
rather than run into the throttle.

Cursor (the state after a page): {"phase": "feed", "page": {"after": "..."},
"parents": [post ids whose comments are still to read], "child_page": {"after": "..."},
"exhausted": true (the phase's edge has no page left)}. `page`/`child_page` hold the
query parameters `next` changed (the cursor), never the token or the proof.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx

from carepulse.secrets import register_secret
from extract._query import as_utc
from extract.base import ConnectorContext, Page, Shard
from extract.errors import AuthFailed, ExtractError, ShardFailed
from extract.http import Fetched, Verdict, default_verdict
from extract.items import listed

log = logging.getLogger("extract.meta")

API_VERSION = "v26.0"  # when the config pins none
PAGE_MAX = 100
SECRET_PARAMS = frozenset({"access_token", "appsecret_proof"})
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_CODES = frozenset({102, 104, 190})
TOKEN_REASONS = {458: "the app was removed", 459: "the user is checkpointed",
                 460: "the password was changed", 463: "it expired", 464: "the user is unconfirmed",
                 467: "it is invalid", 492: "the user has no role on the Page"}
PERMISSION_RE = re.compile(r"\b(pages_[a-z_]+|instagram_[a-z_]+|business_management|read_insights)\b")
USAGE_HEADERS = ("x-app-usage", "x-business-use-case-usage")
BUSY_PCT = 95  # usage at which to pause before the next request
BUSY_PAUSE_S = 60.0  # when the usage header gives no estimate

PageGen = Generator[Page, None, "dict[str, Any] | None"]


@dataclass(frozen=True)
class Edge:
    """One edge a connector reads: /{object}/{name}."""

    endpoint: str  # the page's endpoint name (extract/items.py)
    name: str  # in the path, and the phase's name in cursors
    object_param: str  # what recorded params call the object id (the warehouse reads it)
    fields: str
    permission: str  # what a permission error on this edge most likely lacks
    window: bool = False  # the API filters by since/until
    stop_field: str | None = None  # no window: stop after a page whose items reach back past since
    extra: tuple[tuple[str, str], ...] = ()
    child: Edge | None = None  # read for every item the edge lists
    child_count: tuple[str, ...] = ()  # where an item says how many children it has


class GraphConnector:
    """A Graph API account shard, phase by phase (subclasses name the platform and phases)."""

    platform = ""
    phases: tuple[Edge, ...] = ()

    def __init__(self, ctx: ConnectorContext, transport: httpx.BaseTransport | None = None):
        self._ctx = ctx
        token, _, secret = ctx.credential.strip().partition(":")
        self._token, secret = token.strip(), secret.strip()
        self._proof = hmac.new(secret.encode(), self._token.encode(), hashlib.sha256).hexdigest() \
            if secret else None
        for value in (self._token, secret, self._proof):
            register_secret(value)
        self._base = f"{ctx.config.endpoint.rstrip('/')}/{ctx.config.api_version or API_VERSION}"
        self._limit = max(1, min(ctx.config.page_size, PAGE_MAX))
        client = httpx.Client(transport=transport, headers={
            "Authorization": f"Bearer {self._token}", "User-Agent": ctx.user_agent,
            "Accept": "application/json"})
        self._http = ctx.http_session(client)
        self._pause_s = 0.0  # to wait before the next request (usage near the limit)
        self._paused_s = 0.0

    @property
    def _where(self) -> str:
        return f"platforms.{self.platform}.credential_env"

    # -- Connector protocol -------------------------------------------------------------

    def pages(self, shard: Shard, cursor: dict[str, Any] | None) -> Generator[Page, None, None]:
        if not self._token:
            raise AuthFailed(f"{self.platform}: the access token in the variable named by "
                             f"{self._where} is empty")
        if shard.kind != "accounts" or not shard.account:
            raise ShardFailed(f"{self.platform}: {shard.id}: only an accounts shard naming the "
                              "account id can be read")
        state: dict[str, Any] | None = self._resumed(shard, cursor) if cursor \
            else {"phase": self.phases[0].name}
        while state is not None:
            edge = self._phase(state["phase"])
            step = self._child_page if state.get("parents") else self._edge_page
            state = yield from step(shard, edge, state)

    def stats(self) -> dict[str, float]:
        return {"requests": self._http.requests, "retries": self._http.retries,
                "waited_s": self._http.waited_s + self._paused_s}

    def close(self) -> None:
        self._http.client.close()

    # -- phases -------------------------------------------------------------------------

    def _phase(self, name: str) -> Edge:
        return next(e for e in self.phases if e.name == name)

    def _resumed(self, shard: Shard, cursor: dict[str, Any]) -> dict[str, Any]:
        names = [e.name for e in self.phases]
        parents = cursor.get("parents", [])
        if cursor.get("phase") not in names or not isinstance(parents, list) \
                or not all(isinstance(p, str) and p for p in parents):
            raise ShardFailed(f"{self.platform}: {shard.id}: cannot resume from cursor {cursor}")
        return dict(cursor)

    def _edge_page(self, shard: Shard, edge: Edge, state: dict[str, Any]) -> PageGen:
        sent = _params_of(state.get("page"))
        params = {**self._params(shard, edge), **sent}
        fetched = self._get(shard.account, edge, params)
        items = listed(edge.endpoint, fetched.body)
        nxt = self._next(fetched, self._params(shard, edge), sent, edge)
        if nxt is not None and edge.stop_field and _reaches_back(items, edge.stop_field, shard.since):
            nxt = None  # the rest is older than the window
        after: dict[str, Any] = {"phase": edge.name, **({"page": nxt} if nxt else {"exhausted": True})}
        parents = _parents(edge, items)
        if parents:
            after["parents"] = parents
        after = self._settle(after)
        yield self._page(fetched, edge, shard.account, params, after)
        return after

    def _child_page(self, shard: Shard, edge: Edge, state: dict[str, Any]) -> PageGen:
        child, parents = edge.child, state["parents"]
        assert child is not None
        sent = _params_of(state.get("child_page"))
        params = {**self._params(shard, child), **sent}
        fetched = self._get(parents[0], child, params, skippable=True)
        rest = {k: v for k, v in state.items() if k != "child_page"} | {"parents": parents[1:]}
        if fetched.status >= 400:  # the post is gone since it was listed: nothing to land
            log.info("%s: %s: %s %s is gone, its comments are skipped", self.platform, shard.id,
                     child.object_param, parents[0])
            return self._settle(rest)
        nxt = self._next(fetched, self._params(shard, child), sent, child)
        after = self._settle({**state, "child_page": nxt} if nxt else rest)
        yield self._page(fetched, child, parents[0], params, after)
        return after

    def _settle(self, state: dict[str, Any]) -> dict[str, Any] | None:
        """A state with work left: once an exhausted phase has no comments left to read,
        the next phase (None after the last)."""
        if state.get("parents"):
            return state
        state = {k: v for k, v in state.items() if k not in ("parents", "child_page")}
        if not state.get("exhausted"):
            return state
        names = [e.name for e in self.phases]
        i = names.index(state["phase"]) + 1
        return {"phase": names[i]} if i < len(names) else None

    # -- requests -----------------------------------------------------------------------

    def _params(self, shard: Shard, edge: Edge) -> dict[str, Any]:
        params: dict[str, Any] = {"fields": edge.fields}
        if edge.window:
            params["since"] = int(as_utc(shard.since).timestamp())
            params["until"] = int(as_utc(shard.until).timestamp())
        params.update(edge.extra)
        params["limit"] = self._limit
        return params

    def _get(self, object_id: str, edge: Edge, params: dict[str, Any], *,
             skippable: bool = False) -> Fetched:
        self._wait_if_busy()
        signed = {**params, "appsecret_proof": self._proof} if self._proof else params
        fetched = self._http.get(f"{self._base}/{quote(object_id, safe='')}/{edge.name}",
                                 params=signed, verdict=verdict, hint=throttle_wait,
                                 endpoint=edge.endpoint)
        self._note_usage(fetched)
        if fetched.status >= 400:
            if skippable and _gone(fetched.body):
                return fetched
            raise self._failure(fetched, edge)
        return fetched

    def _next(self, fetched: Fetched, base: dict[str, Any], sent: dict[str, str],
              edge: Edge) -> dict[str, str] | None:
        """The query parameters `paging.next` changes (its cursor), or None at the end."""
        body = fetched.body if isinstance(fetched.body, dict) else {}
        paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
        link = paging.get("next")
        if not isinstance(link, str) or not link:
            return None
        ours = {k: str(v) for k, v in base.items()}
        query = dict(parse_qsl(urlsplit(link).query, keep_blank_values=True))
        moved = {k: v for k, v in query.items() if k not in SECRET_PARAMS and ours.get(k) != v}
        if not moved or moved == sent:
            log.warning("%s: %s: paging.next repeats the request just sent; ending the edge",
                        self.platform, edge.endpoint)
            return None
        return moved

    def _page(self, fetched: Fetched, edge: Edge, object_id: str, params: dict[str, Any],
              cursor: dict[str, Any] | None) -> Page:
        page = Page.from_fetched(fetched, endpoint=edge.endpoint,
                                 params={edge.object_param: object_id, **params}, cursor=cursor)
        page.url = without_secrets(fetched.url)
        page.headers.update({k: v for k, v in fetched.headers.items() if k.lower() in USAGE_HEADERS})
        return page

    # -- usage and errors -----------------------------------------------------------------

    def _note_usage(self, fetched: Fetched) -> None:
        pct, minutes = usage(fetched.headers)
        if pct >= BUSY_PCT:
            self._pause_s = min(self._ctx.policy.max_wait_s, minutes * 60 if minutes else BUSY_PAUSE_S)
            log.info("%s: usage at %d%% of the hourly allowance; pausing %.0fs before the next "
                     "request", self.platform, pct, self._pause_s)

    def _wait_if_busy(self) -> None:
        if self._pause_s > 0:
            self._ctx.policy.sleep(self._pause_s)
            self._paused_s += self._pause_s
            self._pause_s = 0.0

    def _failure(self, fetched: Fetched, edge: Edge) -> ExtractError:
        """The typed error for a Graph error the verdict let through, in Meta's words."""
        err = graph_error(fetched.body) or {}
        code, sub = err.get("code"), err.get("error_subcode")
        message = str(err.get("message", "")) or fetched.text[:200]
        said = f"Graph error {code}{f'/{sub}' if sub else ''}: {message}"
        if code in TOKEN_CODES:
            why = "none was sent" if code == 104 else TOKEN_REASONS.get(sub, "it is not valid")
            return AuthFailed(f"{self.platform}: the access token was refused ({why}; {said}); put a "
                              f"valid one in the variable named by {self._where}")
        if isinstance(code, int) and (code == 10 or 200 <= code <= 299):
            found = PERMISSION_RE.search(message)
            needed = found.group(1) if found else edge.permission
            return AuthFailed(f"{self.platform}: permission denied reading {edge.endpoint} ({said}); "
                              f"the token probably lacks the {needed} permission: grant it and put "
                              f"the new token in the variable named by {self._where}")
        if code == 100 and "appsecret_proof" in message:
            return AuthFailed(f"{self.platform}: the appsecret_proof was refused ({said}); the app "
                              f"secret in the variable named by {self._where} is not the one of "
                              "the token's app")
        return ShardFailed(f"{self.platform}: request rejected (HTTP {fetched.status} from "
                           f"{without_secrets(fetched.url)}: {said})")


# -- the Graph API's conventions ----------------------------------------------------------


def graph_error(body: Any) -> dict | None:
    err = body.get("error") if isinstance(body, dict) else None
    return err if isinstance(err, dict) else None


def verdict(f: Fetched) -> Verdict:
    """Throttling waits, transient errors retry; other Graph errors pass to the connector,
    which raises them with Meta's message and what to do about it."""
    if f.status < 400 or f.status >= 500 or f.parse_error:
        return default_verdict(f)
    err = graph_error(f.body)
    if err is None:
        return default_verdict(f)
    if err.get("code") in THROTTLE_CODES:
        return "rate_limited"
    if err.get("code") in TRANSIENT_CODES or err.get("is_transient") is True:
        return "retry"
    return "ok"


def usage(headers: dict[str, str]) -> tuple[int, int]:
    """(highest percentage used, minutes until a throttled account may call again) from the
    usage headers: X-App-Usage {"call_count": %, ...} and X-Business-Use-Case-Usage
    {"<id>": [{"type": ..., "call_count": %, ..., "estimated_time_to_regain_access": min}]}."""
    found = {k.lower(): v for k, v in headers.items() if k.lower() in USAGE_HEADERS}
    entries = [_json(found.get("x-app-usage"))]
    buc = _json(found.get("x-business-use-case-usage"))
    entries += [e for v in buc.values() if isinstance(v, list) for e in v if isinstance(e, dict)]
    pct = max((v for e in entries for k, v in e.items() if k in ("call_count", "total_cputime", "total_time")
               and isinstance(v, int | float)), default=0)
    minutes = max((e.get("estimated_time_to_regain_access") for e in entries
                   if isinstance(e.get("estimated_time_to_regain_access"), int | float)), default=0)
    return int(pct), int(minutes)


def throttle_wait(f: Fetched) -> float | None:
    """HttpSession's wait hint for a throttled call: the BUC estimate, in seconds."""
    _, minutes = usage(f.headers)
    return minutes * 60.0 if minutes > 0 else None


def without_secrets(url: str) -> str:
    """The URL minus access_token and appsecret_proof, as a page records it."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in SECRET_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _json(text: str | None) -> dict:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _params_of(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _gone(body: Any) -> bool:
    err = graph_error(body) or {}
    return err.get("code") == 100 and err.get("error_subcode") == 33


def _parents(edge: Edge, items: list) -> list[str]:
    """Ids of the listed items whose children to read: all but those counted as having none."""
    if edge.child is None:
        return []
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            continue
        count: Any = item
        for step in edge.child_count:
            count = count.get(step) if isinstance(count, dict) else None
        if count != 0:
            out.append(item["id"])
    return list(dict.fromkeys(out))


def _reaches_back(items: list, field: str, since: datetime) -> bool:
    """Whether any listed item was published before `since` (the edge is newest first)."""
    for item in items:
        stamp = item.get(field) if isinstance(item, dict) else None
        try:
            moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z") if isinstance(stamp, str) else None
        except ValueError:
            moment = None
        if moment is not None and moment < as_utc(since):
            return True
    return False
