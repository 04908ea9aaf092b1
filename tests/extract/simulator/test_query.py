"""Query parsing and matching (the WIRE.md subset), and the search caches."""

from __future__ import annotations

import re

import pytest

from extract.simulator.query import (
    ASCII_TWINS,
    DayText,
    Matcher,
    Query,
    fold,
    parse_query,
    visible_top,
)
from extract.simulator.world import KEY_SHIFT, STREAM_MENTIONS, Post, World, day_number

from .conftest import CLOCK, NIGHT


@pytest.fixture(scope="module")
def world(cfg) -> World:
    return World(cfg, seed=5, mentions_per_night=3000)


def matches(world: World, query: str, text: str, *, lang: str = "en",
            handle_idx: int = 3) -> bool:
    author = world.author("x", handle_idx)
    post = Post("x", 1 << KEY_SHIFT, author, text, None, lang, "text", None, "chatter", (), None,
                None, ())
    q = parse_query(query)
    allowed = frozenset(a for a in (world.author_by_handle("x", h) for h in q.authors) if a) \
        if q.authors else None
    return bool(Matcher(q, allowed, ()).filter([post]))


def test_parse_the_wire_subset():
    q = parse_query('("Lakemont Health" OR #LakemontCares OR @lakemonthealth) '
                    '-"Lakemont Realty" NOT mall -is:retweet lang:en')
    assert q.positives == (('"', "lakemont health"), ("#", "lakemontcares"),
                           ("@", "lakemonthealth"))
    assert set(q.negatives) == {('"', "lakemont realty"), ("w", "mall")}
    assert q.langs == ("en",) and not q.authors
    youtube = parse_query('"Lakemont Health"|"Lakemont Hospital"|#LakemontHealth '
                          '-"Lakemont Realty"')
    assert {t for _, t in youtube.positives} == {"lakemont health", "lakemont hospital",
                                                 "lakemonthealth"}
    assert parse_query("from:LakemontHealth").authors == ("lakemonthealth",)
    assert parse_query("author:NorthgateMedical").authors == ("northgatemedical",)
    assert parse_query("*").match_all
    assert parse_query('"A b"  OR a').key == parse_query('a | "a  B"').key  # normalised


@pytest.mark.parametrize(("query", "text", "expected"), [
    ('"Lakemont Health"', "Thanks lakemont   HEALTH!", True),
    ('"Lakemont Health"', "Lakemont Healthcare is a different company", False),
    ("Lakemont", "#Lakemont rocks", True),
    ("Lakemont", "LakemontHealth rocks", False),
    ("#FluShot", "got my #flushot today", True),
    ("#FluShot", "got my flu shot today", False),
    ("#FluShot", "see #FluShots", False),
    ("@lakemonthealth", "@LakemontHealth how do I book?", True),
    ("@lakemonthealth", "mail@lakemonthealth.example", False),
    ('"Lakemont Health" -"Lakemont Realty"', "Lakemont Realty near Lakemont Health", False),
    ('"Lakemont Health" NOT realty', "Lakemont Realty near Lakemont Health", False),
    ('"Lakemont Health" -is:retweet', "Lakemont Health is great", True),
    ("telehealth", "Télé telehealth visit", True),
    ("café", "Le Café du coin", True),
    ('"Lakemont Health" lang:es', "Lakemont Health is great", False),
    ("", "anything", False),
])
def test_matching_is_case_insensitive_and_word_bounded(world, query, text, expected):
    assert matches(world, query, text) is expected


def test_from_restricts_to_the_author(world):
    handle = world.author("x", 3).handle
    assert matches(world, f"from:{handle}", "whatever")
    assert not matches(world, f"from:{handle}", "whatever", handle_idx=4)
    assert matches(world, f"from:{handle} whatever", "whatever text")
    assert not matches(world, f"from:{handle} other", "whatever text")
    assert not matches(world, "from:nobody_known", "whatever")


def test_exclusion_posts_match_the_query_and_are_removed_by_the_negative(world, cfg):
    org = cfg.organisation
    positives = " OR ".join(f'"{t}"' for t in org.terms)
    now = int(CLOCK.timestamp() * 1000)
    top = visible_top(now)
    day = day_number(NIGHT)
    lo, hi = day * 86_400_000, (day + 1) * 86_400_000

    def everything(query: str) -> list[Post]:
        result = world.searcher.search("x", query, now_ms=now, lo_ms=lo, hi_ms=hi)
        return result.older_than(top, 100_000)[0]

    loose = everything(positives)
    strict = everything(positives + " " + " ".join(f'-"{x}"' for x in org.exclude))
    false_positives = [p for p in loose if any(x in p.blob for x in org.exclude)]
    assert false_positives and all(p.cat == "exclusion" for p in false_positives)
    assert {p.key for p in strict} == {p.key for p in loose} - {p.key for p in false_positives}
    keys = [p.key for p in loose]
    assert keys == sorted(keys, reverse=True)  # newest first
    assert all(lo << KEY_SHIFT <= k < hi << KEY_SHIFT for k in keys)


