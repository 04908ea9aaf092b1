"""bench/news.py runs end to end on a small history and reports every figure it promises
(no timing is asserted: the figures are for people)."""

from __future__ import annotations

import json

import pytest

from bench import news

pytestmark = pytest.mark.slow


def test_the_news_benchmark_builds_a_history_and_a_night(tmp_path):
    out = tmp_path / "bench.json"
    news.main(["--histories", "400,800", "--history-nights", "2", "--night-items", "100",
               "--workdir", str(tmp_path / "work"), "--json", str(out)])
    doc = json.loads(out.read_text())
    assert [r["history_items"] for r in doc["runs"]] == [400, 800]
    for run in doc["runs"]:
        assert run["night_items"] == 100
        assert run["history_build_s"] > 0 and run["night_s"] > 0
        assert all(run["night_models_s"][m] is not None for m in news.MODELS), run
    assert doc["night_ratio_largest_to_smallest"] > 0
