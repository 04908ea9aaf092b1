"""bench/reviews.py runs end to end on a small history and reports every figure it promises
(no timing is asserted: the figures are for people)."""

from __future__ import annotations

import json

import pytest

from bench import reviews

pytestmark = pytest.mark.slow


def test_the_review_benchmark_builds_a_history_and_a_night(tmp_path):
    out = tmp_path / "bench.json"
    reviews.main(["--histories", "600,1200", "--history-nights", "2", "--night-reviews", "30",
                  "--workdir", str(tmp_path / "work"), "--json", str(out)])
    doc = json.loads(out.read_text())
    assert [r["history_reviews"] for r in doc["runs"]] == [600, 1200]
    for run in doc["runs"]:
        assert run["night_reviews_read"] == 30 + 3 * reviews.REREAD
        assert run["history_build_s"] > 0 and run["night_s"] > 0
        assert all(run["night_marts_s"][m] is not None for m in reviews.MARTS), run
    assert doc["night_ratio_largest_to_smallest"] > 0
