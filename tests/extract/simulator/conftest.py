"""One simulator for the whole package (fixed clock), reset around every test that uses it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import httpx
import pytest

from carepulse.config import MonitoringConfig
from extract.simulator.server import SimulatorServer

NIGHT = date(2026, 11, 20)  # every configured campaign is running
CLOCK = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
DAY_START = "2026-11-20T00:00:00Z"
DAY_END = "2026-11-21T00:00:00Z"
MENTIONS = 1200


@pytest.fixture(scope="session")
def cfg(loaded_config) -> MonitoringConfig:
    return loaded_config.config


@pytest.fixture(scope="session")
def server(cfg) -> Iterator[SimulatorServer]:
    with SimulatorServer(cfg, seed=7, mentions_per_night=MENTIONS, clock=CLOCK) as sim:
        yield sim


@pytest.fixture
def sim(server) -> Iterator[SimulatorServer]:
    """The shared server with no faults, fresh counters and the fixed clock."""
    server.reset()
    server.set_clock(CLOCK)
    yield server
    server.reset()
    server.set_clock(CLOCK)


@pytest.fixture
def http(sim) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.url, timeout=10) as client:
        yield client


def reddit_headers(http: httpx.Client) -> dict[str, str]:
    token = http.post("/reddit/api/v1/access_token", auth=("cid", "secret"),
                      data={"grant_type": "client_credentials"}).json()["access_token"]
    return {"Authorization": f"bearer {token}"}


def bluesky_headers(http: httpx.Client, handle: str = "demo.bsky.social") -> dict[str, str]:
    session = http.post("/bluesky/xrpc/com.atproto.server.createSession",
                        json={"identifier": handle, "password": "app-pass"}).json()
    return {"Authorization": f"Bearer {session['accessJwt']}"}


BEARER = {"Authorization": "Bearer test-token"}
X_FIELDS = {
    "tweet.fields": "created_at,lang,public_metrics,entities,author_id,conversation_id,"
                    "in_reply_to_user_id,referenced_tweets",
    "expansions": "author_id",
    "user.fields": "public_metrics,verified,verified_type,description,created_at,username,name",
}
