"""The real connectors against the simulator: whole nights, every injected fault, secrets.

Each fault has a documented outcome (DECISIONLOG.md, "Failure handling"): transient faults
are survived with nothing lost (the set of items equals a clean run's); quota and
unrecoverable auth faults leave the platform partial with what was fetched kept.
"""

from __future__ import annotations

import gzip
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from carepulse import sources
from carepulse.config import load_config
from carepulse.demo import DEMO_CREDENTIALS
from carepulse.secrets import install_log_masking
from extract.http import RetryPolicy
from extract.items import manifest_items
from extract.runner import extract_night
from extract.simulator.server import SimulatorServer
from tests.conftest import CONFIG

NIGHT = (datetime.now(UTC) - timedelta(days=2)).date()
CLOCK = datetime.combine(NIGHT + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=2)
PLATFORMS = list(sources.NAMES)
CANARY = {
    "youtube": "AIzaSyCANARY-youtube-key-0000000000000",
    "reddit": "canary_client:canary_secret_999",
    "mastodon": "canary-mastodon-token-MST-987654",
    "bluesky": "canary.bsky.social:canary-app-pass-4444",
    "x": "canary-bearer-token-XYZ-123456",
    "gbp": "canary-gbp-client:canary-gbp-secret-5555:sim-refresh-canary-gbp-6666",
    "facebook": "EAAcanaryFbPageToken7777:canaryfbappsecret8888",
    "instagram": "IGQcanaryIgToken9999:canaryigappsecret1212",
}


@pytest.fixture(scope="module")
def sim(loaded_config):
    with SimulatorServer(loaded_config.config, seed=11, mentions_per_night=400, port=0,
                         clock=CLOCK) as server:
        yield server


@pytest.fixture
def cfg(sim, monkeypatch):
    monkeypatch.setenv("CAREPULSE_SIMULATOR_URL", sim.url)
    for platform in PLATFORMS:
        env = getattr(load_config(CONFIG).config.platforms, platform).credential_env
        monkeypatch.setenv(env, DEMO_CREDENTIALS[platform])
    httpx.post(f"{sim.url}/_sim/reset")
    return load_config(CONFIG)


def fast_policy(**kw):
    """Real retry logic, but no real sleeping and a short timeout for the slow fault."""
    return lambda: RetryPolicy(max_retries=4, backoff_base_s=0.01, backoff_max_s=0.05,
                               max_wait_s=120, timeout_s=kw.get("timeout_s", 5), sleep=lambda s: None)


def set_faults(sim, rules: dict) -> None:
    r = httpx.post(f"{sim.url}/_sim/faults", json=rules)
    r.raise_for_status()


def run(cfg, tmp_path, platforms=None, name="raw", **kw):
    raw = tmp_path / name
    summary = extract_night(cfg, NIGHT, raw, platforms, policy_factory=fast_policy(**kw))
    return raw, summary.manifest


@pytest.fixture(scope="module")
def clean(sim, tmp_path_factory, loaded_config):
    """One clean night per platform, the reference every fault run is compared with."""
    import os
    tmp = tmp_path_factory.mktemp("clean")
    os.environ["CAREPULSE_SIMULATOR_URL"] = sim.url
    for platform in PLATFORMS:
        env = getattr(loaded_config.config.platforms, platform).credential_env
        os.environ.setdefault(env, DEMO_CREDENTIALS[platform])
    cfg = load_config(CONFIG)
    httpx.post(f"{sim.url}/_sim/reset")
    raw, m = run(cfg, tmp)
    return {p: {k for k in manifest_items(raw, m) if k.startswith(f"{p}:")} for p in PLATFORMS}, m


def test_clean_night_every_platform_lands_items(clean):
    items, m = clean
    assert m["status"] == "complete", m["partial_reasons"]
    for platform in PLATFORMS:
        assert items[platform], f"no items from {platform}"
    assert m["totals"]["malformed_pages"] == 0


