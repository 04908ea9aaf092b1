"""The simulated world: determinism, volume, content mix, PHI canaries, ids, engagement."""

from __future__ import annotations

import gc
import random
import re
import time
from collections import Counter
from datetime import date

import pytest

from extract.simulator.platforms import iso_date, iso_millis, iso_z
from extract.simulator.world import (
    B32,
    B32_SORT,
    B36,
    B64,
    PLATFORMS,
    SHARES,
    STREAM_MENTIONS,
    STREAM_OWNED,
    World,
    day_number,
    day_range,
    engagement,
    from_ms,
    to_alphabet,
)

from .conftest import NIGHT

DAY = day_number(NIGHT)


@pytest.fixture(scope="module")
def world(cfg) -> World:
    return World(cfg, seed=7, mentions_per_night=20_000)


def all_mentions(world: World, day: int = DAY) -> list:
    return [p for pl in PLATFORMS for p in world.stream_posts(pl, day, STREAM_MENTIONS)]


def test_same_seed_same_world_other_seed_other_world(cfg):
    a, b, c = (World(cfg, seed=s, mentions_per_night=500) for s in (3, 3, 4))
    for platform in PLATFORMS:
        pa, pb, pc = (w.day_posts(platform, DAY) for w in (a, b, c))
        assert [(p.key, p.blob, p.author.handle, p.likes) for p in pa] == \
               [(p.key, p.blob, p.author.handle, p.likes) for p in pb]
        assert [p.blob for p in pa] != [p.blob for p in pc]


def test_volume_is_split_across_platforms(world):
    counts = {p: len(world.stream_posts(p, DAY, STREAM_MENTIONS)) for p in PLATFORMS}
    total = sum(counts.values())
    assert 0.85 * 20_000 < total < 1.1 * 20_000
    for platform, share in SHARES.items():
        assert abs(counts[platform] / total - share) < 0.02


def test_brand_shares_comparisons_exclusions_and_topics(world, cfg):
    posts = all_mentions(world)
    brand_posts = [p for p in posts if p.brands]
    first = Counter(p.brands[0] for p in brand_posts)
    assert 0.36 < first[cfg.organisation.id] / len(brand_posts) < 0.44
    shares = [first[c.id] / len(brand_posts) for c in cfg.panel.competitors]
    assert shares == sorted(shares, reverse=True) and all(s > 0.1 for s in shares)
    assert 0.06 < sum(len(p.brands) == 2 for p in brand_posts) / len(brand_posts) < 0.10
    assert 0.12 < sum(p.cat == "topic" for p in posts) / len(posts) < 0.18
    excluded = [p for p in posts if p.cat == "exclusion"]
    assert 0.01 < len(excluded) / len(posts) < 0.03
    terms = {b.id: (b.exclude, b.terms) for b in cfg.brands}
    for post in excluded:  # an exclusion term AND a brand term: matchable, yet not about us
        excl, names = terms[post.brands[0]]
        assert any(x in post.blob for x in excl) and any(n in post.blob for n in names)


def test_content_mix(world, cfg):
    posts = all_mentions(world)
    cats = Counter(p.cat for p in posts)
    for cat in ("praise", "complaint", "news", "question", "trap", "compare", "campaign",
                "misinfo", "chatter"):
        assert cats[cat] > 0, cat
    langs = Counter(p.lang for p in posts)
    assert langs["en"] / len(posts) > 0.75 and {"es", "fr", "de", "pt"} <= set(langs)
    blobs = "\n".join(p.blob for p in posts)
    for needle in ("tested positive", "in remission", "came back negative", "Discharged today",
                   "misdiagnosed", "natural-cures.example", "@lakemonthealth how do I book"):
        assert needle.lower() in blobs.lower(), needle
    assert re.search(r"[\U0001F300-\U0001FAFF]", blobs)
    questions = [p for p in posts if p.cat == "question" and p.lang == "en"]
    assert all(re.search(r"(@|u/)\w", p.blob) for p in questions)
    topic_words = {k.lower() for t in cfg.topics for k in t.keywords} | {
        f"#{h.lower()}" for t in cfg.topics for h in t.hashtags}
    for post in (p for p in posts if p.cat == "topic"):
        assert any(w in post.blob.lower() for w in topic_words)


