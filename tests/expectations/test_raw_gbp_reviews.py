"""raw__gbp_reviews passes a page as the simulated v4 API serves it (rating-only, anonymous,
replied, 0-9 fractional digits) and fails the defects it exists for."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from expectations import suites
from extract.simulator.reviews import ReviewWorld, review_json
from tests.expectations.conftest import NIGHT_START, failed, frame_of, page

NAME = "raw__gbp_reviews"
LOCATION = "accounts/1067/locations/4711"
OPEN_BAND = {"volume_min": 0, "volume_max": None}


@pytest.fixture
def gbp_suite(monkeypatch):
    # not a registered source yet: the gate runs the suite when the test names it
    monkeypatch.setattr(suites, "RAW", (*suites.RAW, NAME))
    return suites.module(NAME)


def served_page() -> dict:
    world = ReviewWorld(seed=5, start_ms=int(datetime(2026, 6, 1, tzinfo=UTC).timestamp() * 1000))
    reviews = world.reviews(LOCATION, int(NIGHT_START.timestamp() * 1000))[:50]
    return {"reviews": [review_json(LOCATION, r) for r in reviews], "totalReviewCount": len(reviews)}


def test_a_served_page_passes(gbp_suite, suite_runner):
    body = served_page()
    kinds = [r.get("reviewReply") is not None for r in body["reviews"]]
    assert any(kinds) and not all(kinds)
    frame = frame_of(gbp_suite, body, page("gbp", "gbp.reviews.list", "reviews"))
    assert suite_runner.failures(NAME, frame, OPEN_BAND) == []


def test_defects_fail(gbp_suite, suite_runner):
    good = served_page()["reviews"][0]
    bad = copy.deepcopy([good] * 6)
    bad[0]["reviewId"] = None
    bad[1]["starRating"] = "SIX"
    bad[2]["updateTime"] = "2020-01-01T00:00:00Z"  # before its creation
    bad[3]["reviewer"] = {"displayName": "Named Anyway", "isAnonymous": True}
    bad[4]["reviewReply"] = {"updateTime": good["createTime"]}  # a reply without its text
    bad[5]["name"] = "locations/4711/reviews/x"
    frame = frame_of(gbp_suite, {"reviews": bad}, page("gbp", "gbp.reviews.list", "reviews"))
    failures = suite_runner.failures(NAME, frame, {"volume_min": 20, "volume_max": 100})
    assert failed(failures, NAME, "expect_column_values_to_not_be_null", "column=review_id")
    assert failed(failures, NAME, "expect_column_values_to_be_in_set", "column=star_rating")
    assert failed(failures, NAME, "expect_column_values_to_be_in_set", "column=update_not_before_create")
    assert failed(failures, NAME, "expect_column_values_to_be_in_set", "column=anonymous_without_name")
    assert failed(failures, NAME, "expect_column_values_to_be_in_set", "column=reply_complete")
    assert failed(failures, NAME, "expect_column_values_to_match_regex", "column=review_name")
    assert failed(failures, NAME, "expect_table_row_count_to_be_between")
    keys = gbp_suite.staging_keys("gbp.reviews.list", {"reviews": [good]})
    assert keys == {f"gbp:review:{good['reviewId']}"}