def test_paging_reuses_the_cached_scan(world):
    now = int(CLOCK.timestamp() * 1000)
    results = world.searcher.search("reddit", '"Lakemont Health" OR "Northgate Medical"',
                                    now_ms=now)
    scans = world.searcher.scans
    seen, threshold = [], visible_top(now)
    while True:
        page, more = results.older_than(threshold, 25)
        seen += page
        if not more:
            break
        threshold = page[-1].key
        again = world.searcher.search("reddit", '"Northgate Medical" OR "Lakemont Health"',
                                      now_ms=now)
        assert again is results  # same normalised query: the same result set
    assert len(seen) == len({p.key for p in seen}) > 100
    assert world.searcher.scans - scans <= 31  # at most one scan per day in the window
    scanned = world.searcher.scans
    world.searcher._results.clear()  # even a new result set reuses the per-day matches
    rerun = world.searcher.search("reddit", '"Lakemont Health" OR "Northgate Medical"',
                                  now_ms=now)
    assert rerun.older_than(visible_top(now), 10_000)[0] == seen
    assert world.searcher.scans == scanned


def test_owned_author_queries_skip_the_public_stream(cfg):
    world = World(cfg, seed=9, mentions_per_night=3000)
    now = int(CLOCK.timestamp() * 1000)
    result = world.searcher.search("x", Query(match_all=True), now_ms=now,
                                   authors=[world.owned_accounts("x")[0]], horizon_days=7)
    posts, _ = result.older_than(visible_top(now), 500)
    assert posts and all(p.author.owned for p in posts)
    assert not [k for k in world._days if k[2] == 0]  # no public stream was generated


def test_ascii_twins_are_all_the_non_ascii_matches_of_ascii_characters():
    """The prefilter folds text so that an ASCII term is a substring wherever it matches."""
    any_ascii = re.compile("|".join(re.escape(chr(i)) for i in range(128)), re.IGNORECASE)
    found = {chr(cp) for cp in range(0x80, 0x110000) if any_ascii.match(chr(cp))}
    assert found == set(ASCII_TWINS)
    for twin, letter in ASCII_TWINS.items():
        assert re.fullmatch(letter, twin, re.IGNORECASE) and fold(twin) == letter


PREFILTER_QUERIES = [
    '"Lakemont Health" OR "Lakemont Hospital" OR #LakemontHealth OR @lakemonthealth',
    '("Northgate Medical" OR NorthgateMedical) -"Northgate Mall" NOT parking',
    '"flu shot" OR "flu vaccine" OR #FluShot', "telehealth OR #Telehealth lang:es",
    '"emergency room wait" | "ER wait" | #ERWait', "billing -is:retweet", "café OR Zoë",
    '"Summit Ridge Health" OR SummitRidge OR "Bayfield Clinics"', "url:example.com lakemont",
]


@pytest.mark.parametrize("platform", ["x", "reddit", "youtube"])
def test_prefiltered_scan_matches_the_plain_regex(world, platform):
    stream = world.stream_posts(platform, day_number(NIGHT), STREAM_MENTIONS)
    text = DayText(stream)
    for query in PREFILTER_QUERIES:
        q = parse_query(query)
        for posts in (stream, [p for p in stream if p.lang == "en"]):
            plain = Matcher(q, None, ()).filter(posts)
            assert Matcher(q, None, ()).filter(posts, text) == plain, query


def test_prefilter_folds_what_the_regex_matches_case_insensitively(world):
    author = world.author("x", 3)
    texts = ["LAKEMONT   HEALTH rocks", "\u212aelvin at Lakemont Health", "lakemont healthcare",
             "Lakemont Health\u017f", "#LAKEMONTHEALTH", "ſupport Lakemont  \n Health"]
    posts = []
    for i, body in enumerate(texts):
        post = Post("x", (i + 1) << KEY_SHIFT, author, body, None, "en", "text", None, "chatter",
                    (), None, None, ())
        post.idx = i
        posts.append(post)
    text = DayText(posts)
    for query in ('"lakemont health"', "kelvin", "#lakemonthealth", "support", "-kelvin *"):
        matcher = Matcher(parse_query(query), None, ())
        assert matcher.filter(posts, text) == matcher.filter(posts), query


def test_a_window_ending_at_midnight_does_not_generate_the_next_day(cfg):
    world = World(cfg, seed=9, mentions_per_night=3000)
    day = day_number(NIGHT)
    midnight = (day + 1) * 86_400_000
    now = int(CLOCK.timestamp() * 1000)
    result = world.searcher.search("youtube", "*", now_ms=now, lo_ms=day * 86_400_000,
                                   hi_ms=midnight + 1)
    posts, _ = result.older_than(visible_top(now, midnight + 1), 10_000)
    assert posts and all(p.ms <= midnight for p in posts)
    assert ("youtube", day + 1, STREAM_MENTIONS) not in world._days
    assert world.first_ms("youtube", day + 1) > midnight
    for platform in ("x", "reddit"):  # a lower bound of the day's posts, exact once generated
        bound = world.first_ms(platform, day)
        assert bound == min(p.ms for p in world.day_posts(platform, day))