def test_campaign_hashtags_only_inside_their_window(world, cfg):
    tags = {f"#{t}".lower() for c in cfg.campaigns for t in c.hashtags}
    inside = "\n".join(p.blob.lower() for pl in PLATFORMS for p in world.day_posts(pl, DAY))
    assert all(tag in inside for tag in tags)
    for outside in (date(2026, 9, 1), date(2026, 12, 20)):  # before and after every window
        assert not any(c.start <= outside <= c.end for c in cfg.campaigns)
        text = "\n".join(p.blob.lower() for pl in PLATFORMS
                         for p in world.day_posts(pl, day_number(outside)))
        assert not [tag for tag in tags if re.search(re.escape(tag) + r"\b", text)]


def test_phi_canaries_are_planted_verbatim(world):
    canaries = world.phi_canaries(NIGHT)
    posts = all_mentions(world)
    with_phi = [p for p in posts if p.phi]
    assert 0.02 < len(with_phi) / len(posts) < 0.045
    text = "\n".join(p.blob for pl in PLATFORMS for p in world.day_posts(pl, DAY))
    assert all(c in text for p in with_phi for c in p.phi)
    assert {c for p in with_phi for c in p.phi} <= canaries
    kinds = {
        "phone": r"555[-. ]?01\d\d", "email": r"@example\.(com|org)$",
        "mrn": r"^(MRN \d{8}|medical record #\d{7})$",
        "dob": r"^(DOB \d\d/\d\d/\d{4}|born \d{4}-\d\d-\d\d)$",
        "address": r"^\d+ \w+ (Street|Avenue|Road|Lane|Drive)(, Apt \d+)?$",
    }
    for kind, pattern in kinds.items():
        assert any(re.search(pattern, c) for c in canaries), kind
    assert world.phi_canaries(day_range(NIGHT, NIGHT)) == canaries


def test_owned_accounts_post_every_day_with_native_content_types(world, cfg):
    for platform in PLATFORMS:
        owned = [p for p in world.stream_posts(platform, DAY, STREAM_OWNED) if p.author.owned]
        per_brand = Counter(p.author.brand_id for p in owned if p.ctype != "reply")
        for brand in cfg.brands:
            if brand.handles.for_platform(platform):
                assert 1 <= per_brand[brand.id] <= 4, (platform, brand.id)
        replies = [p for p in owned if p.reply_to is not None]
        if platform in ("x", "bluesky", "mastodon"):
            assert replies and all(p.reply_to.cat == "question" for p in replies)
            assert all(p.reply_to.ms < p.ms for p in replies)
        else:
            assert not replies
    types = Counter(p.ctype for d in range(DAY - 6, DAY + 1) for pl in ("x", "mastodon")
                    for p in world.stream_posts(pl, d, STREAM_OWNED) if p.author.owned)
    assert {"video", "image", "infographic", "carousel", "text", "link"} <= set(types)
    shorts = [p for d in range(DAY - 6, DAY + 1)
              for p in world.stream_posts("youtube", d, STREAM_OWNED) if p.ctype == "short"]
    assert shorts and all(p.dur < 60 for p in shorts)


