"""Both gates over a real small warehouse: the shared `published_world` (two nights extracted
from the simulator by the real connectors and built by dbt through `carepulse run`).

A clean night passes validate_raw and validate_marts and leaves results and Data Docs in the
run's audit folder; a bad X page landed through the same run/manifest code (the gate drill)
makes validate_raw raise ValidationFailed naming raw__x_tweets, with no planted value in the
evidence. Evidence goes to tmp_path: the shared world stays as it was.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from types import SimpleNamespace

import pytest

from carepulse import sources
from carepulse.config import load_config
from expectations import ValidationFailed, suites, validate_marts, validate_raw
from expectations.marts_frames import read_marts
from tests.conftest import CONFIG
from tests.expectations.conftest import land, tweets
from transform.build import published_path

pytestmark = pytest.mark.slow

PLATFORMS = list(sources.NAMES)
CANARY = "Jane Roe DOB 04/12/1961"


@pytest.fixture(scope="module")
def built(published_world):
    return SimpleNamespace(home=published_world["home"], config=load_config(CONFIG),
                           night=published_world["nights"][-1])


def test_a_clean_night_passes_the_raw_gate(built, tmp_path):
    audit = tmp_path / "run-clean"
    report = validate_raw(built.home, built.night, audit, built.config)
    assert report.success and set(report.suites) == set(suites.RAW)
    assert report.results_path.parent == audit and report.docs_index == audit / "data_docs/raw/index.html"
    assert json.loads(report.results_path.read_text())["success"] is True
    assert report.docs_index.exists()


def test_the_candidate_passes_the_marts_gate(built, tmp_path):
    audit = tmp_path / "run-clean"
    report = validate_marts(published_path(built.home), audit, built.config, built.night)
    assert report.success and set(report.suites) == set(suites.MARTS)
    assert report.docs_index == audit / "data_docs/marts/index.html" and report.docs_index.exists()
    assert json.loads(report.results_path.read_text())["night"] == built.night.isoformat()


def test_the_reconciliation_counts_real_rows(built):
    frames = read_marts(published_path(built.home), built.home / "raw", built.config, built.night)
    counts = frames.frames["marts__reconciliation"].set_index("platform")
    assert set(counts.index) == set(PLATFORMS)
    assert (counts["raw_posts"] > 0).all() and counts.loc["youtube", "raw_comments"] > 0
    assert counts["fct_mentions"].sum() > 100 and frames.night == built.night


def test_a_bad_x_page_fails_the_raw_gate(built, tmp_path):
    shutil.copytree(built.home / "raw", tmp_path / "raw")  # the drill must not touch the shared zone
    bad = tweets(3, built.night)
    bad["data"][0]["id"] = None
    bad["data"][1]["public_metrics"]["like_count"] = -5
    bad["data"][2]["lang"] = CANARY
    land(tmp_path / "raw", built.config, built.night, {"drill": [bad]})
    with pytest.raises(ValidationFailed) as caught:
        validate_raw(tmp_path, built.night, tmp_path / "audit" / "run-drill", built.config)
    report = caught.value.report
    assert [name for name, ok in report.suites.items() if not ok] == ["raw__x_tweets"]
    message = str(caught.value)
    for expected in ("expect_column_values_to_not_be_null(column=tweet_id)",
                     "expect_column_values_to_be_between(column=like_count)",
                     "expect_column_values_to_match_regex(column=lang)"):
        assert f"raw__x_tweets: {expected}" in message
    evidence = [report.results_path, *report.docs_index.parent.rglob("*.html")]
    assert not [p for p in evidence if CANARY in p.read_text()] and CANARY not in message


def test_a_backfill_gates_its_nights_in_parallel_and_records_every_failed_night(built, tmp_path):
    """nightly.validate_raw spreads several nights over spawned processes; the verdicts, the
    per-night evidence and gate.json are what one process would give."""
    from carepulse import nightly

    nights = sorted(built.night - timedelta(days=d) for d in (1, 0))
    home = tmp_path / "home"
    shutil.copytree(built.home / "raw", home / "raw")
    passed = nightly.validate_raw(built.config, home, nights, tmp_path / "run-ok")
    assert passed == {"success": True, "suites": 2 * len(suites.RAW), "failures": []}
    assert all((tmp_path / "run-ok" / f"raw-{n}" / "gx_raw_results.json").exists() for n in nights)

    bad = tweets(1, nights[-1])
    bad["data"][0]["id"] = None
    land(home / "raw", built.config, nights[-1], {"drill": [bad]})
    with pytest.raises(ValidationFailed) as caught:
        nightly.validate_raw(built.config, home, nights, tmp_path / "run-bad")
    assert caught.value.report.night == nights[-1]
    gate = json.loads((tmp_path / "run-bad" / "gate.json").read_text())
    assert gate["passed"] is False
    assert {f.split(":")[0] for f in gate["stages"]["raw"]["failures"]} == {nights[-1].isoformat()}
