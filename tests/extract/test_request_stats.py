"""Request statistics reach the manifest on every path: `carepulse extract` (extract_night, one
process) and `carepulse run` / the DAG (nightly.extract_platform_night per platform, then
nightly.finalize_extraction, which gets nothing from them but the run on disk)."""

from __future__ import annotations

import pytest

from carepulse import nightly
from extract import runner
from extract.manifest import ExtractionRun
from tests.extract.conftest import NIGHT, PAGES_PER_SHARD, ScriptedConnector


class CountingConnector(ScriptedConnector):
    """The scripted connector, counting the requests of this instance (one per page)."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.sent = 0

    def pages(self, shard, cursor):
        for page in super().pages(shard, cursor):
            self.sent += 1
            yield page

    def stats(self):
        return {"requests": self.sent, "retries": 1, "waited_s": 0.5}


@pytest.fixture
def counting(scripted, monkeypatch):
    monkeypatch.setattr(runner, "connector_class", lambda platform: CountingConnector)
    return CountingConnector


def expected(manifest, connectors: int) -> dict:
    pages = sum(s["pages"] for s in manifest["shards"].values())
    return {"requests": pages, "retries": connectors, "waited_s": 0.5 * connectors}


def test_extract_path_records_requests(counting, loaded_config, tmp_path):
    summary = runner.extract_night(loaded_config, NIGHT, tmp_path / "raw", ["x"])
    m = summary.manifest
    workers = min(loaded_config.config.platforms.x.concurrency, len(m["shards"]))
    assert m["totals"]["pages"] == len(m["shards"]) * PAGES_PER_SHARD
    assert m["requests"] == {"x": expected(m, workers)}


def test_run_and_dag_path_records_requests(counting, loaded_config, home, monkeypatch):
    monkeypatch.delenv(loaded_config.config.platforms.youtube.credential_env, raising=False)
    jobs = nightly.plan_extraction(loaded_config, [NIGHT], home)
    for platform in ("x", "youtube"):  # youtube has no credential here: no connector, no request
        nightly.extract_platform_night(loaded_config, home, platform, jobs[0])
    [done] = nightly.finalize_extraction(home, jobs)
    run = ExtractionRun(home / "raw", NIGHT, done["run_id"])
    m = run.manifest()
    workers = min(loaded_config.config.platforms.x.concurrency,
                  sum(s["platform"] == "x" for s in m["shards"].values()))
    x_only = {**m, "shards": {k: s for k, s in m["shards"].items() if s["platform"] == "x"}}
    assert m["requests"]["x"] == expected(x_only, workers)
    assert m["requests"]["youtube"] == {"requests": 0, "retries": 0, "waited_s": 0.0}
    assert set(m["requests"]) <= set(m["platforms"])


def test_a_crashed_process_records_what_it_sent_and_the_resume_adds_to_it(counting, loaded_config,
                                                                         tmp_path):
    raw = tmp_path / "raw"
    counting.script = {("x.mentions.northgate", 1): "crash"}
    with pytest.raises(KeyboardInterrupt):
        runner.extract_night(loaded_config, NIGHT, raw, ["x"])
    [crashed] = ExtractionRun.all_runs(raw, NIGHT)
    first = crashed.requests()["x"]["requests"]
    assert first > 0
    counting.script = {}
    m = runner.extract_night(loaded_config, NIGHT, raw, ["x"]).manifest
    assert m["run_id"] == crashed.run_id
    # every page fetched was sent by one of the two processes, and counted once
    assert first < m["requests"]["x"]["requests"] == m["totals"]["pages"]
