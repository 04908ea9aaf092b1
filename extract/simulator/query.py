"""Search queries: the subset of the platforms' query syntax the connectors send (WIRE.md).

    "quoted phrase"  word  #hashtag  @handle      positive terms, joined by OR / | / spaces
    -word  -"phrase"  NOT word                    negative terms
    from:<handle>  author:<name>  lang:<xx>       operators (author restrictions AND terms)
    -is:retweet, is:/has:/url: operators, ( )     accepted and ignored
    *                                             everything

A post matches when any positive term occurs (case-insensitive, word-bounded) and no
negative term does. Matches are cached per (platform, day, normalised query), so paging
through 100k results scans each day once. A scan first finds candidate posts by plain
substring search in the day's case-folded texts (`DayText`), and runs each term's regex
only on posts holding its literals (a phrase: all its words): the regexes alone, tried at
every position of every post, were most of a scan's cost. A `ResultSet` strings the days
together lazily,
newest first, and answers the three paging styles the platforms use: "older than a key"
(cursors), "newer than a key" (Mastodon min_id/since_id) and offsets (Mastodon v2 search).
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from typing import TYPE_CHECKING

from extract.simulator.world import (
    DAY_MS,
    HOUR_MS,
    KEY_SHIFT,
    STREAM_MENTIONS,
    STREAM_OWNED,
    day_of,
)

if TYPE_CHECKING:
    from extract.simulator.world import Author, Post, World

_TOKEN = re.compile(r'(-?)"([^"]*)"?|[()|]|([^\s()|"]+)')
_IGNORED_OPERATORS = frozenset({"is", "has", "url", "place", "conversation_id", "to", "retweets_of",
                                "subreddit", "site", "self", "title", "selftext", "type"})
AUTHOR_OPERATORS = frozenset({"from", "author"})


@dataclass(frozen=True)
class Query:
    """A parsed query; `key` is its normalised form (term order and case do not matter)."""

    positives: tuple[tuple[str, str], ...] = ()  # (kind, text): kind is '"', 'w', '#', '@'
    negatives: tuple[tuple[str, str], ...] = ()
    authors: tuple[str, ...] = ()  # lower-cased handles from from:/author:
    langs: tuple[str, ...] = ()
    match_all: bool = False

    @property
    def key(self) -> tuple:
        return (self.positives, self.negatives, self.authors, self.langs, self.match_all)

    @property
    def empty(self) -> bool:
        return not (self.positives or self.authors or self.match_all)


def parse_query(text: str) -> Query:
    positives: set[tuple[str, str]] = set()
    negatives: set[tuple[str, str]] = set()
    authors: set[str] = set()
    langs: set[str] = set()
    match_all = False
    negate_next = False
    for m in _TOKEN.finditer(text or ""):
        dash, phrase, word = m.group(1), m.group(2), m.group(3)
        if phrase is not None:
            words = " ".join(phrase.lower().split())
            if words:
                (negatives if dash or negate_next else positives).add(('"', words))
            negate_next = False
            continue
        if word is None:  # parenthesis or '|'
            continue
        if word in ("OR", "AND"):
            continue
        if word == "NOT":
            negate_next = True
            continue
        negative = negate_next or (word.startswith("-") and len(word) > 1)
        negate_next = False
        word = word[1:] if word.startswith("-") else word
        lower = word.lower()
        op, sep, value = lower.partition(":")
        if sep and value and op.isalpha() and not lower.startswith(("#", "@")):
            if op in AUTHOR_OPERATORS and not negative:
                authors.add(value.lstrip("@"))
            elif op == "lang" and not negative:
                langs.add(value)
            elif op in _IGNORED_OPERATORS or op in AUTHOR_OPERATORS or op == "lang":
                pass
            else:
                (negatives if negative else positives).add(("w", lower))
            continue
        if lower == "*":
            match_all = True
            continue
        term = _term(lower)
        if term is not None:
            (negatives if negative else positives).add(term)
    return Query(tuple(sorted(positives)), tuple(sorted(negatives)), tuple(sorted(authors)),
                 tuple(sorted(langs)), match_all)


def _term(lower: str) -> tuple[str, str] | None:
    if lower.startswith("#") and len(lower) > 1:
        return ("#", lower[1:])
    if lower.startswith("@") and len(lower) > 1:
        return ("@", lower[1:])
    stripped = lower.strip(".,;:!?")
    return ("w", stripped) if stripped else None


def term_pattern(kind: str, text: str) -> str:
    if kind == "#":
        return r"(?<!\w)#" + re.escape(text) + r"(?!\w)"
    if kind == "@":
        return r"(?<![\w@])@" + re.escape(text) + r"(?!\w)"
    return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in text.split()) + r"(?!\w)"


def compile_terms(terms: Iterable[tuple[str, str]]) -> re.Pattern[str] | None:
    patterns = [term_pattern(kind, text) for kind, text in terms]
    return re.compile("|".join(patterns), re.IGNORECASE) if patterns else None


# Non-ASCII characters that re.IGNORECASE matches to an ASCII letter (test_query checks
# this against every code point); folding them keeps the substring prefilter exact.
ASCII_TWINS = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}


def fold(text: str) -> str:
    """Lower-case `text` so that an ASCII term the regex matches is a substring of it."""
    if not text.isascii():
        for twin, letter in ASCII_TWINS.items():
            if twin in text:
                text = text.replace(twin, letter)
    return text.lower()


def term_literals(kind: str, text: str) -> tuple[str, ...] | None:
    """Folded substrings every match of the term contains (a phrase: each of its words),
    or None when the term has no ASCII literals to search for."""
    literals = (kind + text,) if kind in ("#", "@") else tuple(text.split())
    if not literals or not all(w.isascii() for w in literals):
        return None
    return tuple(w.lower() for w in literals)


@lru_cache(maxsize=1024)
def _term_search(kind: str, text: str) -> Callable[[str], re.Match[str] | None]:
    return re.compile(term_pattern(kind, text), re.IGNORECASE).search


Check = tuple[tuple[str, ...], Callable[[str], re.Match[str] | None]]


def _term_checks(terms: tuple[tuple[str, str], ...]) -> tuple[Check, ...] | None:
    """(literals, regex search) per term; None if some term cannot be prefiltered."""
    checks = []
    for kind, text in terms:
        literals = term_literals(kind, text)
        if literals is None:
            return None
        checks.append((literals, _term_search(kind, text)))
    return tuple(checks)


class DayText:
    """One stream's post texts, case-folded once, to find which posts hold a literal."""

    def __init__(self, posts: list[Post]):
        self.posts = posts
        self.texts = [fold(p.blob) for p in posts]
        self._flags: dict[str, bytes] = {}  # literals recur across a night's queries

    def flags(self, literal: str) -> bytes:
        """Byte i (= `Post.idx`) is 1 when post i's folded text contains `literal`."""
        got = self._flags.get(literal)
        if got is None:
            got = self._flags[literal] = bytes([literal in text for text in self.texts])
        return got

    def candidates(self, literals: tuple[str, ...]) -> list[int]:
        """`Post.idx` of the posts holding all the literals. Only the longest (likely the
        rarest) is looked for in every post, the others in those that hold it."""
        first, *rest = sorted(literals, key=len, reverse=True)
        found = list(compress(range(len(self.texts)), self.flags(first)))
        texts = self.texts
        for literal in rest:
            found = [i for i in found if literal in texts[i]]
        return found

    def matching(self, posts: list[Post], checks: tuple[Check, ...], keep: bool) -> list[Post]:
        """The posts (of this stream) matching some term, or with keep=False the others;
        a term's regex only runs on posts holding all its literals, and not matched yet."""
        stream = self.posts
        done = bytearray(len(stream))
        for literals, search in checks:
            for i in self.candidates(literals):
                if not done[i] and search(stream[i].blob):
                    done[i] = 1
        if posts is stream and keep:
            return list(compress(stream, done))
        if keep:
            return [p for p in posts if done[p.idx]]
        return [p for p in posts if not done[p.idx]]


