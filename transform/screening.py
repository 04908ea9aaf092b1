"""Screening of mentions that are not independent voices: copy-paste bursts and bot accounts.

Copy-paste: two texts are near-identical when the Jaccard similarity of their word and
word-pair sets reaches `similarity`; near-identical texts, and chains of them (the variants of a
spun spam text), form a cluster. Candidate pairs come from MinHash LSH (datasketch, 128
permutations, fixed seed, banded at `similarity`), and each candidate pair is then measured
exactly: nothing compares every pair, and no verdict rests on an estimate. A post is in a
*burst* when some window of `window_minutes` holding it also holds posts of its cluster
from at least `min_accounts` distinct accounts. Within a burst the earliest post is the
original voice and stays; every later one (one with an earlier post of the cluster by another
account within the window) is excluded as `copy_paste`. Texts shorter than
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

Everything about a post depends on the posts within one window of it (bursts, originals) or two
(the duplicates signal), so a build screens the posts it adds and rewrites only the stored
posts within two windows of them whose verdict changed, reading four: the same verdicts whatever
the order in which nights are built, at a cost set by the night (`affected_ranges`,
`neighbour_ranges`). One approximation: clusters form among the posts read, so two texts joined
only through a variant posted more than four windows away are not joined.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib.metadata import version as _dist_version

NUM_PERM = 128
# LSH banding tuned at the similarity itself (datasketch's balance of missed pairs and false
# candidates); exact Jaccard then decides, and clusters join through any pair LSH did find
LSH_WEIGHTS = (0.5, 0.5)
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


def text_clusters(texts: Sequence[str], settings: Settings) -> list[int]:
    """A cluster id per text: texts are joined when near-identical, so a chain of near-identical
    variants (a spun spam text) is one cluster. A candidate pair already joined through others
    is not measured again, which keeps a large family of variants linear in practice."""
    from datasketch import MinHash, MinHashLSH

    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if len(texts) < 2:
        return parent
    sets = [shingles(words(t)) for t in texts]
    hashes = MinHash.bulk([list(s) for s in sets], num_perm=NUM_PERM, seed=SEED)
    lsh = MinHashLSH(threshold=settings.similarity, num_perm=NUM_PERM, weights=LSH_WEIGHTS)
    with lsh.insertion_session() as session:
        for i, mh in enumerate(hashes):
            session.insert(i, mh, check_duplication=False)
    for i, mh in enumerate(hashes):
        for j in lsh.query(mh):
            if j <= i:
                continue
            a, b = find(i), find(j)
            if a != b and len(sets[i] & sets[j]) >= settings.similarity * len(sets[i] | sets[j]):
                parent[max(a, b)] = min(a, b)
    return [find(i) for i in range(len(texts))]


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
    """post_key -> (accounts posting the cluster's text within one window either side, the
    earlier post it copies) for every post in a burst."""
    if not settings.copy_paste_enabled:
        return {}
    norm = {p.post_key: " ".join(words(p.text)) for p in order}
    eligible = [p for p in order if norm[p.post_key].count(" ") + 1 >= settings.min_words]
    distinct: dict[str, int] = {}
    for p in eligible:
        distinct.setdefault(norm[p.post_key], len(distinct))
    cluster = text_clusters(list(distinct), settings)
    members: dict[int, list[Post]] = defaultdict(list)  # oldest first, as `order` is
    for p in eligible:
        members[cluster[distinct[norm[p.post_key]]]].append(p)
    out: dict[str, tuple[int, str | None]] = {}
    for posts in members.values():
        if len({p.author_key for p in posts}) >= settings.min_accounts:
            out.update(_in_bursts(posts, settings))
    return out


def _in_bursts(posts: list[Post], settings: Settings) -> dict[str, tuple[int, str | None]]:
    """One cluster's posts (oldest first): those inside some window of `window_minutes` that
    holds `min_accounts` distinct accounts, in one pass of a sliding window."""
    window = settings.window
    marked: set[int] = set()
    authors: Counter[str] = Counter()
    left = marked_to = 0
    for right, p in enumerate(posts):
        authors[p.author_key] += 1
        while p.published_at - posts[left].published_at > window:
            authors[posts[left].author_key] -= 1
            if not authors[posts[left].author_key]:
                del authors[posts[left].author_key]
            left += 1
        if len(authors) >= settings.min_accounts:
            marked.update(range(max(left, marked_to), right + 1))
            marked_to = right + 1
    stamps = [p.published_at for p in posts]
    out = {}
    for i in sorted(marked):
        p = posts[i]
        lo = bisect.bisect_left(stamps, p.published_at - window)
        hi = bisect.bisect_right(stamps, p.published_at + window)
        accounts = len({q.author_key for q in posts[lo:hi]})
        # the earliest post of another account within the window before it: the original
        copy_of = next((q.post_key for q in posts[lo:i] if q.author_key != p.author_key), None)
        out[p.post_key] = (accounts, copy_of)
    return out


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
