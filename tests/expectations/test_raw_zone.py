"""validate_raw over hand-made raw zones landed with the extractor's own run and manifest code.

Which pages are current (reruns supersede, continuations add), the volume band against
previous nights, and the gate drill in small: a good night passes, a planted bad page or a
tampered file makes validate_raw raise ValidationFailed naming the suite.
"""

from __future__ import annotations

import gzip
import json
import os
from datetime import date, timedelta

import pytest

from expectations import ValidationFailed, validate_raw
from expectations.raw_frames import read_raw
from expectations.raw_zone import RawNight
from tests.expectations.conftest import land, tweets

NIGHT = date(2026, 11, 26)
ENDPOINTS = ("x.tweets.search.recent",)


def test_a_fresh_rerun_supersedes_the_night(x_only, tmp_path):
    raw = tmp_path / "raw"
    first = land(raw, x_only, NIGHT, {"a": [tweets(2, NIGHT)], "b": [tweets(1, NIGHT, 50)]})
    rerun = land(raw, x_only, NIGHT, {"a": [tweets(3, NIGHT)], "b": [tweets(1, NIGHT, 50)]})
    night = RawNight(raw, NIGHT)
    assert night.current_records(ENDPOINTS) == 4
    assert {f.run_id for f in night.files() if f.current} == {rerun.run_id}
    assert {f.run_id for f in night.files() if not f.current} == {first.run_id}
    assert night.platform_status("x") == "complete"
    assert night.platform_totals("x") == {"runs": 2, "pages": 4, "malformed_pages": 0, "records": 7}


def test_a_continuation_adds_to_the_partial_run(x_only, tmp_path):
    raw = tmp_path / "raw"
    partial = land(raw, x_only, NIGHT, {"a": [tweets(2, NIGHT)]}, status="partial")
    assert RawNight(raw, NIGHT).platform_status("x") == "partial"
    land(raw, x_only, NIGHT, {"a": [tweets(1, NIGHT, 10)]}, continues=partial,
         cursors={"x.mentions.a": {"next_token": "t"}})
    night = RawNight(raw, NIGHT)
    assert night.current_records(ENDPOINTS) == 3
    assert all(f.current for f in night.files())
    assert night.platform_status("x") == "complete"


def test_a_good_night_passes(x_only, tmp_path):
    land(tmp_path / "raw", x_only, NIGHT, {"a": [tweets(3, NIGHT)], "b": [tweets(2, NIGHT, 10)]})
    report = validate_raw(tmp_path, NIGHT, tmp_path / "audit" / "run-1", x_only)
    assert report.success and set(report.suites) == {"raw__x_tweets", "raw__pages", "raw__platforms"}
    assert report.results_path.exists() and report.docs_index and report.docs_index.exists()
    assert any("lenient" in note for note in report.notes)


def test_a_planted_bad_page_fails_the_gate(x_only, tmp_path):
    land(tmp_path / "raw", x_only, NIGHT, {"a": [tweets(3, NIGHT)]})
    bad = tweets(2, NIGHT, 20)
    bad["data"][0]["id"] = None
    bad["data"][1]["public_metrics"]["like_count"] = -1
    land(tmp_path / "raw", x_only, NIGHT, {"drill": [bad]})
    with pytest.raises(ValidationFailed) as caught:
        validate_raw(tmp_path, NIGHT, tmp_path / "audit" / "run-2", x_only)
    report = caught.value.report
    assert report.suites == {"raw__x_tweets": False, "raw__pages": True, "raw__platforms": True}
    assert "raw__x_tweets: expect_column_values_to_not_be_null(column=tweet_id)" in str(caught.value)
    assert "raw__x_tweets: expect_column_values_to_be_between(column=like_count)" in str(caught.value)
    assert json.loads(report.results_path.read_text())["success"] is False


def test_a_tampered_page_fails_the_gate(x_only, tmp_path):
    run = land(tmp_path / "raw", x_only, NIGHT, {"a": [tweets(3, NIGHT)]})
    page = tmp_path / "raw" / run.manifest()["files"][0]["path"]
    body = tweets(3, NIGHT)
    body["data"][0]["public_metrics"]["like_count"] = 10_000  # an edited count, same shape
    os.chmod(page, 0o600)
    page.write_bytes(gzip.compress(json.dumps({"endpoint": "x.tweets.search.recent", "body": body}).encode()))
    with pytest.raises(ValidationFailed) as caught:
        validate_raw(tmp_path, NIGHT, tmp_path / "audit" / "run-3", x_only)
    assert caught.value.report.suites["raw__pages"] is False
    assert "raw__pages: expect_column_values_to_be_in_set(column=sha256_matches)" in str(caught.value)


def test_the_volume_band_comes_from_previous_nights(x_only, tmp_path):
    raw = tmp_path / "raw"
    for days in (1, 2, 3):
        land(raw, x_only, NIGHT - timedelta(days=days), {"a": [tweets(30, NIGHT - timedelta(days=days))]})
    land(raw, x_only, NIGHT, {"a": [tweets(2, NIGHT)]})
    frames = read_raw(raw, NIGHT, x_only)
    assert len(frames.frames["raw__x_tweets"]) == 2
    assert frames.parameters["raw__x_tweets"] == {"volume_min": 10, "volume_max": 90}
    with pytest.raises(ValidationFailed) as caught:
        validate_raw(tmp_path, NIGHT, tmp_path / "audit" / "run-4", x_only)
    assert caught.value.report.failures == [
        "raw__x_tweets: expect_table_row_count_to_be_between(): observed 2, expected [10, 90]"]


def test_a_night_without_runs_fails_the_gate(x_only, tmp_path):
    with pytest.raises(ValidationFailed) as caught:
        validate_raw(tmp_path, NIGHT, tmp_path / "audit" / "run-5", x_only)
    assert "raw__platforms: expect_column_values_to_be_between(column=runs)" in str(caught.value)