class Matcher:
    """Filters a list of posts by a query plus optional author and language restrictions.

    A query's regex is the alternation of its terms' patterns, so a post matches it iff it
    matches some term's pattern: with a `DayText`, each term's pattern only runs on posts
    that contain the term's literals.
    """

    def __init__(self, query: Query, authors: frozenset | None, langs: tuple[str, ...],
                 subreddit: str | None = None):
        self.subreddit = subreddit.lower() if subreddit else None
        self.positive = compile_terms(query.positives)
        self.negative = compile_terms(query.negatives)
        self.positive_checks = _term_checks(query.positives)
        self.negative_checks = _term_checks(query.negatives)
        self.authors = authors
        self.langs = frozenset(query.langs) | frozenset(langs)
        self.match_all = query.match_all or (not query.positives and authors is not None)

    def filter(self, posts: list[Post], text: DayText | None = None) -> list[Post]:
        """The matching posts; `text` must be built over the stream `posts` come from."""
        if self.authors is not None:
            authors = self.authors
            posts = [p for p in posts if p.author in authors]
        if self.langs:
            langs = self.langs
            posts = [p for p in posts if p.lang in langs]
        if self.subreddit is not None:
            sub = self.subreddit
            posts = [p for p in posts if p.sub is not None and p.sub.lower() == sub]
        if self.positive is not None and not self.match_all:
            if text is None or self.positive_checks is None:
                search = self.positive.search
                posts = [p for p in posts if search(p.blob)]
            else:
                posts = text.matching(posts, self.positive_checks, keep=True)
        elif self.positive is None and not self.match_all:
            return []
        if self.negative is not None and posts:
            if text is None or self.negative_checks is None:
                search = self.negative.search
                posts = [p for p in posts if not search(p.blob)]
            else:
                posts = text.matching(posts, self.negative_checks, keep=False)
        return posts