def test_authors_power_law_verified_and_clinicians(world):
    authors = {id(p.author): p.author for p in all_mentions(world)}.values()
    followers = sorted(a.followers0 for a in authors)
    assert followers[len(followers) // 2] < 200 < 100_000 < followers[-1]
    kinds = Counter(a.kind for a in authors)
    assert {"person", "clinician", "micro", "macro", "news"} <= set(kinds)
    clinicians = [a for a in authors if a.kind == "clinician"]
    assert any(a.name.startswith("Dr. ") for a in clinicians)
    assert any(re.search(r"\b(MD|RN)\b|pharmacist", a.bio) for a in clinicians)
    assert any(a.verified for a in clinicians) and any(a.verified for a in authors)
    micro = [a for a in authors if a.kind == "micro"]
    assert all(10_000 <= a.followers0 <= 100_000 for a in micro)
    assert all(a.followers0 > 100_000 for a in authors if a.kind == "macro")


def test_engagement_grows_then_levels_off(world):
    post = max(world.stream_posts("x", DAY, STREAM_MENTIONS), key=lambda p: p.likes)
    hour = 3_600_000
    series = [engagement(post, post.ms + h * hour) for h in (0, 1, 6, 24, 72, 24 * 30)]
    likes = [e.likes for e in series]
    assert likes[0] == 0 and likes == sorted(likes) and likes[-1] <= post.likes
    assert likes[-1] >= 0.95 * post.likes
    assert [e.views for e in series] == sorted(e.views for e in series)
    assert engagement(post, post.ms + 5 * hour) == engagement(post, post.ms + 5 * hour)


def test_ids_round_trip_and_grow_with_time(world):
    for platform in PLATFORMS:
        author = world.author(platform, 17)
        assert world.author_by_id(platform, world.author_id(author)) is author
        assert world.author_by_handle(platform, author.handle if not author.remote
                                      else f"{author.handle}@{author.remote}") is author
        for owned in world.owned_accounts(platform):
            assert world.author_by_id(platform, world.author_id(owned)) is owned
            assert world.author_by_handle(platform, owned.handle) is owned
    videos = world.day_posts("youtube", DAY)
    ids = [world.video_id(v) for v in videos]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{10}[AEIMQUYcgkosw048]", i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert all(world.video_by_id(i) is v for i, v in zip(ids, videos, strict=True))
    assert world.video_by_id("AAAAAAAAAAA") is None
    for platform in PLATFORMS:
        keys = [p.key for p in world.day_posts(platform, DAY)]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
        assert all(k % 2 == 0 for k in keys)


def test_ids_decode_in_a_world_that_never_encoded_them(world, cfg):
    fresh = World(cfg, seed=7, mentions_per_night=20_000)  # ids are remembered once served
    for platform in PLATFORMS:
        for author in [world.author(platform, 17), *world.owned_accounts(platform)]:
            found = fresh.author_by_id(platform, world.author_id(author))
            assert found is not None and (found.idx, found.owned) == (author.idx, author.owned)
        assert fresh.author_by_id(platform, "nonsense") is None


def test_digits_in_power_of_two_alphabets_match_the_digit_loop():
    def digit_loop(n: int, length: int, alphabet: str) -> str:
        out = []
        for _ in range(length):
            n, r = divmod(n, len(alphabet))
            out.append(alphabet[r])
        return "".join(reversed(out))

    rng = random.Random(3)
    for _ in range(3000):
        alphabet = rng.choice((B64, B32, B32_SORT, B64.replace("-", "x"), B36))
        n, length = rng.getrandbits(rng.randint(0, 300)), rng.randint(0, 60)
        assert to_alphabet(n, length, alphabet) == digit_loop(n, length, alphabet)


def test_timestamps_match_strftime():
    rng = random.Random(4)
    for _ in range(3000):
        ms = rng.randint(0, 4_102_444_800_000)
        stamp = from_ms(ms // 1000 * 1000).strftime("%Y-%m-%dT%H:%M:%S")
        assert iso_z(ms) == stamp + "Z"
        assert iso_millis(ms) == f"{stamp}.{ms % 1000:03d}Z"
        assert iso_date(ms) == stamp[:10]


def test_a_simulator_process_freezes_each_generated_day(cfg):
    world = World(cfg, seed=8, mentions_per_night=2000)
    world.freeze_gc = True  # what `serve` sets; off by default (it is process-wide)
    try:
        posts = world.stream_posts("x", DAY, STREAM_MENTIONS)
        assert gc.get_freeze_count() > len(posts) and gc.isenabled()
    finally:
        gc.unfreeze()


def test_one_hundred_thousand_mentions_generate_quickly(cfg):
    world = World(cfg, seed=99, mentions_per_night=100_000)
    started = time.perf_counter()
    total = sum(len(world.stream_posts(p, DAY, STREAM_MENTIONS)) for p in PLATFORMS)
    elapsed = time.perf_counter() - started
    print(f"\ngenerated {total} mentions in {elapsed:.2f}s")
    assert total > 90_000
