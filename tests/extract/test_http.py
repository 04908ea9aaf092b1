"""The shared retry layer: waits it honours, errors it raises, budgets it keeps."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
import pytest

from carepulse.secrets import install_log_masking, register_secret
from extract.errors import AuthFailed, QuotaExhausted, RateLimitTooLong, ShardFailed
from extract.http import Budget, HttpSession, RetryPolicy, wait_hint

NOW = 1_800_000_000.0


def policy(**kw) -> RetryPolicy:
    waits: list[float] = []
    p = RetryPolicy(max_retries=3, backoff_base_s=1, backoff_max_s=8, max_wait_s=600,
                    sleep=waits.append, clock=lambda: NOW, **kw)
    p.waits = waits  # type: ignore[attr-defined]
    return p


def session(responses, **kw) -> tuple[HttpSession, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    client = httpx.Client(transport=httpx.MockTransport(handler))
    return HttpSession("x", client, policy(), Budget(kw.pop("budget", 100)), **kw), seen


@pytest.mark.parametrize(("headers", "expected"), [
    ({"Retry-After": "7"}, 7),
    ({"x-rate-limit-reset": str(int(NOW) + 42)}, 42),  # X: epoch seconds
    ({"RateLimit-Reset": str(int(NOW) + 5)}, 5),  # Bluesky: epoch seconds
    ({"X-Ratelimit-Reset": "312"}, 312),  # Reddit: seconds until reset
    ({"X-RateLimit-Reset": datetime.fromtimestamp(NOW + 90, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}, 90),
    ({"Retry-After": "Wed, 15 Jan 2027 08:00:00 GMT"}, None),  # HTTP date: relative to NOW
    ({}, None),
])
def test_wait_hint_reads_each_platforms_header(headers, expected):
    hint = wait_hint(headers, NOW)
    if headers.get("Retry-After", "").startswith("Wed"):
        assert hint == pytest.approx(datetime(2027, 1, 15, 8, tzinfo=UTC).timestamp() - NOW)
    else:
        assert hint == (pytest.approx(expected) if expected is not None else None)


def test_429_waits_for_the_hint_then_succeeds():
    s, seen = session([httpx.Response(429, headers={"Retry-After": "3"}, json={}),
                       httpx.Response(200, json={"data": [1]})])
    f = s.get("http://sim/x")
    assert f.body == {"data": [1]} and len(seen) == 2
    assert 3 <= s.policy.waits[0] < 3.1


def test_server_errors_back_off_then_give_up():
    s, seen = session([httpx.Response(503, text="busy")] * 4)
    with pytest.raises(ShardFailed, match="gave up after 4 attempts"):
        s.get("http://sim/x")
    assert len(seen) == 4 and len(s.policy.waits) == 3
    assert all(0 <= w <= 8 for w in s.policy.waits)


def test_timeouts_are_retried():
    s, _ = session([httpx.ReadTimeout("slow"), httpx.Response(200, json={"ok": 1})])
    assert s.get("http://sim/x").body == {"ok": 1} and s.retries == 1


def test_malformed_body_is_reported_then_retried():
    kept = []
    s, _ = session([httpx.Response(200, text='{"data": [1, 2'), httpx.Response(200, json={"data": []})],
                   on_malformed=lambda fetched, meta: kept.append(fetched.text))
    assert s.get("http://sim/x").body == {"data": []}
    assert kept == ['{"data": [1, 2']


def test_rate_limit_longer_than_max_wait_is_not_slept():
    s, _ = session([httpx.Response(429, headers={"Retry-After": "86400"}, json={})])
    with pytest.raises(RateLimitTooLong):
        s.get("http://sim/x")
    assert s.policy.waits == []


def test_quota_verdict_and_budget():
    s, _ = session([httpx.Response(429, json={"title": "UsageCapExceeded"})])
    with pytest.raises(QuotaExhausted):
        s.get("http://sim/x", verdict=lambda f: "quota")
    s2, seen = session([httpx.Response(200, json={})] * 3, budget=2)
    s2.get("http://sim/x")
    s2.get("http://sim/x")
    with pytest.raises(QuotaExhausted, match="budget"):
        s2.get("http://sim/x")
    assert len(seen) == 2


def test_auth_refreshes_once():
    s, seen = session([httpx.Response(401, json={}), httpx.Response(200, json={"ok": 1})])
    f = s.get("http://sim/x", headers={"Authorization": "Bearer old"},
              refresh_auth=lambda: {"Authorization": "Bearer new"})
    assert f.body == {"ok": 1} and seen[1].headers["Authorization"] == "Bearer new"
    s2, _ = session([httpx.Response(401, json={})] * 2)
    with pytest.raises(AuthFailed):
        s2.get("http://sim/x", refresh_auth=lambda: {})


def test_remaining_zero_delays_the_next_request():
    s, _ = session([httpx.Response(200, headers={"x-rate-limit-remaining": "0",
                                                 "x-rate-limit-reset": str(int(NOW) + 20)}, json={}),
                    httpx.Response(200, json={})])
    s.get("http://sim/x")
    s.get("http://sim/x")
    assert s.policy.waits == [pytest.approx(20)]


def test_secret_masked_in_errors_and_logs(caplog):
    token = "canary-bearer-token-XYZ-123456"
    register_secret(token)
    install_log_masking()
    s, _ = session([httpx.Response(500, text=f"echo {token}")] * 4)
    with caplog.at_level(logging.DEBUG), pytest.raises(ShardFailed) as err:
        s.get(f"http://sim/x?access_token={token}", headers={"Authorization": f"Bearer {token}"})
    assert token not in str(err.value)
    assert token not in caplog.text