TRANSIENT = {
    "rate_limit": {"kind": "rate_limit", "times": 2, "retry_after": 1},
    "server_error": {"kind": "server_error", "status": 503, "times": 2},
    "truncated": {"kind": "truncated", "times": 1},
    "malformed": {"kind": "malformed", "times": 1},
    "empty_page_with_cursor": {"kind": "empty_page_with_cursor", "times": 1},
    "duplicate_item": {"kind": "duplicate_item", "times": 1},
}


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("fault", sorted(TRANSIENT))
def test_transient_faults_lose_nothing(cfg, sim, clean, tmp_path, platform, fault):
    set_faults(sim, {platform: [TRANSIENT[fault]]})
    raw, m = run(cfg, tmp_path, [platform])
    assert m["status"] == "complete", m["partial_reasons"]
    assert {k for k in manifest_items(raw, m)} == clean[0][platform]
    if fault in ("truncated", "malformed"):
        assert m["totals"]["malformed_pages"] == 1
    if fault in ("rate_limit", "server_error"):
        assert m["requests"][platform]["retries"] >= 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_slow_response_times_out_and_is_retried(cfg, sim, clean, tmp_path, platform):
    set_faults(sim, {platform: [{"kind": "slow", "delay_s": 1.5, "times": 1}]})
    raw, m = run(cfg, tmp_path, [platform], timeout_s=0.5)
    assert m["status"] == "complete", m["partial_reasons"]
    assert set(manifest_items(raw, m)) == clean[0][platform]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_quota_exhaustion_keeps_pages_and_flags_partial(cfg, sim, clean, tmp_path, platform):
    set_faults(sim, {platform: [{"kind": "quota", "after": 3}]})
    raw, m = run(cfg, tmp_path, [platform])
    assert m["status"] == "partial"
    kept = set(manifest_items(raw, m))
    assert kept and kept < clean[0][platform]
    stopped = [s for s in m["shards"].values() if s["status"] == "partial" and s["resume_cursor"]]
    assert stopped or any(s["pages"] == 0 for s in m["shards"].values())
    kinds = {s["reason_kind"] for s in m["shards"].values() if s["status"] == "partial"}
    assert kinds <= {"quota_exhausted", "rate_limited", "skipped"}

    # the next day the quota is back: a continuation run completes the night
    httpx.post(f"{sim.url}/_sim/reset")
    summary = extract_night(cfg, NIGHT, raw, [platform], policy_factory=fast_policy())
    assert summary.manifest["status"] == "complete"
    assert kept | set(manifest_items(raw, summary.manifest)) == clean[0][platform]


@pytest.mark.parametrize(("platform", "outcome"), [
    ("reddit", "complete"), ("bluesky", "complete"),  # these refresh their token
    ("x", "partial"), ("mastodon", "partial"), ("youtube", "partial"),
    ("facebook", "partial"), ("instagram", "partial"),  # a page token is replaced, not refreshed
])
def test_expired_token(cfg, sim, clean, tmp_path, platform, outcome):
    set_faults(sim, {platform: [{"kind": "expired_token", "after": 2}]})
    raw, m = run(cfg, tmp_path, [platform])
    assert m["status"] == outcome, m["partial_reasons"]
    if outcome == "complete":
        assert set(manifest_items(raw, m)) == clean[0][platform]
    else:
        kinds = {s["reason_kind"] for s in m["shards"].values() if s["status"] == "partial"}
        assert kinds <= {"auth_failed", "skipped"} and "auth_failed" in kinds


def test_canary_secrets_never_leak(sim, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("CAREPULSE_SIMULATOR_URL", sim.url)
    cfg = load_config(CONFIG)
    for platform, value in CANARY.items():
        monkeypatch.setenv(getattr(cfg.config.platforms, platform).credential_env, value)
    httpx.post(f"{sim.url}/_sim/reset")
    set_faults(sim, {p: [{"kind": "server_error", "status": 500, "times": 1},
                         {"kind": "rate_limit", "times": 1, "retry_after": 1},
                         {"kind": "expired_token", "after": 4}] for p in PLATFORMS})
    install_log_masking()
    with caplog.at_level(logging.DEBUG):
        run(cfg, tmp_path)
    httpx.post(f"{sim.url}/_sim/reset")
    set_faults(sim, {"youtube": [{"kind": "quota", "after": 1}], "x": [{"kind": "quota", "after": 1}]})
    with caplog.at_level(logging.DEBUG):
        run(cfg, tmp_path, name="raw2")
    texts = [caplog.text]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            texts.append((gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", "replace"))
    secrets = [*CANARY.values(), "canary_secret_999", "canary-app-pass-4444", "EAAcanaryFbPageToken7777",
               "canaryfbappsecret8888", "IGQcanaryIgToken9999", "canaryigappsecret1212"]
    leaks = [s for s in secrets for t in texts if s in t]
    assert not leaks
    assert len(texts) > 10
