"""Shared HTTP behaviour for the httpx connectors: retries, backoff, rate limits, budgets.

Retries use exponential backoff with full jitter, and honour the platform's own wait
hints (Retry-After, or the reset header in whichever form the platform uses). Every
outcome that is not a usable page becomes one of the typed errors in `extract.errors`.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx

from carepulse.secrets import mask
from extract.errors import AuthFailed, QuotaExhausted, RateLimitTooLong, ShardFailed

log = logging.getLogger("extract.http")

Verdict = Literal["ok", "retry", "rate_limited", "quota", "auth", "fatal"]
RESET_HEADERS = ("retry-after", "x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset")
REMAINING_HEADERS = ("x-rate-limit-remaining", "ratelimit-remaining", "x-ratelimit-remaining")


@dataclass
class RetryPolicy:
    max_retries: int = 5
    backoff_base_s: float = 1.0
    backoff_max_s: float = 120.0
    max_wait_s: float = 900.0
    timeout_s: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=lambda: random.Random())

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for retry number `attempt` (0-based)."""
        return self.rng.uniform(0, min(self.backoff_max_s, self.backoff_base_s * 2**attempt))

    @classmethod
    def from_config(cls, extraction, **overrides) -> RetryPolicy:
        return cls(
            max_retries=extraction.max_retries,
            backoff_base_s=extraction.backoff_base_s,
            backoff_max_s=extraction.backoff_max_s,
            max_wait_s=extraction.max_wait_s,
            timeout_s=extraction.request_timeout_s,
            **overrides,
        )


@dataclass
class Budget:
    """Requests (or quota units) a platform may spend in one run; shared by its workers."""

    limit: int
    used: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def spend(self, units: int, platform: str) -> None:
        with self._lock:
            if self.used + units > self.limit:
                raise QuotaExhausted(
                    f"{platform}: request budget for this run is spent ({self.used}/{self.limit} units)"
                )
            self.used += units


@dataclass
class Fetched:
    """One HTTP exchange: status, verbatim text and parsed JSON (None when unparseable)."""

    status: int
    url: str  # masked
    text: str
    body: Any
    headers: dict[str, str]
    parse_error: str | None = None

    @property
    def raw_bytes(self) -> bytes:
        return self.text.encode("utf-8")


