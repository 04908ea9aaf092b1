"""Google Business Profile reviews: the connector against the simulated v4 API over HTTP (OAuth
refresh through google-auth, paging, the nightly walk and re-read, the quirks and errors)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from carepulse.config import PlatformConfig
from carepulse.secrets import mask
from extract.base import ConnectorContext, Shard
from extract.errors import AuthFailed, QuotaExhausted
from extract.gbp import GbpConnector, _parse
from extract.http import Budget, RetryPolicy
from extract.simulator.platforms import Context, json_response
from extract.simulator.platforms.gbp import Gbp
from extract.simulator.reviews import ReviewWorld
from extract.simulator.server import SimulatorServer

LOCATION = "accounts/1067/locations/4711"
CREDENTIAL = "sim-client.apps.example:sim-secret-1:sim-refresh-token-1"
START = datetime(2026, 9, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 27, 2, tzinfo=UTC)


@pytest.fixture
def sim(loaded_config):
    with SimulatorServer(loaded_config.config, seed=3, mentions_per_night=50, port=0) as server:
        server.set_clock(NOW)
        world = ReviewWorld(seed=5, start_ms=int(START.timestamp() * 1000), per_day=3.0)
        server.platforms["gbp"] = Gbp(Context(server.world, server.faults, server.now_ms), world)
        yield server


def connector(sim, credential: str = CREDENTIAL, reread: int = 20) -> GbpConnector:
    policy = RetryPolicy(max_retries=2, backoff_base_s=0.01, backoff_max_s=0.02, max_wait_s=5,
                         sleep=lambda s: None, rng=random.Random(1))
    config = PlatformConfig(endpoint=f"{sim.url}/gbp", credential_env="CAREPULSE_GBP_CREDENTIALS",
                            page_size=50)
    return GbpConnector(ConnectorContext("gbp", config, credential, policy, Budget(1000)), reread=reread)


def shard(since: datetime) -> Shard:
    return Shard("gbp", "reviews", "lakemont-main", since, NOW.replace(hour=0), handles=(LOCATION,))


def reviews_of(pages) -> list[dict]:
    return [r for p in pages for r in p.body.get("reviews", [])]


def test_the_first_night_walks_every_review_newest_updated_first(sim):
    pages = list(connector(sim).pages(shard(datetime(2000, 1, 1, tzinfo=UTC)), None))
    reviews = reviews_of(pages)
    expected = len(sim.platforms["gbp"].reviews.reviews(LOCATION, sim.now_ms()))
    assert len(reviews) == expected == pages[0].body["totalReviewCount"] > 200
    assert len({r["reviewId"] for r in reviews}) == len(reviews)
    updates = [r["updateTime"] for r in reviews]
    assert all(p.records == len(p.body.get("reviews", [])) for p in pages)
    assert pages[-1].cursor is None and all(p.cursor for p in pages[:-1])
    # quirks the warehouse must take: rating-only, anonymous, replies, 0-9 fractional digits
    assert any("comment" not in r for r in reviews)
    assert any(r["reviewer"]["isAnonymous"] and r["reviewer"]["displayName"] == "" for r in reviews)
    assert any("reviewReply" in r for r in reviews)
    assert {len(u.rstrip("Z").partition(".")[2]) for u in updates} >= {0, 3, 9}
    moments = [_parse(u) for u in updates]
    assert moments == sorted(moments, reverse=True)


def test_a_night_stops_at_its_high_water_mark_but_rereads_the_newest(sim):
    since = NOW.replace(hour=0) - timedelta(days=1)
    reviews = reviews_of(connector(sim, reread=120).pages(shard(since), None))
    assert 120 <= len(reviews) < 120 + 50  # the re-read, then the page where the walk passed `since`
    reviews = reviews_of(connector(sim, reread=1).pages(shard(since), None))
    assert len(reviews) == 50  # the first page already ends before the night


def test_a_review_dropped_from_page_2_is_recovered_by_the_next_nights_reread(sim):
    gbp = sim.platforms["gbp"]
    gbp.drop_page2 = True
    night = shard(NOW - timedelta(days=1))
    tonight = {r["reviewId"] for r in reviews_of(connector(sim, reread=120).pages(night, None))}
    newest = [r.review_id for r in gbp.reviews.reviews(LOCATION, sim.now_ms())[:120]]
    missed = set(newest) - tonight
    assert missed  # Google's flaw, reproduced
    gbp.drop_page2 = False
    sim.set_clock(NOW + timedelta(days=1))
    tomorrow = {r["reviewId"] for r in reviews_of(connector(sim, reread=120).pages(shard(NOW), None))}
    assert missed <= tomorrow


def test_edits_and_replies_change_a_review_between_nights(sim):
    world, now, day = sim.platforms["gbp"].reviews, sim.now_ms(), 86_400_000
    before = {r.review_id: r for r in world.reviews(LOCATION, now)}
    after = {r.review_id: r for r in world.reviews(LOCATION, now + 10 * day)}
    assert set(before) < set(after)  # new reviews arrived, none vanished
    assert any(after[k].star_rating != before[k].star_rating for k in before)  # an edit
    assert any(after[k].reply is not None and before[k].reply is None for k in before)  # a reply arrived
    assert all(after[k].update_ms >= before[k].update_ms for k in before)
    # a reply that stood one night and was gone a later one, its deletion moving updateTime
    nights = [now - d * day for d in range(90, -15, -1)]
    deleted = [(a, b) for i in range(world.count(LOCATION, now))
               for a, b in zip((world.review(LOCATION, i, t) for t in nights),
                               (world.review(LOCATION, i, t) for t in nights[1:]), strict=False)
               if a is not None and a.reply is not None and b.reply is None]
    assert deleted and all(b.update_ms > a.update_ms for a, b in deleted)


def test_secrets_never_reach_pages_or_logs(sim, caplog):
    c = connector(sim)
    pages = list(c.pages(shard(NOW - timedelta(days=1)), None))
    for secret in CREDENTIAL.split(":"):
        assert all(secret not in p.url and secret not in str(p.params) for p in pages)
        assert mask(f"x {secret} y") != f"x {secret} y"
    token = c._credentials.token
    assert token and mask(token) != token and all(token not in str(p.params) for p in pages)


def test_a_revoked_refresh_token_stops_the_source_with_a_clear_message(sim):
    with pytest.raises(AuthFailed, match="refused the refresh token"):
        list(connector(sim, credential="sim-client-9:sim-secret-9:revoked-token-9").pages(shard(NOW), None))
    with pytest.raises(AuthFailed, match="<client_id>:<client_secret>:<refresh_token>"):
        connector(sim, credential="only-one-part")


def test_a_project_without_api_access_says_so(sim):
    sim.platforms["gbp"].quota_zero = True
    with pytest.raises(QuotaExhausted, match="API access has not been approved"):
        list(connector(sim).pages(shard(NOW), None))


def test_a_page_token_sent_back_again_ends_the_shard(sim, monkeypatch):
    gbp = sim.platforms["gbp"]
    first_page = gbp.list_reviews

    def looping(req):  # every page is the first one, pointing at the same next page
        req.query.pop("pageToken", None)
        body = json.loads(first_page(req).body)
        return json_response({**body, "nextPageToken": "CiA-the-same"}, items=len(body["reviews"]))

    monkeypatch.setattr(gbp, "list_reviews", looping)
    pages = list(connector(sim, reread=10_000).pages(shard(datetime(2000, 1, 1, tzinfo=UTC)), None))
    assert len(pages) == 2 and pages[-1].cursor is None


def test_planning_walks_to_the_last_complete_extraction_and_a_backfill_walks_once(tmp_path, loaded_config):
    from extract.base import Night
    from extract.manifest import ExtractionRun
    from extract.plan import BEGINNING, NO_WALK, plan_shards

    cfg, night = loaded_config.config, Night(datetime(2026, 11, 20).date())
    reviews = [s for s in plan_shards(cfg, night, ["gbp"], tmp_path) if s.kind == "reviews"]
    assert [s.key for s in reviews] == [loc.id for loc in cfg.review_locations()]
    assert {s.since for s in reviews} == {BEGINNING}  # nothing extracted yet: everything
    older = plan_shards(cfg, night, ["gbp"], tmp_path, walk_reviews=False)
    assert {s.since for s in older} == {NO_WALK}  # a backfill's older night: the re-read only

    run = ExtractionRun.create(tmp_path, night, loaded_config, reviews)
    for s in reviews[:2]:
        run.end_shard(s, "complete", None, None)
    run.finalize()  # the third site ends partial
    started = datetime.fromisoformat(run.manifest()["started_at"])
    next_night = Night(night.date + timedelta(days=1))
    later = {s.key: s.since for s in plan_shards(cfg, next_night, ["gbp"], tmp_path)}
    assert later == {reviews[0].key: started, reviews[1].key: started, reviews[2].key: BEGINNING}
    # a night is never its own high-water mark, nor is a later one
    assert {s.since for s in plan_shards(cfg, night, ["gbp"], tmp_path)} == {BEGINNING}
