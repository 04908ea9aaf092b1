"""The core marts built by `transform.build.build_candidate` from a simulated raw zone.

Two nights are extracted from the simulator and built; the candidate is published; a third
night is extracted and built again, incrementally on top of the published state. The marts
must be non-empty, shares of voice must sum to 1, share-of-voice mention counts must
reconcile with fct_mentions, and a --full-refresh build must give the same content (an
ordered md5 per mart) as the incremental one.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from carepulse import sources
from carepulse.config import load_config
from carepulse.demo import DEMO_CREDENTIALS
from extract.http import RetryPolicy
from extract.runner import extract_night
from extract.simulator.server import SimulatorServer
from tests.conftest import CONFIG, PUBLISHED_SEED, PUBLISHED_VOLUME
from tests.dbt.conftest import all_text_values, finished_manifests
from transform.build import build_candidate, candidate_path, parse_path, published_path

pytestmark = pytest.mark.slow

PLATFORMS = list(sources.NAMES)
# X recent search only reaches 7 days back (from the real clock), so the nights are recent.
LAST_NIGHT = (datetime.now(UTC) - timedelta(days=2)).date()
NIGHTS = [LAST_NIGHT - timedelta(days=2), LAST_NIGHT - timedelta(days=1), LAST_NIGHT]

# mart -> columns that order it uniquely (its primary key)
MARTS = {
    "dim_platforms": "platform",
    "dim_brands": "brand_id",
    "dim_dates": "date_day",
    "dim_campaigns": "campaign_id",
    "dim_authors": "author_key",
    "fct_mentions": "mention_key",
    "fct_share_of_voice_daily": "sov_key",
    "fct_post_engagement_daily": "post_snapshot_key",
    "fct_campaign_performance_daily": "campaign_day_key",
    "fct_influencer_mentions_daily": "influencer_day_key",
    "fct_trending_hashtags_daily": "hashtag_day_key",
    "fct_best_time_to_post": "best_time_key",
    "fct_patient_questions": "patient_question_key",
    "fct_misinformation_watch": "post_key",
    "fct_sentiment_alerts_daily": "sentiment_day_key",
    "fct_data_health_nightly": "health_key",
    "dim_aspects": "aspect_id",
    "fct_mention_aspects": "mention_aspect_key",
    "fct_aspect_sentiment_daily": "aspect_day_key",
}


def fast_policy() -> RetryPolicy:
    return RetryPolicy(max_retries=4, backoff_base_s=0.01, backoff_max_s=0.05, max_wait_s=120,
                       timeout_s=5, sleep=lambda s: None)


def night_clock(night) -> datetime:
    return datetime.combine(night + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=2)


def content_hashes(db: Path, marts: dict[str, str] | None = None) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {mart: con.execute(
            # _loaded_in_build names the build that wrote a row: the content is the rest
            f"select md5(coalesce(string_agg(t::varchar, '|' order by {key}), '')) "
            f"from (select columns(lambda c: c <> '_loaded_in_build') from marts.{mart}) as t").fetchone()[0]
            for mart, key in (marts or MARTS).items()}
    finally:
        con.close()


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(published_world, tmp_path_factory):
    """A copy of the shared published world (nights 1-2 built and published by `carepulse run`),
    night 3 extracted and built incrementally on top; plus the hashes of that incremental build
    and of a full-refresh build of the same raw zone."""
    home = tmp_path_factory.mktemp("marts") / "home"
    shutil.copytree(published_world["home"] / "raw", home / "raw")
    (home / "warehouse").mkdir()
    shutil.copyfile(published_path(published_world["home"]), published_path(home))
    assert published_world["nights"] == NIGHTS[:2]
    key = published_world["env"]["CAREPULSE_PSEUDONYM_KEY"]  # the published pseudonyms' key
    saved = {k: os.environ.get(k) for k in ("CAREPULSE_HOME", "CAREPULSE_PSEUDONYM_KEY",
                                            "CAREPULSE_SIMULATOR_URL", "DO_NOT_TRACK")}
    os.environ.update(CAREPULSE_HOME=str(home), CAREPULSE_PSEUDONYM_KEY=key, DO_NOT_TRACK="1")
    loaded = load_config(CONFIG)
    for platform in PLATFORMS:
        os.environ.setdefault(getattr(loaded.config.platforms, platform).credential_env,
                              DEMO_CREDENTIALS[platform])
    try:
        first = content_hashes(published_path(home))
        # the shared world's simulator: same seed and volume, so night 3 continues its world
        with SimulatorServer(loaded.config, seed=PUBLISHED_SEED, mentions_per_night=PUBLISHED_VOLUME,
                             port=0) as sim:
            os.environ["CAREPULSE_SIMULATOR_URL"] = sim.url
            loaded = load_config(CONFIG)  # endpoints now point at this simulator
            sim.set_clock(night_clock(NIGHTS[2]))
            extract_night(loaded, NIGHTS[2], home / "raw", policy_factory=fast_policy)
            lookback = NIGHTS[0] - timedelta(days=loaded.config.extraction.engagement_lookback_days + 1)
            canaries = sim.world.phi_canaries(
                [lookback + timedelta(days=i) for i in range((NIGHTS[2] - lookback).days + 1)])
        build_candidate(loaded, home)
        incremental = content_hashes(candidate_path(home))
        incremental_copy = home / "incremental.duckdb"
        shutil.copyfile(candidate_path(home), incremental_copy)

        build_candidate(loaded, home, full_refresh=True)
        full = content_hashes(candidate_path(home))
        yield {"home": home, "db": incremental_copy, "first": first,
               "incremental": incremental, "full": full, "canaries": canaries}
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_marts_are_not_empty(built):
    for mart in MARTS:
        (n,) = query(built["db"], f"select count(*) from marts.{mart} where true")[0]
        assert n > 0, mart
    # more than the unknown member in every dimension
    for dim in ("dim_platforms", "dim_brands", "dim_dates", "dim_campaigns", "dim_authors"):
        (n,) = query(built["db"], f"select count(*) from marts.{dim} where not is_unknown")[0]
        assert n > 0, dim


def test_third_night_added_data(built):
    assert built["first"]["fct_mentions"] != built["incremental"]["fct_mentions"]
    (max_snapshot,) = query(built["db"], "select max(snapshot_date) from marts.fct_post_engagement_daily")[0]
    assert max_snapshot == NIGHTS[2]


def test_share_of_voice_sums_to_one(built):
    bad = query(built["db"], """
        select mention_date, platform, sum(mention_sov), sum(engagement_sov), sum(reach_sov),
               sum(sentiment_weighted_sov), count(*)
        from marts.fct_share_of_voice_daily
        group by mention_date, platform
        having abs(sum(mention_sov) - 1) > 1e-9
            or (max(panel_sentiment_weight) > 0 and abs(sum(sentiment_weighted_sov) - 1) > 1e-9)
            or (max(panel_engagements) > 0 and abs(sum(engagement_sov) - 1) > 1e-9)
            or (max(panel_reach) > 0 and abs(sum(reach_sov) - 1) > 1e-9)
            or count(*) <> (select count(*) from marts.dim_brands where is_panel_member)
    """)
    assert not bad, bad[:5]
    (groups,) = query(built["db"], "select count(distinct (mention_date, platform)) "
                                   "from marts.fct_share_of_voice_daily")[0]
    assert groups > 5


def test_share_of_voice_reconciles_with_mentions(built):
    diff = query(built["db"], """
        with sov as (
            select mention_date, platform, brand_id, mentions, engagements, reach
            from marts.fct_share_of_voice_daily where mentions > 0
        ),
        facts as (
            select m.mention_date, m.platform, m.brand_id, count(*) as mentions,
                   sum(m.engagements) as engagements, sum(m.reach) as reach
            from marts.fct_mentions as m
            join marts.dim_brands as b on b.brand_id = m.brand_id and b.is_panel_member
            where not m.is_excluded
            group by all
        )
        select * from sov full outer join facts using (mention_date, platform, brand_id)
        where sov.mentions is distinct from facts.mentions
           or sov.engagements is distinct from facts.engagements
           or sov.reach is distinct from facts.reach
    """)
    assert not diff, diff[:5]
    (total,) = query(built["db"], "select sum(mentions + excluded_mentions) "
                                  "from marts.fct_share_of_voice_daily")[0]
    (facts,) = query(built["db"], "select count(*) from marts.fct_mentions")[0]
    assert total == facts > 100


def test_mentions_exclude_the_brands_own_posts(built):
    rows = query(built["db"], "select count(*) from marts.fct_mentions where author_brand_id = brand_id")
    assert rows == [(0,)]


def test_campaign_rows_stay_inside_the_window(built):
    outside = query(built["db"], """
        select f.campaign_day_key from marts.fct_campaign_performance_daily as f
        join marts.dim_campaigns as c using (campaign_id)
        where f.date_day not between c.start_date and c.end_date
    """)
    assert not outside
    (spend,) = query(built["db"], """
        select max(abs(s - c.daily_spend)) from (
            select campaign_id, date_day, sum(daily_spend) as s
            from marts.fct_campaign_performance_daily group by all
        ) as d join marts.dim_campaigns as c using (campaign_id)
    """)[0]
    assert spend < 0.001  # the split over platforms adds back up to the daily spend


def test_incremental_equals_full_refresh(built):
    differing = {m for m in MARTS if built["incremental"][m] != built["full"][m]}
    assert not differing


# -- analysis marts ---------------------------------------------------------------------------


def test_planted_patient_identifiers_reach_no_table(built):
    """Every text column of every table, marts included (questions and misinformation carry text)."""
    canaries = sorted(built["canaries"])
    assert canaries, "the simulator planted no identifiers in these nights"
    pattern = re.compile("|".join(re.escape(c) for c in canaries))
    con = duckdb.connect(str(built["db"]), read_only=True)
    try:
        leaks = [(t, m.group(0)) for t, value in all_text_values(con) if (m := pattern.search(value))]
    finally:
        con.close()
    assert not leaks, leaks[:5]
    # the build's scratch database (raw pages parsed once, verbatim) did not outlive it, and
    # its folder is owner-only
    scratch = parse_path(built["home"])
    assert not scratch.exists() and (scratch.parent.stat().st_mode & 0o777) == 0o700


def test_data_health_reconciles_with_the_manifests(built):
    expected: dict[tuple[str, str], int] = {}
    for manifest in finished_manifests(built["home"] / "raw"):
        for shard in manifest["shards"].values():
            key = (manifest["night"], shard["platform"])
            expected[key] = expected.get(key, 0) + shard["records"]
    rows = query(built["db"], "select cast(night as varchar), platform, records_fetched, health_status "
                              "from marts.fct_data_health_nightly")
    got = {(night, platform): records for night, platform, records, _ in rows}
    assert got == expected
    assert {status for *_, status in rows} <= {"ok", "partial"}
    assert len(rows) == len(NIGHTS) * len(PLATFORMS)


def test_answered_questions_were_answered_by_the_brand(built):
    bad = query(built["db"], """
        select q.patient_question_key
        from marts.fct_patient_questions as q
        left join intermediate.int_posts_unified as a on a.post_key = q.answer_post_key
        where q.is_answered and (q.response_minutes < 0 or a.account_brand_id is distinct from q.brand_id)
    """)
    assert not bad, bad[:5]
    kinds = dict(query(built["db"], "select is_answered, count(*) from marts.fct_patient_questions "
                                    "group by 1"))
    assert kinds.get(True, 0) > 0 and kinds.get(False, 0) > 0, kinds
    (open_without_age,) = query(built["db"], "select count(*) from marts.fct_patient_questions "
                                             "where not is_answered and hours_waiting is null")[0]
    assert open_without_age == 0


def test_misinformation_rows_each_carry_a_reason(built):
    rows = query(built["db"], """
        select count(*),
               count(*) filter (where len(claim_pattern_ids) = 0 and len(low_credibility_domains) = 0),
               count(*) filter (where fact_check_verdict = 'false'),
               count(*) filter (where red_flags not between 0 and 7)
        from marts.fct_misinformation_watch
    """)
    total, without_reason, fact_checked, out_of_range = rows[0]
    assert total > 0 and fact_checked > 0
    assert without_reason == 0 and out_of_range == 0


def test_best_time_cells_add_up_to_the_brand_posts(built):
    (cells,) = query(built["db"], "select sum(posts) from marts.fct_best_time_to_post")[0]
    (posts,) = query(built["db"], """
        select count(*) from intermediate.int_posts_unified
        where account_brand_id is not null and entity_type = 'post' and content_type <> 'reply'
    """)[0]
    assert cells == posts > 0


def test_incremental_runs_leave_no_temporary_tables(built):
    leftovers = query(built["db"], "select table_schema, table_name from information_schema.tables "
                                   "where table_name like '%dbt_tmp%'")
    assert not leftovers