def parse_body(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except (json.JSONDecodeError, ValueError) as exc:
        return None, f"invalid JSON: {exc}"


def wait_hint(headers: httpx.Headers | dict, now: float) -> float | None:
    """Seconds the platform asks us to wait, from Retry-After or a reset header.

    Reset headers come as seconds-until (Reddit), epoch seconds (X, Bluesky) or an
    ISO-8601 timestamp (Mastodon); the value itself tells which.
    """
    h = {k.lower(): v for k, v in headers.items()}
    for name in RESET_HEADERS:
        value = h.get(name)
        if value is None:
            continue
        seconds = _parse_wait(value.strip(), now)
        if seconds is not None:
            return max(0.0, seconds)
    return None


def _parse_wait(value: str, now: float) -> float | None:
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        return number - now if number > 1_000_000_000 else number
    for parse in (lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")), parsedate_to_datetime):
        try:
            moment = parse(value)
        except (ValueError, TypeError):
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp() - now
    return None


def remaining_is_zero(headers: httpx.Headers | dict) -> bool:
    h = {k.lower(): v for k, v in headers.items()}
    for name in REMAINING_HEADERS:
        if name in h:
            try:
                return float(h[name]) <= 0
            except ValueError:
                return False
    return False


def default_verdict(f: Fetched) -> Verdict:
    """Generic mapping of an HTTP status to what to do; connectors refine it per platform."""
    if f.status == 429:
        return "rate_limited"
    if f.status in (401,):
        return "auth"
    if f.status >= 500 or f.status == 408:
        return "retry"
    if f.status >= 400:
        return "fatal"
    return "ok"


@dataclass
class HttpSession:
    """An httpx client plus the policy, budget and hooks one platform's connector uses."""

    platform: str
    client: httpx.Client
    policy: RetryPolicy
    budget: Budget
    on_malformed: Callable[[Fetched, dict], None] = lambda fetched, meta: None
    min_interval_s: float = 0.0  # politeness floor between requests (config min_request_interval_s)
    requests: int = 0
    retries: int = 0
    waited_s: float = 0.0
    _not_before: float = 0.0
    _last_sent: float = 0.0

    def get(
        self,
        url: str,
        *,
        params: dict | list | None = None,
        headers: dict | None = None,
        verdict: Callable[[Fetched], Verdict] = default_verdict,
        cost: int = 1,
        refresh_auth: Callable[[], dict] | None = None,
        method: str = "GET",
        json_body: Any = None,
        data: dict | None = None,
        endpoint: str = "",
        parse: Callable[[str], tuple[Any, str | None]] | None = None,
        hint: Callable[[Fetched], float | None] | None = None,
    ) -> Fetched:
        """Send a request until it yields a page, or raise a typed error. `parse` turns the
        response text into a body (JSON unless given: a feed's XML); `hint` reads a wait the
        platform asks for where no standard header says it (Meta's usage headers)."""
        headers = dict(headers or {})
        auth_refreshed = False
        attempt = 0
        while True:
            self._respect_not_before()
            self.budget.spend(cost, self.platform)
            fetched = self._send(method, url, params, headers, json_body, data, parse or parse_body)
            verdict_ = "retry" if fetched.status == -1 else verdict(fetched)
            if verdict_ == "ok" and fetched.parse_error:
                self.on_malformed(fetched, {"url": fetched.url, "attempt": attempt, "endpoint": endpoint})
                verdict_ = "retry"
            if verdict_ == "ok":
                self._note_rate_headers(fetched)
                return fetched
            if verdict_ == "quota":
                raise QuotaExhausted(f"{self.platform}: quota exhausted ({_summary(fetched)})")
            if verdict_ == "auth":
                if refresh_auth is not None and not auth_refreshed:
                    headers.update(refresh_auth())
                    auth_refreshed = True
                    continue
                raise AuthFailed(f"{self.platform}: authentication failed ({_summary(fetched)})")
            if verdict_ == "fatal":
                raise ShardFailed(f"{self.platform}: request rejected ({_summary(fetched)})")
            if attempt >= self.policy.max_retries:
                raise ShardFailed(
                    f"{self.platform}: gave up after {attempt + 1} attempts ({_summary(fetched)})"
                )
            wait = self._wait_for(fetched, verdict_, attempt, hint)
            log.warning(
                "%s: %s, retry %d/%d in %.1fs", self.platform, _summary(fetched), attempt + 1,
                self.policy.max_retries, wait,
            )
            self.retries += 1
            self._sleep(wait)
            attempt += 1

    def _send(self, method, url, params, headers, json_body, data, parse) -> Fetched:
        self._pace()
        self.requests += 1
        try:
            resp = self.client.request(
                method, url, params=params, headers=headers, json=json_body, data=data,
                timeout=self.policy.timeout_s,
            )
        except httpx.TransportError as exc:  # timeouts, resets, refused connections
            return Fetched(-1, mask(url), "", None, {}, f"{type(exc).__name__}: {mask(exc)}")
        text = resp.text
        body, error = parse(text) if text else ({}, None)
        return Fetched(resp.status_code, mask(str(resp.url)), text, body, dict(resp.headers), error)

    def _wait_for(self, fetched: Fetched, verdict_: Verdict, attempt: int,
                  platform_hint: Callable[[Fetched], float | None] | None = None) -> float:
        """Rate limits wait for the platform's reset; other retries back off, honouring only
        an explicit Retry-After (reset headers ride on every response and say nothing about
        when a 5xx will clear)."""
        headers = fetched.headers
        if verdict_ != "rate_limited":
            headers = {k: v for k, v in headers.items() if k.lower() == "retry-after"}
        hint = wait_hint(headers, self.policy.clock())
        if hint is None and verdict_ == "rate_limited" and platform_hint is not None:
            hint = platform_hint(fetched)
        if hint is not None and hint > self.policy.max_wait_s:
            raise RateLimitTooLong(
                f"{self.platform}: asked to wait {hint:.0f}s, more than max_wait_s="
                f"{self.policy.max_wait_s:.0f}s ({_summary(fetched)})"
            )
        if verdict_ == "rate_limited" and hint is not None:
            return hint + self.policy.rng.uniform(0, 0.05)
        return max(hint or 0.0, self.policy.backoff(attempt))

    def _pace(self) -> None:
        if self.min_interval_s:
            delay = self._last_sent + self.min_interval_s - self.policy.clock()
            if delay > 0:
                self._sleep(delay)
            self._last_sent = self.policy.clock()

    def _note_rate_headers(self, fetched: Fetched) -> None:
        if remaining_is_zero(fetched.headers):
            hint = wait_hint(fetched.headers, self.policy.clock())
            if hint:
                self._not_before = self.policy.clock() + min(hint, self.policy.max_wait_s)

    def _respect_not_before(self) -> None:
        delay = self._not_before - self.policy.clock()
        if delay > 0:
            self._sleep(delay)
        self._not_before = 0.0

    def _sleep(self, seconds: float) -> None:
        self.waited_s += seconds
        self.policy.sleep(seconds)


def _summary(f: Fetched) -> str:
    if f.status == -1:
        return f"{f.parse_error} for {f.url}"
    detail = f.parse_error or _error_text(f.body) or f.text[:200]
    return mask(f"HTTP {f.status} from {f.url}: {detail}")


def _error_text(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    err = body.get("error")
    if isinstance(err, dict):
        return str(err.get("message", ""))
    parts = [str(body[k]) for k in ("error", "title", "message", "detail") if k in body]
    errors = body.get("errors")
    if isinstance(errors, list):  # X: {"errors": [{"message": ...}], ...}
        parts += [str(e["message"]) for e in errors if isinstance(e, dict) and "message" in e]
    return " / ".join(parts)
