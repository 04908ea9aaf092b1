"""Injected failures: which requests go wrong, how, and how often. Thread-safe, deterministic.

A FaultPlan holds rules per platform ("*" applies to every platform). A rule counts the
requests it applies to; it skips the first `after` of them, then fires `times` times
(default 1). `quota` is the exception: once tripped it stays tripped until reset.

Rule kinds and parameters (JSON object, or `platform:kind:key=value:...` in a CLI spec):

    rate_limit        429 (YouTube: 403 rateLimitExceeded) with the platform's wait hint:
                      Retry-After or its reset header. `retry_after` seconds (default 2).
                      Meta: 400 with a throttling `code` (default 80001 Facebook, 80002
                      Instagram) and the wait, in whole minutes, in its usage header.
    server_error      5xx in the platform's error format. `status` (default 503).
    slow              sleep `delay_s` (default 2.0) before answering normally.
    truncated         200 with the first half of the real JSON body.
    malformed         200 with an HTML error page instead of JSON.
    quota             exhausted after `after` requests, or after `units` quota units
                      (YouTube search costs `search_cost`, default 100; everything else 1):
                      YouTube 403 quotaExceeded, X 429 UsageCapExceeded, others 429 with a
                      reset `reset_s` seconds away (default 86400). Permanent until reset.
    expired_token     the credential on the request is declared expired, and stays so:
                      Reddit/Mastodon/X 401, Bluesky 400 ExpiredToken, YouTube 400
                      API_KEY_INVALID. Fresh tokens (Reddit access_token, Bluesky sessions)
                      work again; `refresh=false` makes Bluesky's refreshSession fail too.
    empty_page_with_cursor
                      a paged endpoint answers an empty page that still carries a cursor for
                      the same position (spelled differently); the next page continues.
    api_error         the platform's own error for `code` (and `subcode`): Meta Graph API
                      error codes (190 token, 10/200 permission, 100 parameter, 1/2
                      transient, throttling codes...). Platforms without numbered errors
                      answer it as they answer `quota`.
    duplicate_item    page N's first item is repeated at the top of page N+1 (on Mastodon's
                      offset-paged search: offsets shift by one from page N+1 on, as when a
                      new status arrives mid-walk, so page N's last item repeats).

Rules are tried in order. The first one that fires and decides the answer (an error or a
damaged body) ends the evaluation, so later rules neither fire nor count that request;
`slow` only delays, so evaluation goes on past it. Every rule also takes `after`, `times`
and `path` (only requests whose path, after the
platform prefix, contains this text). Token and session endpoints (Reddit access_token,
Bluesky createSession/refreshSession) only see rules whose `path` names them.

Example spec: "youtube:quota:after=3,x:rate_limit:times=2:retry_after=1".
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import Any

from carepulse import sources

KINDS = (
    "rate_limit", "server_error", "slow", "truncated", "malformed", "quota", "expired_token",
    "empty_page_with_cursor", "duplicate_item", "api_error",
)
PAGE_KINDS = frozenset({"empty_page_with_cursor", "duplicate_item"})
BODY_KINDS = frozenset({"truncated", "malformed"})
PLATFORM_NAMES = (*sources.NAMES, "*")


class FaultSpecError(ValueError):
    """A fault rule or spec that cannot be understood."""


@dataclass
class FaultRule:
    kind: str
    after: int = 0
    times: int | None = 1  # None: unlimited
    retry_after: float = 2.0
    status: int = 503
    delay_s: float = 2.0
    units: int | None = None
    search_cost: int = 100
    reset_s: int = 86_400
    refresh: bool = True
    path: str | None = None
    code: int | None = None  # api_error, Meta's rate_limit: the platform's error code
    subcode: int | None = None
    seen: int = field(default=0, compare=False)
    fired: int = field(default=0, compare=False)
    spent: int = field(default=0, compare=False)
    tripped: bool = field(default=False, compare=False)

    _STATE = ("seen", "fired", "spent", "tripped")

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultSpecError(f"unknown fault kind {self.kind!r} (known: {', '.join(KINDS)})")
        if self.after < 0 or (self.times is not None and self.times < 0):
            raise FaultSpecError(f"{self.kind}: after and times must be >= 0")
        if self.kind == "server_error" and not 500 <= self.status <= 599:
            raise FaultSpecError(f"server_error: status must be 5xx, got {self.status}")
        if self.kind == "api_error" and self.code is None:
            raise FaultSpecError("api_error: needs the error `code` to answer")

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FaultRule:
        if not isinstance(raw, dict) or "kind" not in raw:
            raise FaultSpecError(f"a fault rule is an object with a 'kind', got {raw!r}")
        known = {f.name: f for f in fields(cls) if f.name not in cls._STATE}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise FaultSpecError(f"{raw.get('kind')}: unknown parameter(s) {unknown}")
        values = {k: _coerce(k, v) for k, v in raw.items()}
        if raw["kind"] == "quota" and "times" not in raw:
            values["times"] = None
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in self._STATE}
        out.update(seen=self.seen, fired=self.fired, tripped=self.tripped)
        return out

    def applies(self, path: str) -> bool:
        return self.path is None or self.path in path

    def count(self, cost: int = 1) -> bool:
        """Count one applicable request; True when the rule fires on it."""
        if self.kind == "quota":
            if not self.tripped:
                self.seen += 1
                self.spent += cost
                over = self.spent > self.units if self.units is not None else self.seen > self.after
                self.tripped = over
            if self.tripped:
                self.fired += 1
            return self.tripped
        self.seen += 1
        if self.seen > self.after and (self.times is None or self.fired < self.times):
            self.fired += 1
            return True
        return False


_INT_KEYS = {"after", "status", "units", "search_cost", "reset_s", "code", "subcode"}
_OPTIONAL_KEYS = {"units", "code", "subcode"}
_FLOAT_KEYS = {"retry_after", "delay_s"}


def _coerce(key: str, value: Any) -> Any:
    try:
        if key == "times":
            return None if value in (None, "none", "None", "inf") else int(value)
        if key in _INT_KEYS:
            return None if value is None and key in _OPTIONAL_KEYS else int(value)
        if key in _FLOAT_KEYS:
            return float(value)
        if key == "refresh":
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
    except (TypeError, ValueError):
        raise FaultSpecError(f"{key}: not a valid value: {value!r}") from None
    return value


@dataclass
class Decision:
    """What the fault plan wants done with one request."""

    delay_s: float = 0.0
    terminal: FaultRule | None = None  # answer with this error instead of the real response
    body: str | None = None  # "truncated" or "malformed": damage the real response


class FaultPlan:
    """Per-platform fault rules plus the state they need (expired credentials, repeats)."""

    def __init__(self, rules: dict[str, list[FaultRule]] | None = None):
        self._lock = threading.Lock()
        self._rules: dict[str, list[FaultRule]] = {}
        self._expired: set[tuple[str, str]] = set()
        self._dupes: dict[tuple[str, str], Any] = {}
        self._shifts: dict[tuple[str, str], int] = {}
        self.fired: dict[str, dict[str, int]] = {}
        if rules:
            self.replace(rules)

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def parse(cls, spec: str | None) -> FaultPlan:
        """`"youtube:quota:after=3,x:rate_limit:times=2:retry_after=1"` -> FaultPlan."""
        rules: dict[str, list[FaultRule]] = {}
        for chunk in (spec or "").split(","):
            chunk = chunk.strip()
            if not chunk:
                continue
            parts = chunk.split(":")
            if len(parts) < 2:
                raise FaultSpecError(f"{chunk!r}: expected platform:kind[:key=value...]")
            platform, kind = parts[0].strip(), parts[1].strip()
            raw: dict[str, Any] = {"kind": kind}
            for param in parts[2:]:
                key, sep, value = param.partition("=")
                if not sep:
                    raise FaultSpecError(f"{chunk!r}: parameter {param!r} is not key=value")
                raw[key.strip()] = value.strip()
            rules.setdefault(_platform(platform), []).append(FaultRule.from_dict(raw))
        return cls(rules)

    @classmethod
    def from_json(cls, body: Any) -> FaultPlan:
        """`{"youtube": [{"kind": "quota", "after": 3}], ...}` -> FaultPlan."""
        if not isinstance(body, dict):
            raise FaultSpecError("faults: expected an object {platform: [rule, ...]}")
        rules: dict[str, list[FaultRule]] = {}
        for platform, items in body.items():
            items = items if isinstance(items, list) else [items]
            rules[_platform(platform)] = [FaultRule.from_dict(item) for item in items]
        return cls(rules)

    def replace(self, rules: dict[str, list[FaultRule]] | FaultPlan) -> None:
        """Swap in a new rule set; expired credentials and page state are kept."""
        mapping = rules.rules() if isinstance(rules, FaultPlan) else rules
        with self._lock:
            self._rules = {_platform(p): list(rs) for p, rs in mapping.items() if rs}

    def add(self, platform: str, rule: FaultRule | dict[str, Any]) -> FaultRule:
        if isinstance(rule, dict):
            rule = FaultRule.from_dict(rule)
        with self._lock:
            self._rules.setdefault(_platform(platform), []).append(rule)
        return rule

    def clear(self) -> None:
        """Forget every rule and all fault state (the simulator's reset)."""
        with self._lock:
            self._rules = {}
            self._expired.clear()
            self._dupes.clear()
            self._shifts.clear()
            self.fired = {}

    def rules(self) -> dict[str, list[FaultRule]]:
        with self._lock:
            return {p: list(rs) for p, rs in self._rules.items()}

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rules": {p: [r.to_dict() for r in rs] for p, rs in self._rules.items()},
                "fired": {p: dict(k) for p, k in self.fired.items()},
                "expired_credentials": len(self._expired),
            }

    # -- deciding ---------------------------------------------------------------------------

    def _applicable(self, platform: str, path: str, *, special: bool) -> list[FaultRule]:
        rules = self._rules.get(platform, []) + self._rules.get("*", [])
        if special:  # token/session endpoints: only rules aimed at them
            return [r for r in rules if r.path is not None and r.path in path]
        return [r for r in rules if r.applies(path)]

    def _note(self, platform: str, kind: str) -> None:
        per = self.fired.setdefault(platform, {})
        per[kind] = per.get(kind, 0) + 1

    def on_request(self, platform: str, path: str, *, cost: int = 1, search: bool = False,
                   authed: bool = True, special: bool = False) -> Decision:
        """Count the request against the rules and say what to do with it."""
        decision = Decision()
        with self._lock:
            for rule in self._applicable(platform, path, special=special):
                if rule.kind in PAGE_KINDS or (rule.kind == "expired_token" and not authed):
                    continue
                units = (rule.search_cost if search else 1) if rule.units is not None else cost
                if not rule.count(units):
                    continue
                self._note(platform, rule.kind)
                if rule.kind == "slow":
                    decision.delay_s += rule.delay_s
                    continue
                if rule.kind in BODY_KINDS:
                    decision.body = rule.kind
                else:
                    decision.terminal = rule
                break
        return decision

    def page_fault(self, platform: str, path: str, kind: str) -> bool:
        """Whether a page-level fault (empty page, duplicate) fires on this page."""
        with self._lock:
            for rule in self._applicable(platform, path, special=False):
                if rule.kind == kind and rule.count():
                    self._note(platform, kind)
                    return True
        return False

    # -- state ------------------------------------------------------------------------------

    def is_expired(self, platform: str, credential: str | None) -> bool:
        if not credential:
            return False
        with self._lock:
            return (platform, credential) in self._expired

    def expire(self, platform: str, credential: str | None) -> None:
        if credential:
            with self._lock:
                self._expired.add((platform, credential))

    def refresh_allowed(self, platform: str) -> bool:
        """False while an expired_token rule with refresh=false has fired."""
        with self._lock:
            rules = self._rules.get(platform, []) + self._rules.get("*", [])
            return not any(r.kind == "expired_token" and not r.refresh and r.fired for r in rules)

    def push_duplicate(self, platform: str, cursor: str, item: Any) -> None:
        with self._lock:
            self._dupes[(platform, cursor)] = item

    def pop_duplicate(self, platform: str, cursor: str | None) -> Any:
        if cursor is None:
            return None
        with self._lock:
            return self._dupes.pop((platform, cursor), None)

    def add_shift(self, platform: str, query: str, from_offset: int) -> None:
        with self._lock:
            self._shifts[(platform, query)] = from_offset

    def shift(self, platform: str, query: str, offset: int) -> int:
        """Offset correction for offset-paged search after a duplicate_item fault."""
        with self._lock:
            start = self._shifts.get((platform, query))
        return -1 if start is not None and offset >= start else 0


def _platform(name: str) -> str:
    name = str(name).strip().lower()
    if name not in PLATFORM_NAMES:
        raise FaultSpecError(f"unknown platform {name!r} (known: {', '.join(PLATFORM_NAMES)})")
    return name
