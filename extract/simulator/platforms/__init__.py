"""What every simulated platform shares: requests, responses, routing, paging, formats.

Each platform module defines a `Platform` subclass that routes its paths to handlers and
renders its own error bodies and rate-limit headers; `extract.simulator.server` applies
faults, counts and writes the response.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from extract.simulator import jsontext
from extract.simulator.faults import FaultPlan, FaultRule

if TYPE_CHECKING:
    from extract.simulator.query import ResultSet
    from extract.simulator.world import Post, World

HTML_ERROR_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body><center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n"
    "</body></html>\n"
)


@dataclass
class Request:
    method: str
    path: str  # after the platform prefix, without the query string
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    base_url: str  # scheme://host-as-requested/<platform>
    now_ms: int  # the simulator clock when the request arrived

    @classmethod
    def build(cls, method: str, path: str, raw_query: str, headers: Message, body: bytes,
              base_url: str, now_ms: int) -> Request:
        query = parse_qs(raw_query, keep_blank_values=True)
        return cls(method, path, query, headers, body, base_url, now_ms)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """Repeated keys and comma lists alike: `part=a&part=b` == `part=a%2Cb`."""
        out: list[str] = []
        for value in self.query.get(name, []) + self.query.get(f"{name}[]", []):
            out.extend(v.strip() for v in value.split(",") if v.strip())
        return out

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def bearer(self) -> str | None:
        value = (self.header("Authorization") or "").strip()
        scheme, _, token = value.partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return None


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    items: int = 0


def dumps(obj: Any, *, style: str = "compact") -> bytes:
    """JSON as the platform writes it: compact, python-spaced (Reddit) or pretty (Google).

    `Raw` parts (items rendered from a `Template`) are written as they are.
    """
    return jsontext.dumps(obj, style).encode("utf-8")


def json_response(obj: Any, status: int = 200, *, style: str = "compact",
                  content_type: str = "application/json; charset=utf-8",
                  headers: list[tuple[str, str]] | None = None, items: int = 0) -> Response:
    return Response(status, dumps(obj, style=style), content_type, list(headers or []), items)


@dataclass(frozen=True)
class Endpoint:
    name: str
    handler: Callable[[Request], Response]
    authed: bool = True  # the request must carry a credential
    special: bool = False  # token/session endpoints: faults only when aimed at them
    search: bool = False  # costs the search price on YouTube


@dataclass
class Context:
    """What handlers may use: the world, the fault plan, the clock."""

    world: World
    faults: FaultPlan
    now_ms: Callable[[], int]


class RateWindow:
    """A fixed window on the wall clock, for realistic rate-limit headers.

    Natural limits are advisory: when a window is used up it restarts early instead of
    answering 429, so a long benchmark never waits; 429s come from `rate_limit` faults.
    """

    def __init__(self, limit: int, window_s: int):
        self.limit = limit
        self.window_s = window_s
        self._lock = threading.Lock()
        self._start = 0.0
        self.used = 0

    def hit(self) -> tuple[int, int, float]:
        """Count one request: (used, remaining, window end as epoch seconds)."""
        now = time.time()
        with self._lock:
            aligned = now - now % self.window_s
            if aligned != self._start or self.used >= self.limit - 1:
                self._start, self.used = aligned, 0
            self.used += 1
            return self.used, self.limit - self.used, self._start + self.window_s

    def peek(self) -> tuple[int, int, float]:
        now = time.time()
        with self._lock:
            end = (self._start or now - now % self.window_s) + self.window_s
            return self.used, max(0, self.limit - self.used), max(end, now + 1)

    def reset(self) -> None:
        with self._lock:
            self._start, self.used = 0.0, 0


class Platform(ABC):
    """Base class: routing, credentials, error rendering and paging for one platform."""

    name = ""
    rate: RateWindow

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.world = ctx.world
        self.faults = ctx.faults

    # -- to override ------------------------------------------------------------------------

    @abstractmethod
    def route(self, req: Request) -> Endpoint | None:
        ...

    def credential(self, req: Request) -> str | None:
        return req.bearer()

    @abstractmethod
    def unauthorized(self, req: Request) -> Response:
        ...

    @abstractmethod
    def expired(self, req: Request) -> Response:
        ...

    @abstractmethod
    def not_found(self, req: Request) -> Response:
        ...

    @abstractmethod
    def rate_limited(self, req: Request, rule: FaultRule) -> Response:
        ...

    @abstractmethod
    def server_error(self, req: Request, rule: FaultRule) -> Response:
        ...

    @abstractmethod
    def quota_exhausted(self, req: Request, rule: FaultRule) -> Response:
        ...

    def admit(self, req: Request, endpoint: Endpoint) -> Response | None:
        """A last check before the handler runs (YouTube spends quota here)."""
        return None

    def rate_headers(self, req: Request, response: Response) -> list[tuple[str, str]]:
        return []

    def reset(self) -> None:
        if hasattr(self, "rate"):
            self.rate.reset()

    # -- shared -----------------------------------------------------------------------------

    def malformed(self) -> Response:
        return Response(200, HTML_ERROR_PAGE.encode(), "text/html; charset=utf-8")

    def older_page(self, req: Request, results: ResultSet, cursor: str | None, limit: int,
                   top: int, codec: Codec) -> tuple[list[Post], str | None]:
        """One page of `results` strictly older than the cursor (newest first), with the
        cursor for the next page (None at the end), honouring the page-level faults."""
        threshold = top if cursor is None else min(codec.decode(cursor), top)
        if self.faults.page_fault(self.name, req.path, "empty_page_with_cursor"):
            return [], codec.respell(cursor if cursor is not None else codec.encode(top))
        items, more = results.older_than(threshold, limit)
        next_cursor = codec.encode(items[-1].key) if more and items else None
        repeat = self.faults.pop_duplicate(self.name, cursor)
        if next_cursor is not None and self.faults.page_fault(self.name, req.path,
                                                              "duplicate_item"):
            self.faults.push_duplicate(self.name, next_cursor, items[0])
        if repeat is not None:
            items = [repeat, *items]
        return items, next_cursor


class Codec:
    """Spells a paging threshold ("strictly older than key T") as a cursor string.

    `respell` gives a different string for the same position, so an empty page can carry
    a cursor without it being the one the client just sent.
    """

    @abstractmethod
    def encode(self, threshold: int) -> str:
        ...

    @abstractmethod
    def decode(self, text: str) -> int:
        ...

    @abstractmethod
    def respell(self, text: str) -> str:
        ...


class BadCursor(ValueError):
    """A cursor/page token the platform would reject."""


class OpaqueCodec(Codec):
    """Opaque tokens (YouTube, Bluesky, X): urlsafe base64 of the threshold and a variant."""

    def __init__(self, prefix: str, *, alphabet: str = "b64"):
        self.prefix = prefix
        self.alphabet = alphabet

    def encode(self, threshold: int, variant: int = 0) -> str:
        raw = threshold.to_bytes(9, "big") + bytes([variant])
        if self.alphabet == "b36":
            return self.prefix + _to_b36(int.from_bytes(raw, "big"))
        return self.prefix + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _raw(self, text: str) -> bytes:
        if not text.startswith(self.prefix):
            raise BadCursor(text)
        body = text[len(self.prefix):]
        try:
            if self.alphabet == "b36":
                return int(body, 36).to_bytes(10, "big")
            return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, OverflowError):
            raise BadCursor(text) from None

    def decode(self, text: str) -> int:
        raw = self._raw(text)
        if len(raw) != 10:
            raise BadCursor(text)
        return int.from_bytes(raw[:9], "big")

    def respell(self, text: str) -> str:
        raw = self._raw(text)
        return self.encode(int.from_bytes(raw[:9], "big"), raw[9] ^ 1)


def _to_b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    while True:
        n, r = divmod(n, 36)
        out.append(digits[r])
        if not n:
            return "".join(reversed(out))


# -- time formats -------------------------------------------------------------------------------
# Every item carries a few timestamps; strftime per stamp was a noticeable share of a page,
# so the date part is formatted once per day and the time of day looked up.


@cache  # a few thousand days at most (account creation dates span ~16 years)
def _day_stamp(day: int) -> str:
    return datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%d")


_CLOCK = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]


def _seconds_stamp(seconds: int) -> str:
    """`2026-11-20T14:03:11` for epoch seconds."""
    day, rest = divmod(seconds, 86_400)
    return f"{_day_stamp(day)}T{_CLOCK[rest]}"


def iso_date(ms: int) -> str:
    """`2026-11-20`."""
    return _day_stamp(ms // 86_400_000)


def iso_z(ms: int) -> str:
    """`2026-11-20T14:03:11Z` (YouTube)."""
    return _seconds_stamp(ms // 1000) + "Z"


def iso_millis(ms: int) -> str:
    """`2026-11-20T14:03:11.901Z` (Mastodon, Bluesky, X)."""
    return f"{_seconds_stamp(ms // 1000)}.{ms % 1000:03d}Z"


def iso_micros(epoch_s: float) -> str:
    """`2026-11-27T19:00:00.000000Z` (Mastodon's X-RateLimit-Reset)."""
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str | None) -> int | None:
    """RFC 3339 or YYYY-MM-DD -> epoch ms; None when absent or unparseable."""
    if not text:
        return None
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        value += "T00:00:00+00:00"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def missing_headers(response: Response, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` minus those the response already carries (error renderers set their own)."""
    present = {name.lower() for name, _ in response.headers}
    return [(n, v) for n, v in headers if n.lower() not in present]


def etag(*parts: Any) -> str:
    import hashlib

    digest = hashlib.blake2b(repr(parts).encode(), digest_size=21).digest()
    return base64.urlsafe_b64encode(digest).decode()[:27]


# -- text entities --------------------------------------------------------------------------------

URL_RE = re.compile(r"https?://[^\s<>\"]+")
HASHTAG_RE = re.compile(r"(?<![\w#&])#(\w*[^\W\d_]\w*)")


def find_urls(text: str) -> list[tuple[int, int, str]]:
    if "://" not in text:  # most posts have no link: skip the regex
        return []
    out = []
    for m in URL_RE.finditer(text):
        url = m.group(0).rstrip(".,;:!?)'")
        out.append((m.start(), m.start() + len(url), url))
    return out


def find_hashtags(text: str) -> list[tuple[int, int, str]]:
    """(start, end, tag without '#'); '#123' is not a hashtag on any platform."""
    if "#" not in text:
        return []
    return _outside_urls(text, [(m.start(), m.end(), m.group(1))
                                for m in HASHTAG_RE.finditer(text)])


def find_mentions(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int, str]]:
    """Every platform's mention pattern needs an '@'."""
    if "@" not in text:
        return []
    return _outside_urls(text, [(m.start(), m.end(), m.group(1)) for m in pattern.finditer(text)])


def _outside_urls(text: str, found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The matches that do not start inside a link."""
    if not found:
        return found
    taken = [(s, e) for s, e, _ in find_urls(text)]
    return [f for f in found if not any(s <= f[0] < e for s, e in taken)]


def utf8_offsets(text: str) -> Callable[[int], int]:
    """Character index -> UTF-8 byte offset, for Bluesky facets."""
    def offset(index: int) -> int:
        return len(text[:index].encode("utf-8"))
    return offset


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def html_entities(text: str) -> str:
    """Google's search snippet escaping: & < > " and ' (as &#39;)."""
    return (html_escape(text).replace('"', "&quot;").replace("'", "&#39;"))