class ResultSet:
    """Matches over a window of days, newest first, pulled in a day at a time."""

    def __init__(self, days: Iterator[list[Post]], lo_key: int | None, hi_key: int | None):
        self._days = days
        self._lo = lo_key
        self._hi = hi_key
        self._lock = threading.Lock()
        self.items: list[Post] = []
        self._neg_keys: list[int] = []  # -key, ascending: bisect-able
        self.done = False

    def _pull(self) -> None:
        got = next(self._days, None)
        if got is None:
            self.done = True
            return
        lo, hi = self._lo, self._hi
        if got and ((lo is not None and got[-1].key < lo) or (hi is not None and got[0].key >= hi)):
            got = [p for p in got if (lo is None or p.key >= lo) and (hi is None or p.key < hi)]
        self.items.extend(got)
        self._neg_keys.extend(-p.key for p in got)

    def _load_below(self, threshold: int) -> None:
        """Load until every item with key >= threshold is in, plus one below if it exists."""
        while not self.done and (not self.items or self.items[-1].key >= threshold):
            self._pull()

    def _load_count(self, count: int) -> None:
        while not self.done and len(self.items) < count:
            self._pull()

    def older_than(self, threshold: int, limit: int) -> tuple[list[Post], bool]:
        """Up to `limit` items with key < threshold, newest first, and whether more follow."""
        with self._lock:
            self._load_below(threshold)
            start = bisect_right(self._neg_keys, -threshold)
            self._load_count(start + limit + 1)
            return self.items[start:start + limit], len(self.items) > start + limit

    def newer_than(self, threshold: int, top: int, limit: int, *, closest: bool) -> list[Post]:
        """Items with threshold < key < top, newest first: the `limit` closest to threshold
        (Mastodon min_id) or the `limit` newest (since_id)."""
        with self._lock:
            self._load_below(threshold + 1)
            end = bisect_left(self._neg_keys, -threshold)
            start = bisect_right(self._neg_keys, -top)
            window = self.items[start:end]
            return window[-limit:] if closest else window[:limit]

    def from_offset(self, top: int, offset: int, limit: int) -> tuple[list[Post], bool]:
        with self._lock:
            self._load_below(top)
            start = bisect_right(self._neg_keys, -top) + offset
            self._load_count(start + limit + 1)
            return self.items[start:start + limit], len(self.items) > start + limit

    def count_hint(self, top: int) -> int:
        """Visible items loaded so far: exact once the window is exhausted, else a floor."""
        with self._lock:
            return len(self.items) - bisect_right(self._neg_keys, -top)


