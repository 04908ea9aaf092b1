"""Helpers for the suite tests: run one suite over one frame, and minimal valid API items."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from carepulse.config import Platforms
from expectations import GateReport, ValidationFailed, run_gate
from expectations.raw_frames import frame
from expectations.raw_zone import PageContext
from extract.base import Night, Page, Shard
from extract.manifest import ExtractionRun

NIGHT_START = datetime(2026, 11, 26, tzinfo=UTC)
NIGHT_END = NIGHT_START + timedelta(days=1)
FETCHED = NIGHT_END + timedelta(hours=2)


def page(platform: str, endpoint: str, kind: str = "mentions") -> PageContext:
    return PageContext(platform=platform, endpoint=endpoint, shard_kind=kind, since=NIGHT_START,
                       until=NIGHT_END, fetched_at=FETCHED)


def iso(hours: float) -> str:
    """A timestamp `hours` after the night's start, as the APIs write them."""
    return (NIGHT_START + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


class SuiteRunner:
    """Runs one suite (by name) over a frame through the real gate, without Data Docs."""

    def __init__(self, config, audit_dir: Path):
        self.config = config
        self.audit_dir = audit_dir

    def report(self, name: str, frame: pd.DataFrame, parameters: dict | None = None) -> GateReport:
        try:
            return run_gate(name.split("__")[0], {name: frame}, self.audit_dir, self.config,
                            parameters={name: parameters or {}}, docs=False)
        except ValidationFailed as failed:
            return failed.report

    def failures(self, name: str, frame: pd.DataFrame, parameters: dict | None = None) -> list[str]:
        report = self.report(name, frame, parameters)
        assert report.suites == {name: not report.failures}
        return report.failures


@pytest.fixture
def suite_runner(loaded_config, tmp_path) -> SuiteRunner:
    return SuiteRunner(loaded_config, tmp_path / "audit")


def failed(failures: list[str], suite: str, expectation: str, target: str = "") -> bool:
    """The failures name this expectation on this target ("column=x", "column_A=a, column_B=b")."""
    return any(f.startswith(f"{suite}: {expectation}({target}):") for f in failures)


def frame_of(module, body, context: PageContext, endpoint: str | None = None) -> pd.DataFrame:
    """A raw dataset's frame from one API page body, read by the dataset module itself."""
    endpoint = endpoint or module.ENDPOINTS[0]
    return frame(module, module.rows(endpoint, body, context))


# -- a hand-made raw zone, landed through the extractor's own run/manifest code -----------------


def tweets(count: int, night, start: int = 0) -> dict:
    """An X recent-search page body with `count` tweets published inside the night."""
    base = datetime.combine(night, datetime.min.time(), UTC)
    data = [{"id": str(1_000_000 + start + i), "text": "Thanks to the nurses at Lakemont Health",
             "author_id": "42", "created_at": (base + timedelta(minutes=10 + i)).isoformat()
             .replace("+00:00", "Z"), "lang": "en",
             "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1, "quote_count": 0,
                                "impression_count": 5}} for i in range(count)]
    users = [{"id": "42", "username": "someone", "verified_type": "none",
              "public_metrics": {"followers_count": 3}}]
    return {"data": data, "includes": {"users": users}, "meta": {"result_count": count}}


def land(raw: Path, config, night, shard_pages: dict[str, list[dict]], *, status: str = "complete",
         continues=None, cursors: dict | None = None):
    """A finished X run of `night`: each shard key -> its page bodies (records = tweets listed)."""
    time.sleep(0.005)  # runs are ordered by their creation time (milliseconds)
    n = Night(night)
    shards = [Shard("x", "mentions", key, n.start, n.end) for key in shard_pages]
    run = ExtractionRun.create(raw, n, config, shards, continues=continues, start_cursors=cursors)
    for shard in shards:
        bodies = shard_pages[shard.key]
        for number, body in enumerate(bodies, 1):
            text = json.dumps(body, separators=(",", ":"))
            run.commit_page(shard, number, Page("x.tweets.search.recent", "http://127.0.0.1/x/2/tweets",
                                                {"query": shard.key}, 200, body, text,
                                                len(body.get("data", [])), None))
        cursor = {"next_token": "t"} if status == "partial" else None
        run.end_shard(shard, status, "rate_limited: test" if status == "partial" else None, cursor)
    run.finalize()
    return run


@pytest.fixture
def x_only(loaded_config):
    """The project's config with only X enabled (a hand-made raw zone holds only X pages)."""
    platforms = Platforms(x=loaded_config.config.platforms.x)
    return loaded_config.model_copy(update={"config": loaded_config.config.model_copy(
        update={"platforms": platforms})})
