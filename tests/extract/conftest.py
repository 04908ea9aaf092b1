"""Shared fixtures for extraction tests: a scripted connector standing in for a platform."""

from __future__ import annotations

import json
import typing
from datetime import date

import pytest

from extract import runner
from extract.base import Page
from extract.errors import QuotaExhausted, ShardFailed
from extract.http import Fetched

NIGHT = date(2026, 11, 20)
PAGES_PER_SHARD = 3


class ScriptedConnector:
    """Yields PAGES_PER_SHARD pages of 2 items per shard; `script` injects failures."""

    platform = "x"
    script: typing.ClassVar[dict] = {}
    calls: typing.ClassVar[list] = []

    def __init__(self, ctx):
        self.ctx = ctx

    def pages(self, shard, cursor):
        start = (cursor or {}).get("page", 0)
        for i in range(start, PAGES_PER_SHARD):
            ScriptedConnector.calls.append((shard.id, i))
            action = self.script.get((shard.id, i))
            if action == "quota":
                raise QuotaExhausted("x: usage cap exceeded for token canary-bearer-token-XYZ-123456")
            if action == "fail":
                raise ShardFailed("x: gave up after 6 attempts (HTTP 503)")
            if action == "crash":
                raise KeyboardInterrupt  # stands in for a process dying mid-shard
            if action == "malformed":
                self.ctx.on_malformed(Fetched(200, "http://sim/x", "<html>oops", None, {},
                                              "invalid JSON"), {"endpoint": "x.search"})
            items = [{"id": f"{shard.id}-{i}-{j}"} for j in range(2)]
            body = {"data": items}
            nxt = {"page": i + 1} if i + 1 < PAGES_PER_SHARD else None
            yield Page("x.tweets.search.recent", "http://sim/x/2/tweets/search/recent",
                       {"query": shard.key}, 200, body, json.dumps(body), len(items), nxt)

    def stats(self):
        return {"requests": len(self.calls), "retries": 0, "waited_s": 0.0}

    def close(self):
        pass


@pytest.fixture
def scripted(monkeypatch, loaded_config):
    monkeypatch.setattr(runner, "connector_class", lambda platform: ScriptedConnector)
    monkeypatch.setenv("CAREPULSE_X_BEARER_TOKEN", "canary-bearer-token-XYZ-123456")
    ScriptedConnector.script = {}
    ScriptedConnector.calls = []
    return ScriptedConnector


