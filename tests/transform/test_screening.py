"""Copy-paste and bot screening (transform/screening.py) on hand-made posts.

A burst of near-identical texts (emoji, hashtag and one word varying) from six accounts in 30
minutes: the first post stays, the other five are copies. The same text from four accounts,
or spread over hours, or too short, is no burst. New, hyperactive, mass-following accounts
posting copies are bots. And verdicts depend only on posts within two windows: judging the
posts night by night, in any order, gives what judging all at once gives.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from transform.screening import (
    Post,
    Profile,
    Settings,
    affected_ranges,
    merged_ranges,
    neighbour_ranges,
    screen,
    text_clusters,
)

T0 = datetime(2026, 11, 20, 14, 0)
SETTINGS = Settings()
SPAM = "Tell Northgate Medical to stop cutting night-shift nurses, patients deserve safe staffing {x}"
VARIANTS = ("now", "#SafeStaffing", "today!!", "🙏", "please share", "")
NORMAL = Profile(followers=800, following=300, post_count=4000, created_day=date(2019, 5, 1),
                 seen_day=date(2026, 11, 20))
BOT = Profile(followers=3, following=4200, post_count=9000, created_day=date(2026, 11, 10),
              seen_day=date(2026, 11, 20))


def burst(prefix: str, accounts: int, spacing: timedelta, start: datetime = T0) -> list[Post]:
    return [Post(f"{prefix}{i:02d}", f"{prefix}_author{i}", start + i * spacing,
                 SPAM.format(x=VARIANTS[i % len(VARIANTS)])) for i in range(accounts)]


def chatter(n: int, start: datetime = T0) -> list[Post]:
    rng = random.Random(7)
    words = ["the", "er", "wait", "at", "lakemont", "was", "long", "but", "nurses", "were", "kind", "and",
             "the", "parking", "is", "awful", "today"]
    return [Post(f"c{i:03d}", f"c_author{i}", start + timedelta(minutes=rng.randrange(0, 600)),
                 " ".join(rng.sample(words, 9))) for i in range(n)]


def test_near_identical_texts_are_found():
    texts = [SPAM.format(x=v) for v in VARIANTS] + ["Got my flu shot at Bayfield today, quick and painless"]
    cluster = text_clusters(texts, SETTINGS)
    assert set(cluster[:len(VARIANTS)]) == {0}
    assert cluster[len(VARIANTS)] == len(VARIANTS)


def test_burst_keeps_the_first_and_excludes_the_copies():
    posts = burst("b", 6, timedelta(minutes=5)) + chatter(40)
    verdicts = screen(posts, {}, SETTINGS)
    kept = verdicts["b00"]
    assert kept.in_burst and kept.burst_accounts == 6 and not kept.is_excluded
    for i in range(1, 6):
        v = verdicts[f"b{i:02d}"]
        assert v.exclusion_reason == "copy_paste" and v.copy_of == "b00", v
    assert not any(verdicts[p.post_key].is_excluded for p in chatter(40))


def test_no_burst_below_the_thresholds():
    few = burst("f", 4, timedelta(minutes=5))  # 4 accounts < min_accounts 5
    slow = burst("s", 8, timedelta(minutes=20), start=T0 + timedelta(hours=5))  # <= 4 in any 60 minutes
    short = [Post(f"t{i}", f"t_author{i}", T0 + timedelta(minutes=i), "Thank you Lakemont!")
             for i in range(9)]
    verdicts = screen(few + slow + short, {}, SETTINGS)
    assert not any(v.in_burst or v.is_excluded for v in verdicts.values()), [
        v for v in verdicts.values() if v.in_burst]


def test_the_same_account_repeating_itself_is_no_burst():
    posts = [Post(f"r{i}", "one_author", T0 + timedelta(minutes=i), SPAM.format(x=VARIANTS[i % 6]))
             for i in range(10)]
    assert not any(v.in_burst for v in screen(posts, {}, SETTINGS).values())


def test_bot_signals_and_verdict():
    posts = burst("b", 6, timedelta(minutes=5))
    profiles = {p.author_key: (BOT if i % 2 else NORMAL) for i, p in enumerate(posts)}
    verdicts = screen(posts, profiles, SETTINGS)
    bot = verdicts["b01"]
    assert (bot.new_account, bot.high_rate, bot.follow_shape, bot.duplicates) == (True, True, True, True)
    assert bot.is_bot and bot.exclusion_reason == "bot_account"
    human_copy = verdicts["b02"]
    assert human_copy.bot_signals == 1 and human_copy.duplicates
    assert human_copy.exclusion_reason == "copy_paste"
    # a bot's first post of the burst is excluded as a bot though it is the original
    profiles["b_author0"] = BOT
    assert screen(posts, profiles, SETTINGS)["b00"].exclusion_reason == "bot_account"


def test_unknown_profile_fields_count_as_no_signal():
    posts = [Post("p", "a", T0, "Long enough text about the emergency room waiting times today")]
    v = screen(posts, {"a": Profile(None, None, None, None, None)}, SETTINGS)["p"]
    assert v.bot_signals == 0 and not v.is_excluded


def test_disabled_screens_nothing():
    posts = burst("b", 6, timedelta(minutes=5))
    off = Settings(copy_paste_enabled=False, bots_enabled=False)
    assert not any(v.is_excluded for v in screen(posts, {p.author_key: BOT for p in posts}, off).values())


def _night_by_night(posts: list[Post], nights: list[date]) -> dict:
    """What int_post_screening does: judge each night's new posts and re-judge the stored ones
    within two windows of them, reading four windows; keep the latest verdict per post."""
    stored: dict = {}
    loaded: list[Post] = []
    for night in nights:
        new = [p for p in posts if p.published_at.date() == night]
        loaded += new
        reach = affected_ranges([p.published_at for p in new], SETTINGS)
        around = neighbour_ranges([p.published_at for p in new], SETTINGS)
        sample = [p for p in loaded if any(lo <= p.published_at <= hi for lo, hi in around)]
        judge = {p.post_key for p in new} | {p.post_key for p in sample
                                             if any(lo <= p.published_at <= hi for lo, hi in reach)}
        stored.update(screen(sample, {}, SETTINGS, judge=judge))
    return stored


def test_verdicts_do_not_depend_on_the_order_nights_are_built():
    # a burst straddling midnight: its first three posts on the 20th, the rest on the 21st
    posts = burst("m", 7, timedelta(minutes=6), start=datetime(2026, 11, 20, 23, 45)) + chatter(30) \
        + chatter(30, start=datetime(2026, 11, 21, 8)) + burst("d", 5, timedelta(minutes=2),
                                                               start=datetime(2026, 11, 21, 12))
    once = screen(posts, {}, SETTINGS)
    nights = [date(2026, 11, 20), date(2026, 11, 21)]
    assert _night_by_night(posts, nights) == once
    assert _night_by_night(posts, nights[::-1]) == once
    assert once["m00"].copy_of is None and once["m06"].copy_of == "m00"


def test_a_large_family_of_spun_variants_is_one_cluster_per_text():
    # 3,000 variants of three texts, every one near-identical to hundreds of others (the
    # benchmark, bench/patient.py, measures what this costs)
    rng = random.Random(3)
    bases = [SPAM.format(x=""), "The nurses at Lakemont were so kind to my dad during his stay",
             "Billed twice for the same MRI at Summit Ridge and the billing office never calls back"]
    vocab = [f"w{i:04d}" for i in range(3000)]
    texts = [f"{rng.choice(bases)} {rng.choice(vocab)}" for _ in range(3000)]
    cluster = text_clusters(texts, SETTINGS)
    assert len(set(cluster)) == len(bases)


def test_ranges_merge():
    hour = timedelta(hours=1)
    assert merged_ranges([T0, T0 + hour, T0 + 10 * hour], hour) == [
        (T0 - hour, T0 + 2 * hour), (T0 + 9 * hour, T0 + 11 * hour)]