class Searcher:
    """Runs queries against a World with two caches: per-day matches and result sets."""

    def __init__(self, world: World, *, max_refs: int = 6_000_000, max_results: int = 256):
        self.world = world
        self.max_refs = max_refs
        self.max_results = max_results
        self._lock = threading.Lock()
        self._day_cache: OrderedDict[tuple, list[Post]] = OrderedDict()
        self._refs = 0
        self._results: OrderedDict[tuple, ResultSet] = OrderedDict()
        self._texts: OrderedDict[tuple[str, int], DayText] = OrderedDict()
        self.max_texts = 12
        self.scans = 0  # days actually scanned (cache misses), for tests and stats

    def resolve_authors(self, platform: str, handles: Iterable[str]) -> frozenset:
        found = (self.world.author_by_handle(platform, h) for h in handles)
        return frozenset(a for a in found if a is not None)

    def search(self, platform: str, query: Query | str, *, now_ms: int,
               lo_ms: int | None = None, hi_ms: int | None = None,
               authors: Iterable[Author] | None = None, langs: tuple[str, ...] = (),
               subreddit: str | None = None, horizon_days: int = 30) -> ResultSet:
        """Matches in [lo_ms, hi_ms), newest first. Visibility (ms <= now) is the caller's
        `top` bound when paging, so a result set survives clock changes within a day."""
        q = parse_query(query) if isinstance(query, str) else query
        allowed: frozenset | None = None
        if q.authors:
            allowed = self.resolve_authors(platform, q.authors)
        if authors is not None:
            given = frozenset(authors)
            allowed = given if allowed is None else allowed & given
        top_ms = now_ms if hi_ms is None else min(now_ms, hi_ms - 1)
        top_day = day_of(top_ms)
        lo_day = day_of(lo_ms) if lo_ms is not None else top_day - horizon_days
        # A window ending just after midnight (YouTube's publishedBefore is inclusive) need
        # not generate a whole day to find it holds nothing that early.
        if hi_ms is not None and hi_ms - top_day * DAY_MS < HOUR_MS \
                and hi_ms <= self.world.first_ms(platform, top_day):
            top_day -= 1
        author_key = None if allowed is None else tuple(sorted(id(a) for a in allowed))
        filters = (author_key, langs, subreddit)
        key = (platform, q.key, filters, lo_ms, hi_ms, top_day, lo_day)
        with self._lock:
            got = self._results.get(key)
            if got is not None:
                self._results.move_to_end(key)
                return got
        matcher = Matcher(q, allowed, langs, subreddit)
        owned_only = allowed is not None and all(a.owned for a in allowed)
        days = (self._day_matches(platform, d, q.key, filters, matcher, owned_only)
                for d in range(top_day, lo_day - 1, -1))
        result = ResultSet(days, None if lo_ms is None else lo_ms << KEY_SHIFT,
                           None if hi_ms is None else hi_ms << KEY_SHIFT)
        with self._lock:
            self._results[key] = result
            while len(self._results) > self.max_results:
                self._results.popitem(last=False)
        return result

    def _day_matches(self, platform: str, day: int, qkey: tuple, filters: tuple,
                     matcher: Matcher, owned_only: bool) -> list[Post]:
        key = (platform, day, qkey, filters, owned_only)
        with self._lock:
            got = self._day_cache.get(key)
            if got is not None:
                self._day_cache.move_to_end(key)
                return got
        if matcher.authors is not None and not matcher.authors:
            got = []
        else:
            owned = matcher.filter(self.world.stream_posts(platform, day, STREAM_OWNED))
            if owned_only:
                got = owned[::-1]
            else:
                stream = self.world.stream_posts(platform, day, STREAM_MENTIONS)
                public = matcher.filter(stream, self._day_text(platform, day, stream))
                got = sorted(owned + public, key=_key, reverse=True) if owned else public[::-1]
        with self._lock:
            self.scans += 1
            self._day_cache[key] = got
            self._refs += len(got)
            while self._refs > self.max_refs and len(self._day_cache) > 1:
                _, old = self._day_cache.popitem(last=False)
                self._refs -= len(old)
        return got

    def _day_text(self, platform: str, day: int, stream: list[Post]) -> DayText:
        """The mentions stream's DayText (cached; rebuilt if the World rebuilt the stream)."""
        key = (platform, day)
        with self._lock:
            got = self._texts.get(key)
            if got is not None and got.posts is stream:
                self._texts.move_to_end(key)
                return got
        got = DayText(stream)
        with self._lock:
            self._texts[key] = got
            while len(self._texts) > self.max_texts:
                self._texts.popitem(last=False)
        return got

    def clear(self) -> None:
        with self._lock:
            self._day_cache.clear()
            self._results.clear()
            self._texts.clear()
            self._refs = 0


def _key(post: Post) -> int:
    return post.key


def visible_top(now_ms: int, hi_ms: int | None = None) -> int:
    """Exclusive key bound of what is visible at `now` (and before `hi_ms`, if given)."""
    top = (now_ms + 1) << KEY_SHIFT
    return top if hi_ms is None else min(top, hi_ms << KEY_SHIFT)


__all__ = ["DAY_MS", "Matcher", "Query", "ResultSet", "Searcher", "parse_query", "visible_top"]
