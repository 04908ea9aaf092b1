"""Screening, language and aspects, built by dbt from the simulator's planted spam.

The simulator plants, on X, Bluesky and Mastodon, bot bursts (15-30 near-identical posts from
new, hyperactive, mass-following accounts within 30 minutes) and copy-paste campaigns (6-12
ordinary accounts posting one text within 45 minutes), and says which posts they are
(`World.planted`). Two such nights are extracted from the simulator and built one after the
other (the second incrementally, on the first's published state). The warehouse must:
- exclude every planted bot post as bot_account and every later campaign copy as copy_paste,
  keep each campaign's first post, and exclude no natural post;
- count the kept mentions alone in share of voice, with the excluded ones beside them, so a
  planted brand's share is what it is without the spam;
- never give a VADER label to a non-English text, and agree with X's own language field;
- find aspects in English mentions, with daily counts that add up.
Whether night by night equals one build is tested for every model by
tests/dbt/test_incremental.py (int_post_screening included) and for the marts by
tests/dbt/test_marts.py.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime, timedelta

import pytest
import yaml

from carepulse.config import load_config
from carepulse.demo import DEMO_CREDENTIALS
from extract.runner import extract_night
from extract.simulator.server import SimulatorServer
from extract.simulator.world import World, day_number
from tests.conftest import CONFIG
from tests.dbt.test_marts import fast_policy, night_clock
from tests.dbt.test_marts import query as q
from transform.build import build_candidate, candidate_path, published_path

pytestmark = pytest.mark.slow

PLATFORMS = ["x", "bluesky", "mastodon"]
SEED, VOLUME = 23, 150
KEY = "screening-test-pseudonym-key-0123456789"


def pick_nights(world: World) -> tuple[date, date]:
    """A bot-burst night and a different copy-paste night among the last six (X's search
    reaches seven days back): any six days hold a whole five-day planting block."""
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=k) for k in range(2, 8)]
    kinds = {d: {p.kind for platform in PLATFORMS for p in world.planted(platform, day_number(d))}
             for d in days}
    burst = next(d for d in days if "bot_burst" in kinds[d])
    campaign = next(d for d in days if "copy_paste" in kinds[d] and d != burst)
    return burst, campaign


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("screening")
    home = root / "home"
    (home / "warehouse").mkdir(parents=True)
    doc = yaml.safe_load(CONFIG.read_text())
    for name, platform in doc["platforms"].items():
        platform["enabled"] = name in PLATFORMS
    config = root / "monitoring.yml"
    config.write_text(yaml.safe_dump(doc))
    saved = {k: os.environ.get(k) for k in ("CAREPULSE_HOME", "CAREPULSE_PSEUDONYM_KEY",
                                            "CAREPULSE_SIMULATOR_URL", "DO_NOT_TRACK")}
    os.environ.update(CAREPULSE_HOME=str(home), CAREPULSE_PSEUDONYM_KEY=KEY, DO_NOT_TRACK="1")
    loaded = load_config(config)
    for platform in PLATFORMS:
        os.environ.setdefault(getattr(loaded.config.platforms, platform).credential_env,
                              DEMO_CREDENTIALS[platform])
    try:
        with SimulatorServer(loaded.config, seed=SEED, mentions_per_night=VOLUME, port=0) as sim:
            os.environ["CAREPULSE_SIMULATOR_URL"] = sim.url
            loaded = load_config(config)
            nights = pick_nights(sim.world)
            # searches and engagement refreshes reach days before each night: their spam too
            first = min(nights) - timedelta(days=40)  # Mastodon search reaches weeks back
            days = [first + timedelta(days=i) for i in range((max(nights) - first).days + 2)]
            planted = [p for day in days for platform in PLATFORMS
                       for p in sim.world.planted(platform, day_number(day))]
            for night in nights:
                sim.set_clock(night_clock(max(nights)))
                extract_night(loaded, night, home / "raw", platforms=PLATFORMS, policy_factory=fast_policy)
                build_candidate(loaded, home)
                shutil.copyfile(candidate_path(home), published_path(home))  # the next builds on it
        yield {"db": published_path(home), "nights": nights, "planted": planted}
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def native(post_id: str) -> str:
    """A post's id as the warehouse keeps it: a Bluesky uri's record key (the author's DID in
    it is pseudonymised for private accounts)."""
    return post_id.rsplit("/", 1)[-1]


def verdicts(built) -> dict[str, tuple]:
    """native post id -> (post_key, is_excluded, exclusion_reason) of every screened mention."""
    rows = q(built["db"], """
        select p.native_post_id, m.post_key, bool_or(m.is_excluded), min(m.exclusion_reason)
        from marts.fct_mentions as m
        join intermediate.int_posts_unified as p using (post_key)
        group by all""")
    return {native(post_id): rest for post_id, *rest in rows}


def test_planted_spam_is_excluded_with_its_reason(built):
    found = verdicts(built)
    # the two nights' spam was extracted whole (other days' only in part, by later searches:
    # a campaign seen three times is no burst, so those days are not judged here)
    planted = [p for p in built["planted"] if p.day in {day_number(n) for n in built["nights"]}]
    assert {native(p.post_id) for p in planted} <= found.keys()
    assert len(planted) > 20
    firsts = {}
    for p in sorted(planted, key=lambda p: p.ms):
        firsts.setdefault(p.group, p.post_id)
    wrong = []
    for p in planted:
        _, excluded, reason = found[native(p.post_id)]
        if p.kind == "bot_burst":
            want = "bot_account"
        else:
            want = None if firsts[p.group] == p.post_id else "copy_paste"
        if reason != want or excluded != (want is not None):
            wrong.append((p.group, p.post_id, want, reason))
    assert not wrong, wrong[:10]
    assert {p.kind for p in planted} == {"bot_burst", "copy_paste"}


def test_no_natural_mention_is_excluded(built):
    planted = {native(p.post_id) for p in built["planted"]}
    natural = [(post_id, reason) for post_id, (_, excluded, reason) in verdicts(built).items()
               if excluded and post_id not in planted]
    assert not natural, natural[:10]


def test_share_of_voice_counts_the_kept_voices(built):
    rows = q(built["db"], """
        with facts as (
            select mention_date, platform, brand_id, count(*) filter (where not is_excluded) as kept,
                   count(*) filter (where is_excluded) as excluded
            from marts.fct_mentions group by all
        )
        select s.mention_date, s.platform, s.brand_id, s.mentions, s.excluded_mentions, f.kept,
               f.excluded, s.mention_sov,
               cast(f.kept as double) / sum(f.kept) over (partition by s.mention_date, s.platform),
               cast(f.kept + f.excluded as double)
                   / sum(f.kept + f.excluded) over (partition by s.mention_date, s.platform)
        from marts.fct_share_of_voice_daily as s
        join facts as f using (mention_date, platform, brand_id)""")
    moved = 0
    for date_, platform, brand, mentions, excluded, kept, excluded_facts, sov, kept_sov, naive_sov in rows:
        assert (mentions, excluded) == (kept, excluded_facts), (date_, platform, brand)
        assert abs(float(sov) - kept_sov) < 1e-9
        if excluded:
            # the spammed brand's share is lower than counting the spam would make it
            assert kept_sov < naive_sov, (date_, platform, brand)
            moved += 1
    assert moved >= 2


def test_non_english_mentions_are_never_scored(built):
    labels = q(built["db"], """
        select language in ('en', 'zxx') as scored_language, adjusted_label = 'not_scored', count(*)
        from marts.fct_mentions group by all""")
    counts = {(lang, not_scored): n for lang, not_scored, n in labels}
    assert counts.get((True, True), 0) == 0 and counts.get((False, False), 0) == 0, counts
    assert counts.get((False, True), 0) > 10  # the simulator's Spanish, French, German, Portuguese
    # X says what language a tweet is in: lingua agrees on the tweets it decided
    (agree, total) = q(built["db"], """
        select count(*) filter (where s.language = p.lang), count(*)
        from intermediate.int_posts_unified as p
        join intermediate.int_sentiment_scores as s using (text_hash)
        where p.platform = 'x' and s.language_source = 'detected' and p.lang is not null""")[0]
    assert total > 50 and agree >= 0.9 * total, (agree, total)


def test_aspects_found_and_counted(built):
    (occurrences, non_english) = q(built["db"], """
        select count(*), count(*) filter (where m.language <> 'en')
        from marts.fct_mention_aspects as a
        join marts.fct_mentions as m on m.mention_key = a.source_key""")[0]
    assert occurrences > 100 and non_english == 0
    diff = q(built["db"], """
        with occ as (
            select mention_date, brand_id, aspect_id, count(*) as n,
                   count(*) filter (where polarity = 'negative') as neg
            from marts.fct_mention_aspects where not is_excluded group by all
        )
        select * from occ full outer join (
            select activity_date as mention_date, brand_id, aspect_id, mentions, negative_mentions
            from marts.fct_aspect_sentiment_daily where location_id = 'all') as d
            using (mention_date, brand_id, aspect_id)
        where occ.n is distinct from d.mentions or occ.neg is distinct from d.negative_mentions""")
    assert not diff, diff[:5]
