"""Both gates over a real small warehouse: two nights extracted from the simulator by the real
connectors, the candidate built by dbt (models and seeds; dbt's own tests run in tests/dbt).

A clean night passes validate_raw and validate_marts and leaves results and Data Docs in the
run's audit folder; a bad X page landed through the same run/manifest code (the gate drill)
makes validate_raw raise ValidationFailed naming raw__x_tweets, with no planted value in the
evidence.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from carepulse.cli import DEMO_CREDENTIALS
from carepulse.config import load_config
from expectations import ValidationFailed, suites, validate_marts, validate_raw
from expectations.marts_frames import read_marts
from extract.http import RetryPolicy
from extract.runner import extract_night
from extract.simulator.server import SimulatorServer
from tests.conftest import CONFIG
from tests.expectations.conftest import land, tweets
from transform.build import candidate_path, dbt_args, run_dbt, start_candidate, write_config_json

pytestmark = pytest.mark.slow

PLATFORMS = ["youtube", "reddit", "mastodon", "bluesky", "x"]
PSEUDONYM_KEY = "test-pseudonym-key-for-the-gate-0123456789"
# X recent search only reaches 7 days back (from the real clock), so the nights are recent.
NIGHT = (datetime.now(UTC) - timedelta(days=2)).date()
NIGHTS = [NIGHT - timedelta(days=1), NIGHT]
CANARY = "Jane Roe DOB 04/12/1961"


def fast_policy() -> RetryPolicy:
    return RetryPolicy(max_retries=4, backoff_base_s=0.01, backoff_max_s=0.05, max_wait_s=120,
                       timeout_s=5, sleep=lambda s: None)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    home = tmp_path_factory.mktemp("gate") / "home"
    names = ("CAREPULSE_HOME", "CAREPULSE_PSEUDONYM_KEY", "CAREPULSE_SIMULATOR_URL", "DO_NOT_TRACK")
    saved = {k: os.environ.get(k) for k in names}
    os.environ.update(CAREPULSE_HOME=str(home), CAREPULSE_PSEUDONYM_KEY=PSEUDONYM_KEY, DO_NOT_TRACK="1")
    config = load_config(CONFIG)
    for platform in PLATFORMS:
        os.environ.setdefault(getattr(config.config.platforms, platform).credential_env,
                              DEMO_CREDENTIALS[platform])
    try:
        with SimulatorServer(config.config, seed=11, mentions_per_night=200, port=0) as sim:
            os.environ["CAREPULSE_SIMULATOR_URL"] = sim.url
            config = load_config(CONFIG)  # endpoints now point at this simulator
            for night in NIGHTS:
                sim.set_clock(datetime.combine(night + timedelta(days=1), datetime.min.time(), UTC)
                              + timedelta(hours=2))
                extract_night(config, night, home / "raw", policy_factory=fast_policy)
        write_config_json(config, home)
        start_candidate(home)
        # models and seeds only: dbt's tests are the dbt suite's business, and slow
        args = dbt_args("build", night=None, select=None, full_refresh=False)
        run_dbt([*args, "--exclude-resource-type", "test", "unit_test", "--quiet"], home)
        yield SimpleNamespace(home=home, config=config)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_a_clean_night_passes_the_raw_gate(built):
    audit = built.home / "audit" / "run-clean"
    report = validate_raw(built.home, NIGHT, audit, built.config)
    assert report.success and set(report.suites) == set(suites.RAW)
    assert report.results_path.parent == audit and report.docs_index == audit / "data_docs/raw/index.html"
    assert json.loads(report.results_path.read_text())["success"] is True
    assert report.docs_index.exists()


def test_the_candidate_passes_the_marts_gate(built):
    audit = built.home / "audit" / "run-clean"
    report = validate_marts(candidate_path(built.home), audit, built.config, NIGHT)
    assert report.success and set(report.suites) == set(suites.MARTS)
    assert report.docs_index == audit / "data_docs/marts/index.html" and report.docs_index.exists()
    assert json.loads(report.results_path.read_text())["night"] == NIGHT.isoformat()


def test_the_reconciliation_counts_real_rows(built):
    frames = read_marts(candidate_path(built.home), built.home / "raw", built.config, NIGHT)
    counts = frames.frames["marts__reconciliation"].set_index("platform")
    assert set(counts.index) == set(PLATFORMS)
    assert (counts["raw_posts"] > 0).all() and counts.loc["youtube", "raw_comments"] > 0
    assert counts["fct_mentions"].sum() > 100 and frames.night == NIGHT


def test_a_bad_x_page_fails_the_raw_gate(built, tmp_path):
    shutil.copytree(built.home / "raw", tmp_path / "raw")  # the drill must not touch the shared zone
    bad = tweets(3, NIGHT)
    bad["data"][0]["id"] = None
    bad["data"][1]["public_metrics"]["like_count"] = -5
    bad["data"][2]["lang"] = CANARY
    land(tmp_path / "raw", built.config, NIGHT, {"drill": [bad]})
    with pytest.raises(ValidationFailed) as caught:
        validate_raw(tmp_path, NIGHT, tmp_path / "audit" / "run-drill", built.config)
    report = caught.value.report
    assert [name for name, ok in report.suites.items() if not ok] == ["raw__x_tweets"]
    message = str(caught.value)
    for expected in ("expect_column_values_to_not_be_null(column=tweet_id)",
                     "expect_column_values_to_be_between(column=like_count)",
                     "expect_column_values_to_match_regex(column=lang)"):
        assert f"raw__x_tweets: {expected}" in message
    evidence = [report.results_path, *report.docs_index.parent.rglob("*.html")]
    assert not [p for p in evidence if CANARY in p.read_text()] and CANARY not in message
