"""Screening of mentions that are not independent voices: copy-paste bursts and bot accounts.

Copy-paste: two texts are near-identical when the Jaccard similarity of their word and
word-pair sets reaches `similarity`. Candidate pairs come from MinHash LSH (datasketch, 128
permutations, fixed seed, banded for a threshold 0.2 below `similarity` so that a true pair is
rarely missed), and each candidate pair is then measured exactly: nothing compares every pair,
and no verdict rests on an estimate. A post is
in a *burst* when some window of `window_minutes` holding it also holds near-identical posts
from at least `min_accounts` distinct accounts. Within a burst the earliest post is the
original voice and stays; every later one is excluded as `copy_paste`. Texts shorter than
`min_words` words ("thank you!") are never copies.

Bots: four signals from what the platforms return, each counted only where the platform said:
  - new_account:  the account was younger than `new_account_days` when it posted;
  - high_rate:    its lifetime posts per day of age exceed `max_posts_per_day`;
  - follow_shape: it follows at least `min_following` accounts with followers below
                  `max_follower_ratio` times that;
  - duplicates:   at least `duplicate_share` of its posts within the window around the post
                  are in bursts.
An account with `min_signals` or more signals on a post is a bot there: excluded as
`bot_account` (which takes precedence over copy_paste).

Everything about a post depends only on posts within one window of it (bursts, originals) or
two (the duplicates signal), so a build screens the posts it adds and rewrites only the stored
posts within two windows of them whose verdict changed: the same verdicts whatever the order in
which nights are built, at a cost set by the night (`affected_ranges`, `neighbour_ranges`).
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib.metadata import version as _dist_version

NUM_PERM = 128
LSH_SLACK = 0.2  # LSH finds candidates this far below the similarity; exact Jaccard decides
SEED = 1
DATASKETCH_VERSION = _dist_version("datasketch")
SCREENING_VERSION = f"screening_v1+datasketch-{DATASKETCH_VERSION}+perm{NUM_PERM}"
_URL = re.compile(r"https?://\S+")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


@dataclass(frozen=True)
class Settings:
    copy_paste_enabled: bool = True
    similarity: float = 0.7
    window_minutes: int = 60
    min_accounts: int = 5
    min_words: int = 6
    bots_enabled: bool = True
    new_account_days: int = 30
    max_posts_per_day: float = 72.0
    min_following: int = 1000
    max_follower_ratio: float = 0.05
    duplicate_share: float = 0.5
    min_signals: int = 2

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)

    def as_json(self) -> str:
        """Stored on every screened row: a verdict can always be explained."""
        return json.dumps(self.__dict__, sort_keys=True)


@dataclass(frozen=True)
class Post:
    post_key: str
    author_key: str
    published_at: datetime
    text: str


@dataclass(frozen=True)
class Profile:
    followers: int | None
    following: int | None
    post_count: int | None
    created_day: date | None
    seen_day: date | None


@dataclass(frozen=True)
class Verdict:
    post_key: str
    in_burst: bool
    burst_accounts: int
    copy_of: str | None  # the burst's earliest post when this post is a later copy
    new_account: bool
    high_rate: bool
    follow_shape: bool
    duplicates: bool
    bot_signals: int
    is_bot: bool
    exclusion_reason: str | None

    @property
    def is_excluded(self) -> bool:
        return self.exclusion_reason is not None


def words(text: str) -> list[str]:
    """Lower-cased words without links: what two copies share whatever their emoji or punctuation."""
    return _WORD.findall(_URL.sub(" ", text.lower()))


def shingles(tokens: Sequence[str]) -> set[bytes]:
    return {t.encode() for t in tokens} | {f"{a} {b}".encode() for a, b in itertools.pairwise(tokens)}


def similar_texts(texts: Sequence[str], settings: Settings) -> dict[int, set[int]]:
    """For each text index, the indexes of the texts near-identical to it (itself included)."""
    from datasketch import MinHash, MinHashLSH

    out: dict[int, set[int]] = {i: {i} for i in range(len(texts))}
    if len(texts) < 2:
        return out
    sets = [shingles(words(t)) for t in texts]
    hashes = MinHash.bulk([list(s) for s in sets], num_perm=NUM_PERM, seed=SEED)
    lsh = MinHashLSH(threshold=max(0.1, settings.similarity - LSH_SLACK), num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for i, mh in enumerate(hashes):
            session.insert(i, mh, check_duplication=False)
    for i, mh in enumerate(hashes):
        for j in lsh.query(mh):
            if j > i and len(sets[i] & sets[j]) >= settings.similarity * len(sets[i] | sets[j]):
                out[i].add(j)
                out[j].add(i)
    return out


def screen(posts: Sequence[Post], profiles: dict[str, Profile], settings: Settings,
           judge: Iterable[str] | None = None) -> dict[str, Verdict]:
    """Verdicts for the posts in `judge` (default: all), from the posts given around them.

    The caller passes every post within two windows of a judged post (`neighbour_ranges`),
    else the verdict sees less than it should."""
    order = sorted(posts, key=lambda p: (p.published_at, p.post_key))
    burst = _bursts(order, settings)
    wanted = set(judge) if judge is not None else {p.post_key for p in order}
    by_author: dict[str, list[Post]] = defaultdict(list)
    for p in order:
        by_author[p.author_key].append(p)
    out = {}
    for p in order:
        if p.post_key not in wanted:
            continue
        accounts, copy_of = burst.get(p.post_key, (0, None))
        flags = _bot_flags(p, profiles.get(p.author_key), by_author[p.author_key], burst, settings)
        signals = sum(flags)
        is_bot = settings.bots_enabled and signals >= settings.min_signals
        in_burst = p.post_key in burst
        reason = "bot_account" if is_bot else "copy_paste" if copy_of is not None else None
        out[p.post_key] = Verdict(p.post_key, in_burst, accounts, copy_of, *flags, signals, is_bot, reason)
    return out


def _bursts(order: list[Post], settings: Settings) -> dict[str, tuple[int, str | None]]:
    """post_key -> (most distinct accounts in a window holding it, the burst's earliest post if
    this one is a later copy) for every post in a burst."""
    if not settings.copy_paste_enabled:
        return {}
    norm = {p.post_key: " ".join(words(p.text)) for p in order}
    eligible = [p for p in order if norm[p.post_key].count(" ") + 1 >= settings.min_words]
    distinct: dict[str, int] = {}
    for p in eligible:
        distinct.setdefault(norm[p.post_key], len(distinct))
    near = similar_texts(list(distinct), settings)
    posts_of: dict[int, list[Post]] = defaultdict(list)  # text index -> its posts, oldest first
    for p in eligible:
        posts_of[distinct[norm[p.post_key]]].append(p)
    stamps = {t: [q.published_at for q in ps] for t, ps in posts_of.items()}
    out = {}
    for p in eligible:
        lo, hi = p.published_at - settings.window, p.published_at + settings.window
        group = sorted((q for t in near[distinct[norm[p.post_key]]]
                        for q in _between(posts_of[t], stamps[t], lo, hi)),
                       key=lambda q: (q.published_at, q.post_key))
        accounts = _densest(group, p, settings.window)
        if accounts >= settings.min_accounts:
            first = group[0]
            copy_of = first.post_key if first.author_key != p.author_key else None
            out[p.post_key] = (accounts, copy_of)
    return out


def _between(posts: list[Post], stamps: list[datetime], lo: datetime, hi: datetime) -> list[Post]:
    return posts[bisect.bisect_left(stamps, lo):bisect.bisect_right(stamps, hi)]


def _densest(group: list[Post], p: Post, window: timedelta) -> int:
    """Most distinct accounts in any window of length `window` that holds p."""
    best = 0
    stamps = [q.published_at for q in group]
    for i, start in enumerate(group):
        if start.published_at > p.published_at:
            break
        end = bisect.bisect_right(stamps, start.published_at + window)
        if end - 1 >= i and stamps[end - 1] >= p.published_at:
            best = max(best, len({q.author_key for q in group[i:end]}))
    return best


def _bot_flags(p: Post, profile: Profile | None, own: list[Post], burst: dict, settings: Settings
               ) -> tuple[bool, bool, bool, bool]:
    new_account = high_rate = follow_shape = False
    if profile is not None and profile.created_day is not None:
        age_at_post = (p.published_at.date() - profile.created_day).days
        new_account = age_at_post < settings.new_account_days
        if profile.post_count is not None:
            age_seen = max(1, ((profile.seen_day or p.published_at.date()) - profile.created_day).days)
            high_rate = profile.post_count / age_seen > settings.max_posts_per_day
    if profile is not None and profile.following is not None and profile.followers is not None:
        follow_shape = (profile.following >= settings.min_following
                        and profile.followers < settings.max_follower_ratio * profile.following)
    nearby = [q for q in own if abs(q.published_at - p.published_at) <= settings.window]
    copies = sum(q.post_key in burst for q in nearby)
    duplicates = bool(nearby) and copies / len(nearby) >= settings.duplicate_share
    return new_account, high_rate, follow_shape, duplicates


def merged_ranges(moments: Iterable[datetime], radius: timedelta) -> list[tuple[datetime, datetime]]:
    """[t - radius, t + radius] around each moment, overlapping ones merged, in order."""
    out: list[list[datetime]] = []
    for t in sorted(moments):
        lo, hi = t - radius, t + radius
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]


def affected_ranges(new: Iterable[datetime], settings: Settings) -> list[tuple[datetime, datetime]]:
    """Where a verdict can change when posts arrive at `new`: two windows (a burst reaches one
    window, the duplicates signal one more)."""
    return merged_ranges(new, 2 * settings.window)


def neighbour_ranges(new: Iterable[datetime], settings: Settings) -> list[tuple[datetime, datetime]]:
    """What the affected verdicts read: two windows beyond the affected ranges."""
    return merged_ranges(new, 4 * settings.window)
