"""The contract between the runner and the platform connectors.

A connector turns one Shard (platform x query) into a stream of Pages. Each Page carries
the cursor to resume from once it is safely on disk, so a crash or a spent quota costs at
most the page in flight. Connectors never touch the raw zone or the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx

from carepulse.config import PlatformConfig
from extract import items
from extract.http import Budget, Fetched, HttpSession, RetryPolicy

ShardKind = Literal["mentions", "accounts", "reviews", "feed"]


@dataclass(frozen=True)
class Night:
    """The data interval of one nightly run: [date 00:00 UTC, date+1 00:00 UTC)."""

    date: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date, time(0), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=1)

    def lookback_start(self, days: int) -> datetime:
        return self.start - timedelta(days=days)

    def require_ended(self, now: datetime | None = None) -> None:
        """A night can be extracted only once its interval is over: before that the platforms
        cannot have its data, and what they return belongs to other nights."""
        now = now or datetime.now(UTC)
        if now < self.end:
            raise NightNotOver(
                f"night {self.date} has not ended: its interval is [{self.start:%Y-%m-%dT%H:%MZ}, "
                f"{self.end:%Y-%m-%dT%H:%MZ}) and it is now {now:%Y-%m-%dT%H:%MZ}; run it after "
                f"{self.end:%Y-%m-%d %H:%M} UTC")


class NightNotOver(ValueError):
    """A night whose data interval has not ended yet was asked for."""


@dataclass(frozen=True)
class Shard:
    """One unit of extraction: a tracked query on one platform for one night.

    kind="mentions": public posts matching a brand or topic, published inside [since, until).
    kind="accounts": posts by one account (owned or competitor), published inside the
    engagement lookback [since, until), fetched again every night to snapshot engagement;
    for owned accounts, comments/replies on those posts too where the platform has them.
    kind="feed": every item of one news feed (handles[0] is its URL, terms its outlet name if
    the config gives one); the warehouse matches items to brands.
    kind="reviews": the reviews of one of our locations (handles[0] is its resource name) updated
    since the last complete extraction of it began (`since`; the first night: all of them).
    """

    platform: str
    kind: ShardKind
    key: str  # brand or topic id for mentions; brand id for accounts
    since: datetime
    until: datetime
    terms: tuple[str, ...] = ()  # phrases: brand name + aliases, or topic keywords
    hashtags: tuple[str, ...] = ()  # without '#'
    handles: tuple[str, ...] = ()  # mentions: handles whose @mentions count; accounts: the account
    exclude: tuple[str, ...] = ()
    owned: bool = False  # accounts shard of our own organisation

    @property
    def id(self) -> str:
        return f"{self.platform}.{self.kind}.{self.key}"

    @property
    def dirname(self) -> str:
        return f"{self.kind}-{self.key}"

    @property
    def account(self) -> str:
        return self.handles[0] if self.handles else ""


@dataclass
class Page:
    """One verbatim API response, ready to be landed in the raw zone."""

    endpoint: str  # logical name, e.g. "youtube.search.list", "x.tweets.search.recent"
    url: str  # request URL without secrets
    params: dict[str, Any]  # request parameters without secrets
    status: int
    body: Any  # parsed JSON, exactly as returned
    text: str  # verbatim response text (its sha256 is recorded)
    records: int  # items in this page (posts, videos, comments, profiles...)
    cursor: dict[str, Any] | None  # where to resume after this page; None = shard finished
    headers: dict[str, str] = field(default_factory=dict)  # rate-limit headers only
    # the text is exactly the body's JSON, so the envelope splices it in as received; False
    # for a body read from something else (a feed's XML, JSON that needed repairing)
    splice: bool = True

    @classmethod
    def from_fetched(cls, f: Fetched, *, endpoint: str, params: dict, cursor: dict | None,
                     splice: bool = True) -> Page:
        """The page of a response; its records counted by the endpoint's rule (extract.items),
        the one the raw gate checks them against."""
        keep = {k: v for k, v in f.headers.items()
                if "rate" in k.lower() or k.lower() in ("link", "retry-after")}
        return cls(endpoint, f.url, params, f.status, f.body, f.text, items.count(endpoint, f.body),
                   cursor, keep, splice)


@dataclass
class ConnectorContext:
    """What the runner gives a connector: credential, retry policy, budget, hooks."""

    platform: str
    config: PlatformConfig
    credential: str
    policy: RetryPolicy
    budget: Budget
    on_malformed: Callable[[Fetched, dict], None] = lambda fetched, meta: None
    user_agent: str = "carepulse/0.1 (social listening; +https://example.org/carepulse)"
    # where the connector may keep small state between nights (a feed's ETag); None: nowhere
    state_dir: Path | None = None

    def http_session(self, client: httpx.Client,
                     on_malformed: Callable[[Fetched, dict], None] | None = None) -> HttpSession:
        """The retrying session an httpx connector sends its requests through."""
        return HttpSession(self.platform, client, self.policy, self.budget,
                           on_malformed or self.on_malformed,
                           min_interval_s=self.config.min_request_interval_s)


class Connector(Protocol):
    platform: str

    def pages(self, shard: Shard, cursor: dict[str, Any] | None) -> Iterator[Page]:
        """Yield the shard's pages starting at `cursor` (None = from the beginning)."""
        ...

    def stats(self) -> dict[str, float]:
        """Requests, retries and seconds waited so far."""
        ...

    def close(self) -> None: ...
