"""Lexicon sentiment: stock VADER and VADER with the versioned healthcare overlay.

Every text gets two compounds in [-1, 1], rounded to 4 places as VADER itself rounds:
  - stock: exactly `SentimentIntensityAnalyzer().polarity_scores(text)["compound"]`;
  - adjusted: the same analyzer on a copy of its lexicon updated by the overlay file
    (`lexicons/healthcare_v1.tsv`). Single words override the lexicon; multi-word phrases are
    rewritten to one token (`hc_tested_positive`) before scoring, because VADER only looks up
    single tokens.
Both are recorded with `LEXICON_VERSION` (overlay name + sha256 of its bytes). These are lexicon
scores, not measured patient sentiment.

`score_arrays` / `score_texts` spread large batches over a process pool that lives as long as the
process: VADER is pure Python, so threads (or a DuckDB Python UDF) would run on one core under
the GIL. Each text is tokenised once for both compounds (`HealthcareAnalyzer.score_pair`).
"""

from __future__ import annotations

import atexit
import copy
import hashlib
import math
import os
import re
import string
import threading
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib.metadata import version as _dist_version
from pathlib import Path
from typing import TYPE_CHECKING

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    SentiText,
    normalize,
    scalar_inc_dec,
)

from carepulse.workers import ProcessPool

if TYPE_CHECKING:  # numpy and Arrow only in the parent: workers start faster without them
    import numpy as np
    import pyarrow as pa

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
DEFAULT_OVERLAY = LEXICON_DIR / "healthcare_v1.tsv"
TRAPS_FILE = LEXICON_DIR / "traps_v1.csv"
VADER_VERSION = _dist_version("vaderSentiment")

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
# Below this many texts a pool costs more to start (spawned interpreters) than it saves; a night's
# batch of new distinct texts is usually far above it.
POOL_MIN_TEXTS = 2000
CHUNK_MIN, CHUNK_MAX = 250, 4000

_NUMBER = r"(?:\d+(?:\.\d+)?\+?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|many)"
_WORD_KEY = re.compile(r"[a-z0-9](?:[a-z0-9'\-]*[a-z0-9])?")
_RUNS = re.compile(r"[a-z0-9]+")
_PHRASE_WORD = re.compile(r"\{n\}|[a-z0-9](?:[a-z0-9']*[a-z0-9])?")
_MAX_VALENCE = 4.0
_PUNCTUATION = string.punctuation


class OverlayError(ValueError):
    """The overlay file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Overlay:
    """A parsed overlay file: word valences and phrase -> (token, valence)."""

    name: str
    sha256: str
    # Identity is (name, sha256): the file's bytes determine its content.
    words: dict[str, float] = field(compare=False, hash=False)
    phrases: dict[str, tuple[str, float]] = field(compare=False, hash=False)

    @property
    def version(self) -> str:
        return f"{self.name}+sha256:{self.sha256[:12]}"


def load_overlay(path: Path | str = DEFAULT_OVERLAY) -> Overlay:
    """Parse an overlay TSV. The first line must be `# <file stem> | <rationale>`."""
    path = Path(path)
    raw = path.read_bytes()
    lines = raw.decode("utf-8").splitlines()
    name = path.stem
    if not lines or not lines[0].startswith(f"# {name} "):
        raise OverlayError(f"{path}:1: first line must be a comment '# {name} | <rationale>'")
    words: dict[str, float] = {}
    phrases: dict[str, tuple[str, float]] = {}
    header_seen = False
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if not header_seen:
            if fields[:2] != ["term", "valence"]:
                raise OverlayError(f"{path}:{lineno}: expected the column header 'term<TAB>valence<TAB>why'")
            header_seen = True
            continue
        term, valence = _parse_row(path, lineno, fields)
        if term in words or term in phrases:
            raise OverlayError(f"{path}:{lineno}: duplicate term {term!r}")
        if " " in term:
            phrases[term] = (_phrase_token(term), valence)
        else:
            words[term] = valence
    if not header_seen:
        raise OverlayError(f"{path}: no 'term<TAB>valence' header row")
    return Overlay(name, hashlib.sha256(raw).hexdigest(), words, phrases)


def _parse_row(path: Path, lineno: int, fields: list[str]) -> tuple[str, float]:
    if len(fields) < 2:
        raise OverlayError(f"{path}:{lineno}: expected 'term<TAB>valence<TAB>why'")
    term = " ".join(fields[0].split())
    try:
        valence = float(fields[1])
    except ValueError:
        raise OverlayError(f"{path}:{lineno}: valence {fields[1]!r} is not a number") from None
    if not math.isfinite(valence) or abs(valence) > _MAX_VALENCE:
        raise OverlayError(f"{path}:{lineno}: valence {valence} outside VADER's -4..+4")
    # VADER lowercases tokens before lookup, so an upper-case key could never match.
    pattern = _PHRASE_WORD if " " in term else _WORD_KEY
    if any(not pattern.fullmatch(w) for w in term.split(" ")) or (" " not in term and "{n}" in term):
        raise OverlayError(f"{path}:{lineno}: term {term!r} must be lower-case words (phrases may use {{n}})")
    return term, valence


def _phrase_token(phrase: str) -> str:
    words = ("n" if w == "{n}" else re.sub(r"\W", "", w) for w in phrase.split(" "))
    return "hc_" + "_".join(words)


def _phrase_pattern(phrase: str) -> str:
    parts = [_NUMBER if w == "{n}" else re.escape(w) for w in phrase.split(" ")]
    return r"[\s\-]+".join(parts)


@lru_cache(maxsize=1)
def _default_overlay() -> Overlay:
    return load_overlay(DEFAULT_OVERLAY)


LEXICON_VERSION = _default_overlay().version


class WindowedVader(SentimentIntensityAnalyzer):
    """VADER 3.3.2 with the same output and less repeated work, for batch scoring.

    - `_negation_check` and `_special_idioms_check` lowercase every token of the text on each
      call (up to four calls per sentiment word, so cost grows with the square of the length) but
      read only tokens i-3 .. i+2, never below index 0 (callers guarantee i > 2 where i-3 is
      read). The negation rules read just the words they name (`_negation_rule`); the idiom check
      gets that window and is skipped when no window word occurs in a multi-word idiom.
    - `polarity_scores` first rebuilds the text one character at a time to expand emojis; for a
      text without any emoji that is `text.strip()`, so it goes straight to scoring.
    Tests and the benchmark compare every polarity dict or compound with the stock class.
    """

    def __init__(self) -> None:
        super().__init__()
        self.emoji_chars = frozenset(e for e in self.emojis if len(e) == 1)

    def polarity_scores(self, text: str) -> dict[str, float]:
        if not self.emoji_chars.isdisjoint(text):
            return super().polarity_scores(text)
        # From here on, VADER 3.3.2's polarity_scores after its emoji loop, unchanged.
        text = text.strip()
        sentitext = SentiText(text)
        sentiments: list[float] = []
        words_and_emoticons = sentitext.words_and_emoticons
        for i, item in enumerate(words_and_emoticons):
            valence = 0
            if item.lower() in BOOSTER_DICT:
                sentiments.append(valence)
                continue
            if (i < len(words_and_emoticons) - 1 and item.lower() == "kind" and
                    words_and_emoticons[i + 1].lower() == "of"):
                sentiments.append(valence)
                continue
            sentiments = self.sentiment_valence(valence, sentitext, item, i, sentiments)
        sentiments = self._but_check(words_and_emoticons, sentiments)
        return self.score_valence(sentiments, text)

    @staticmethod
    def _negation_check(valence: float, words_and_emoticons: list[str], start_i: int, i: int) -> float:
        lo = i - start_i - 1  # the rule for start_i reads words i-start_i-1 .. i-1 only
        return _negation_rule(valence, [w.lower() for w in words_and_emoticons[lo:i]], start_i, i - lo)

    @staticmethod
    def _special_idioms_check(valence: float, words_and_emoticons: list[str], i: int) -> float:
        lo = max(0, i - 3)
        return _idioms_rule(valence, [w.lower() for w in words_and_emoticons[lo:i + 3]], i - lo)


_NEGATE = frozenset(NEGATE)
_IDIOM_WORDS = frozenset(w for key in (*SPECIAL_CASES, *BOOSTER_DICT) if " " in key for w in key.split(" "))


def _negation_rule(valence: float, lower: list[str], start_i: int, i: int) -> float:
    """VADER 3.3.2's `_negation_check` on lower-cased words, reading only the words each rule
    names; its `negated([w])` scans the NEGATE list, a set lookup here."""
    w1 = lower[i - 1]
    if start_i == 0:
        return valence * N_SCALAR if _negates(w1) else valence
    w2 = lower[i - 2]
    if start_i == 1:
        if w2 == "never" and w1 in ("so", "this"):
            return valence * 1.25
        if w2 == "without" and w1 == "doubt":
            return valence
        return valence * N_SCALAR if _negates(w2) else valence
    w3 = lower[i - 3]  # start_i == 2
    if (w3 == "never" and w2 in ("so", "this")) or w1 in ("so", "this"):
        return valence * 1.25
    if w3 == "without" and (w2 == "doubt" or w1 == "doubt"):
        return valence
    return valence * N_SCALAR if _negates(w3) else valence


def _negates(word: str) -> bool:
    """VADER's `negated([word])` for one lower-cased word."""
    return word in _NEGATE or "n't" in word


def _idioms_rule(valence: float, lower: list[str], i: int) -> float:
    """VADER 3.3.2's `_special_idioms_check` (i > 2), which reads words i-3 .. i+2 only.

    Every sequence it builds has 2-3 words, so none can match unless one of those words belongs
    to a multi-word special case or booster; then VADER's own check runs on that window (i+3
    keeps its "is there a next / next-but-one word" length tests exact).
    """
    lo = max(0, i - 3)
    window = lower[lo:i + 3]
    if _IDIOM_WORDS.isdisjoint(window):
        return valence
    return SentimentIntensityAnalyzer._special_idioms_check(valence, window, i - lo)


def vader_analyzer() -> SentimentIntensityAnalyzer:
    """The windowed VADER where its equivalence was checked (3.3.2), else VADER as shipped."""
    return WindowedVader() if VADER_VERSION == "3.3.2" else SentimentIntensityAnalyzer()


class HealthcareAnalyzer:
    """VADER with the overlay applied; scores the way `SentimentIntensityAnalyzer` does.

    Phrases match case-insensitively with whitespace or hyphens between words, never inside a
    longer word; the leftmost match wins, and at one position the phrase with more words. A
    phrase is only tried when all its words occur in the lower-cased text as [a-z0-9] runs, so
    the common case costs a set intersection, not a regex scan per phrase.
    """

    def __init__(self, overlay: Overlay | None = None, stock: SentimentIntensityAnalyzer | None = None):
        self.overlay = overlay or _default_overlay()
        self.stock = stock or vader_analyzer()
        # A second VADER sharing the stock one's emoji table, with its own lexicon copy.
        self._vader = copy.copy(self.stock)
        self._vader.lexicon = dict(self.stock.lexicon)
        self._vader.lexicon.update(self.overlay.words)
        self._vader.lexicon.update(dict(self.overlay.phrases.values()))
        self._phrase_index = self._index_phrases()
        # Priority at one position: more words first, then longer text, then alphabetical.
        ranked = sorted(self.overlay.phrases, key=lambda p: (-len(p.split(" ")), -len(p), p))
        self._phrase_rank = {p: i for i, p in enumerate(ranked)}
        self._phrase_re = {p: re.compile(rf"(?<![\w\-]){_phrase_pattern(p)}(?![\w\-])", re.IGNORECASE)
                           for p in ranked}
        # First word run of every key VADER could now look up differently ("hc" for phrase tokens).
        keys = [*self.overlay.words, *(token for token, _ in self.overlay.phrases.values())]
        self._trigger_runs = frozenset(_RUNS.findall(k)[0] for k in keys)
        self._emoji_chars = frozenset(e for e in self.stock.emojis if len(e) == 1)
        # Keys the overlay adds or revalues: only near these can an adjusted valence differ.
        stock_lexicon = self.stock.lexicon
        self._changed_keys = frozenset(k for k, v in self._vader.lexicon.items() if stock_lexicon.get(k) != v)
        # score_pair's single pass reuses VADER 3.3.2's internals; other versions score twice.
        self._one_pass = VADER_VERSION == "3.3.2"

    @property
    def version(self) -> str:
        return self.overlay.version

    def _index_phrases(self) -> dict[str, list[tuple[frozenset[str], str]]]:
        index: dict[str, list[tuple[frozenset[str], str]]] = {}
        for phrase in self.overlay.phrases:
            required = frozenset(run for w in phrase.split(" ") if w != "{n}" for run in _RUNS.findall(w))
            index.setdefault(min(required), []).append((required, phrase))
        return index

    def _candidates(self, runs: set[str]) -> tuple[str, ...]:
        found = [phrase for run in runs.intersection(self._phrase_index)
                 for required, phrase in self._phrase_index[run] if required <= runs]
        return tuple(sorted(found))

    def rewrite(self, text: str, runs: set[str] | None = None) -> tuple[str, int]:
        """Replace overlay phrases with their tokens; returns (text, number of phrases replaced).

        Matches are taken leftmost first, the higher-priority phrase winning at one position, and
        never overlap.
        """
        candidates = self._candidates(_word_runs(text) if runs is None else runs)
        if not candidates:
            return text, 0
        found = sorted((m.start(), self._phrase_rank[p], m.end(), p)
                       for p in candidates for m in self._phrase_re[p].finditer(text))
        parts: list[str] = []
        pos = 0
        for start, _rank, end, phrase in found:
            if start < pos:
                continue
            token = self.overlay.phrases[phrase][0]
            # Keep VADER's ALL-CAPS emphasis ("TESTED POSITIVE").
            parts += [text[pos:start], token.upper() if text[start:end].isupper() else token]
            pos = end
        if not parts:
            return text, 0
        parts.append(text[pos:])
        return "".join(parts), len(parts) // 2

    def touches(self, text: str, runs: set[str] | None = None) -> bool:
        """Could the overlay's words change a lexicon lookup in `text` (phrases aside)?

        A VADER token equal to an overlay key appears in `text.lower()` bounded by whitespace or
        punctuation, so the key's first alphanumeric run is then one of the text's runs. Any emoji
        counts, since VADER expands emojis into words first.
        """
        runs = _word_runs(text) if runs is None else runs
        return not self._trigger_runs.isdisjoint(runs) or not self._emoji_chars.isdisjoint(text)

    def polarity_scores(self, text: str) -> dict[str, float]:
        return self._vader.polarity_scores(self.rewrite(text)[0])

    def compound(self, text: str) -> float:
        return self.polarity_scores(text)["compound"]

    def needs_adjusted_pass(self, text: str) -> bool:
        """False when the overlay cannot change the score: no phrase, overlay word or emoji."""
        runs = _word_runs(text)
        return bool(self._candidates(runs)) or self.touches(text, runs)

    def score_pair(self, text: str) -> tuple[float, float]:
        """(stock, adjusted) compounds from one tokenisation of `text`.

        Without a phrase rewrite both scores read the same tokens, and the adjusted valence of a
        word is recomputed only where an overlay-changed key sits in the window VADER's lexicon
        lookups read (i-3 .. i+1); elsewhere it is the stock valence. A phrase rewrite changes
        the tokens, so then the rewritten text alone is tokenised again.
        """
        if not self._one_pass:
            return self._score_pair_two_pass(text)
        expanded = _expand_emojis(text, self.stock.emojis, self._emoji_chars)
        tokens = _Tokens(expanded)
        lower = [w.lower() for w in tokens.words_and_emoticons]
        stock = _valences(self.stock, tokens, lower)
        rewritten, replaced = self.rewrite(text)
        if replaced:
            return self._finish(stock, tokens, lower, expanded), self._vader_compound(rewritten)
        adjusted = None
        if not self._changed_keys.isdisjoint(lower):
            adjusted = self._adjusted_valences(stock, tokens, lower)
        stock_compound = self._finish(stock, tokens, lower, expanded)
        if adjusted is None or adjusted == stock:  # (compared before the but-check rescales stock)
            return stock_compound, stock_compound
        return stock_compound, self._finish(adjusted, tokens, lower, expanded)

    def _adjusted_valences(self, stock: list[float], tokens: _Tokens, lower: list[str]) -> list[float]:
        adjusted = list(stock)
        lexicon, last = self._vader.lexicon, len(lower) - 1
        changed = [i for i, w in enumerate(lower) if w in self._changed_keys]
        todo = sorted({j for p in changed for j in range(max(p - 1, 0), min(p + 3, last) + 1)})
        for i in todo:
            if lower[i] in lexicon and not _skipped(lower, i):
                adjusted[i] = _valence_at(lexicon, tokens, lower, i)
        return adjusted

    def _finish(self, sentiments: list[float], tokens: _Tokens, lower: list[str], expanded: str) -> float:
        if "but" in lower:
            sentiments = self.stock._but_check(tokens.words_and_emoticons, list(sentiments))
        return _compound(self.stock, sentiments, expanded)

    def _vader_compound(self, text: str) -> float:
        """The overlay VADER's compound, one tokenisation (used for phrase-rewritten texts)."""
        expanded = _expand_emojis(text, self._vader.emojis, self._emoji_chars)
        tokens = _Tokens(expanded)
        lower = [w.lower() for w in tokens.words_and_emoticons]
        return self._finish(_valences(self._vader, tokens, lower), tokens, lower, expanded)

    def _score_pair_two_pass(self, text: str) -> tuple[float, float]:
        """Any other VADER version: its own polarity_scores, twice where the overlay matters."""
        stock = self.stock.polarity_scores(text)["compound"]
        runs = _word_runs(text)
        rewritten, replaced = self.rewrite(text, runs)
        if not replaced and not self.touches(text, runs):
            return stock, stock
        return stock, self._vader.polarity_scores(rewritten)["compound"]


class _Tokens:
    """What VADER 3.3.2's `sentiment_valence` reads of a SentiText, built the same way faster."""

    __slots__ = ("is_cap_diff", "words_and_emoticons")

    def __init__(self, text: str) -> None:
        # SentiText._strip_punc_if_word: strip punctuation unless that leaves <= 2 characters (an
        # alphanumeric word has none to strip).
        words = [w if w.isalnum() or len(s := w.strip(_PUNCTUATION)) <= 2 else s for w in text.split()]
        self.words_and_emoticons = words
        capitals = sum(1 for w in words if w.isupper())
        self.is_cap_diff = 0 < len(words) - capitals < len(words)  # allcap_differential


def _expand_emojis(text: str, emojis: dict[str, str], emoji_chars: frozenset[str]) -> str:
    """VADER 3.3.2 polarity_scores' emoji expansion and strip, joined once instead of per char."""
    if text.isascii() or emoji_chars.isdisjoint(text):  # (no emoji is ASCII)
        return text.strip()
    parts: list[str] = []
    prev_space = True
    for char in text:
        if char in emojis:
            if not prev_space:
                parts.append(" ")
            parts.append(emojis[char])
            prev_space = False
        else:
            parts.append(char)
            prev_space = char == " "
    return "".join(parts).strip()


def _valences(vader: SentimentIntensityAnalyzer, tokens: _Tokens, lower: list[str]) -> list[float]:
    """VADER 3.3.2's per-token loop; the valence rules run only for lexicon words, since for any
    other token `sentiment_valence` appends 0, as do the booster and "kind of" skips."""
    lexicon = vader.lexicon
    sentiments: list[float] = [0] * len(lower)
    for i, word in enumerate(lower):
        if word in lexicon and not _skipped(lower, i):
            sentiments[i] = _valence_at(lexicon, tokens, lower, i)
    return sentiments


def _valence_at(lexicon: dict[str, float], tokens: _Tokens, lower: list[str], i: int) -> float:
    """VADER 3.3.2's `sentiment_valence` for the lexicon word at i, rule for rule, reading the
    lower-cased words computed once (VADER lowercases each neighbour again in every rule)."""
    words, is_cap_diff, word = tokens.words_and_emoticons, tokens.is_cap_diff, lower[i]
    valence = lexicon[word]
    if word == "no" and i != len(lower) - 1 and lower[i + 1] in lexicon:
        valence = 0.0  # "no" negates the next word instead of scoring itself
    if ((i > 0 and lower[i - 1] == "no") or (i > 1 and lower[i - 2] == "no")
            or (i > 2 and lower[i - 3] == "no" and lower[i - 1] in ("or", "nor"))):
        valence = lexicon[word] * N_SCALAR
    if is_cap_diff and words[i].isupper():
        valence = valence + C_INCR if valence > 0 else valence - C_INCR
    for start_i in range(3):
        j = i - start_i - 1
        if j >= 0 and lower[j] not in lexicon:
            scalar = scalar_inc_dec(words[j], valence, is_cap_diff) if lower[j] in BOOSTER_DICT else 0.0
            if start_i == 1 and scalar != 0:
                scalar = scalar * 0.95
            if start_i == 2 and scalar != 0:
                scalar = scalar * 0.9
            valence = _negation_rule(valence + scalar, lower, start_i, i)
            if start_i == 2:
                valence = _idioms_rule(valence, lower, i)
    # _least_check: "least" before the word negates it, unless "at least" / "very least".
    if i > 0 and lower[i - 1] == "least" and "least" not in lexicon and (
            i == 1 or lower[i - 2] not in ("at", "very")):
        valence = valence * N_SCALAR
    return valence


def _skipped(lower: list[str], i: int) -> bool:
    """VADER scores 0 for a booster word and for "kind" followed by "of", before any lookup."""
    word = lower[i]
    return word in BOOSTER_DICT or (word == "kind" and i < len(lower) - 1 and lower[i + 1] == "of")


def _compound(vader: SentimentIntensityAnalyzer, sentiments: list[float], text: str) -> float:
    """The compound of VADER 3.3.2's score_valence, without its pos/neg/neu shares."""
    if not sentiments:
        return 0.0
    total = float(sum(sentiments))
    emphasis = vader._punctuation_emphasis(text)
    if total > 0:
        total += emphasis
    elif total < 0:
        total -= emphasis
    return round(normalize(total), 4)


def _word_runs(text: str) -> set[str]:
    return set(_RUNS.findall(text.lower()))


def label(compound: float | Decimal) -> str:
    """VADER's customary thresholds: >= 0.05 positive, <= -0.05 negative, else neutral."""
    value = round(float(compound), 4)  # Decimal("0.05") < float 0.05; compare as 4-place floats
    if value >= POSITIVE_THRESHOLD:
        return "positive"
    if value <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


# --- batch scoring ---------------------------------------------------------------------------

_worker_analyzer: HealthcareAnalyzer | None = None


def _init_worker(overlay: Overlay) -> None:
    global _worker_analyzer
    _worker_analyzer = HealthcareAnalyzer(overlay)


def _score_chunk(texts: Sequence[str]) -> array[float]:
    """Worker body: flat (stock, adjusted, stock, adjusted, ...) doubles, pickled as one buffer."""
    return _score_all(_worker_analyzer or _local_analyzer(_default_overlay()), texts)


def _score_all(analyzer: HealthcareAnalyzer, texts: Sequence[str]) -> array[float]:
    out = array("d")
    for text in texts:
        out.extend(analyzer.score_pair(text))
    return out


@lru_cache(maxsize=4)
def _local_analyzer(overlay: Overlay) -> HealthcareAnalyzer:
    return HealthcareAnalyzer(overlay)


def default_workers() -> int:
    """CPUs this process may run on (affinity/cgroup cpusets), else os.cpu_count()."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def chunk_size_for(texts: int, workers: int) -> int:
    """About 16 chunks per worker, 250..4000 texts each: a chunk is one round trip of ~25-400 KB,
    far cheaper than scoring it, and the last chunks are short enough that no worker idles long."""
    return max(CHUNK_MIN, min(CHUNK_MAX, math.ceil(texts / (16 * max(workers, 1)))))


def _chunks(texts: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(texts), size):
        yield texts[start:start + size]


def score_arrays(
    texts: Sequence[str],
    workers: int | None = None,
    chunk_size: int | None = None,
    *,
    overlay: Overlay | None = None,
    pool_min_texts: int = POOL_MIN_TEXTS,
) -> tuple[np.ndarray, np.ndarray]:
    """(stock, adjusted) compounds as float64 arrays in input order, already rounded to 4 places
    (VADER rounds its compound), ready for a bulk cast to DECIMAL(5,4).

    Batches of `pool_min_texts` or more go to the process's shared worker pool (`workers`,
    default: usable CPUs); smaller ones, or workers=1, are scored in this process. Results do
    not depend on the path.
    """
    import numpy as np

    if chunk_size is not None and chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] is {type(text).__name__}, not str")
    overlay = overlay or _default_overlay()
    workers = default_workers() if workers is None else workers
    if workers <= 1 or len(texts) < max(pool_min_texts, 2):
        flat = np.frombuffer(_score_all(_local_analyzer(overlay), texts), dtype=np.float64)
    else:
        size = chunk_size or chunk_size_for(len(texts), workers)
        parts = _score_in_pool(texts, overlay, min(workers, math.ceil(len(texts) / size)), size)
        flat = np.concatenate([np.frombuffer(p, dtype=np.float64) for p in parts])
    return flat[0::2].copy(), flat[1::2].copy()


def score_texts(
    texts: Sequence[str],
    workers: int | None = None,
    chunk_size: int | None = None,
    *,
    overlay: Overlay | None = None,
    pool_min_texts: int = POOL_MIN_TEXTS,
) -> list[tuple[float, float]]:
    """(stock_compound, adjusted_compound) per text: `score_arrays` as Python pairs."""
    stock, adjusted = score_arrays(texts, workers, chunk_size, overlay=overlay, pool_min_texts=pool_min_texts)
    return list(zip(stock.tolist(), adjusted.tolist(), strict=True))


def score_table(rows: pa.Table, workers: int | None = None, *,
                pool_min_texts: int = POOL_MIN_TEXTS) -> pa.Table:
    """The int_sentiment_scores rows for an Arrow table of (text_hash, text_redacted), in its order.

    With `language` (and `language_source`, `language_version`) columns, only the texts of a
    scored language (transform.language) are scored; the others keep NULL compounds and the
    label `not_scored` with `not_scored_reason = 'language'`. Without them every text is scored.
    Compounds stay float64 arrays (VADER's 4-place values) until one Arrow cast to
    DECIMAL(5,4), exact for every 4-place value; labels come from the same thresholds as
    `label`, vectorised.
    """
    import numpy as np
    import pyarrow as pa  # only the parent builds tables; workers never import Arrow
    import pyarrow.compute as pc

    from transform.language import SCORED_LANGUAGES

    texts = rows.column("text_redacted").to_pylist()
    n = rows.num_rows
    names = rows.column_names
    if "language" in names:
        languages = rows.column("language").to_pylist()
        scored = np.array([lang in SCORED_LANGUAGES for lang in languages], dtype=bool)
    else:
        scored = np.ones(n, dtype=bool)
    stock = np.full(n, np.nan)
    adjusted = np.full(n, np.nan)
    picked = np.flatnonzero(scored)
    stock[picked], adjusted[picked] = score_arrays([texts[i] for i in picked], workers,
                                                   pool_min_texts=pool_min_texts)
    decimal = pa.decimal128(5, 4)
    columns = {
        "text_hash": rows.column("text_hash").cast(pa.string()),
        "lexicon_version": pa.repeat(pa.scalar(LEXICON_VERSION, pa.string()), n),
        "vader_version": pa.repeat(pa.scalar(VADER_VERSION, pa.string()), n),
        "stock_compound": pc.cast(pa.array(stock, pa.float64(), mask=~scored), decimal),
        "adjusted_compound": pc.cast(pa.array(adjusted, pa.float64(), mask=~scored), decimal),
        "stock_label": _labels(stock, scored),
        "adjusted_label": _labels(adjusted, scored),
        "not_scored_reason": pa.array([None if s else "language" for s in scored], pa.string()),
    }
    for name in ("language", "language_source", "language_version"):
        if name in names:
            columns[name] = rows.column(name).cast(pa.string())
    return pa.table(columns)


_LABELS = ("negative", "neutral", "positive", "not_scored")


def _labels(values: np.ndarray, scored: np.ndarray | None = None) -> pa.Array:
    """`label` for an array of 4-place compounds (already rounded, so the same comparisons);
    `not_scored` where `scored` is False."""
    import numpy as np
    import pyarrow as pa

    codes = np.ones(len(values), dtype=np.int8)  # neutral
    codes[values >= POSITIVE_THRESHOLD] = 2
    codes[values <= NEGATIVE_THRESHOLD] = 0
    if scored is not None:
        codes[~scored] = 3
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int8()), pa.array(_LABELS)).dictionary_decode()


# One pool per process, started by the first batch that needs it and reused by every later one
# (a build scores once per model run; tests and benchmarks many times), closed at exit. Workers
# are fresh interpreters (carepulse.workers: they survive Airflow's real task runners); the
# overlay travels with the initializer, so every worker scores with the parent's lexicon version.
_pool_lock = threading.Lock()
_pool: tuple[tuple[Overlay, int, int], ProcessPool] | None = None


def _score_in_pool(texts: Sequence[str], overlay: Overlay, workers: int, size: int) -> list[array[float]]:
    global _pool
    key = (overlay, workers, os.getpid())
    with _pool_lock:
        if _pool is not None and _pool[0] != key:
            _drop_pool(kill=False)
        if _pool is None:
            _pool = (key, ProcessPool(workers, initializer=_init_worker, initargs=(overlay,)))
        try:
            return _pool[1].map(_score_chunk, _chunks(texts, size))
        except BaseException:
            _drop_pool(kill=True)  # a failed map can leave workers mid-item: start afresh next time
            raise


def _drop_pool(kill: bool) -> None:
    global _pool
    if _pool is not None and _pool[0][2] == os.getpid():  # a forked child must not reap the parent's
        _pool[1].__exit__(RuntimeError if kill else None, None, None)
    _pool = None


def close_pool() -> None:
    """Stop this process's scoring workers (also run at exit); the next batch starts new ones."""
    with _pool_lock:
        _drop_pool(kill=False)


atexit.register(close_pool)


# --- regression set --------------------------------------------------------------------------


@dataclass(frozen=True)
class Trap:
    text: str
    expected_label: str
    why: str


def load_traps(path: Path | str = TRAPS_FILE) -> list[Trap]:
    """The healthcare trap sentences with the label a patient-experience analyst would give."""
    import csv

    with Path(path).open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(line for line in handle if not line.startswith("#"))]
    traps = [Trap(r["text"], r["expected_label"].strip(), r["why"]) for r in rows]
    bad = [t.text for t in traps if t.expected_label not in {"positive", "neutral", "negative"}]
    if bad:
        raise ValueError(f"{path}: expected_label must be positive/neutral/negative: {bad}")
    return traps


def trap_accuracy(traps: Sequence[Trap] | None = None) -> tuple[float, float, list[tuple[Trap, str, str]]]:
    """(stock accuracy, adjusted accuracy, [(trap, stock label, adjusted label)])."""
    traps = list(traps) if traps is not None else load_traps()
    scores = score_texts([t.text for t in traps], workers=1)
    rows = [(t, label(s), label(a)) for t, (s, a) in zip(traps, scores, strict=True)]
    n = len(rows) or 1
    stock = sum(t.expected_label == s for t, s, _ in rows) / n
    adjusted = sum(t.expected_label == a for t, _, a in rows) / n
    return stock, adjusted, rows


def _report() -> None:
    stock, adjusted, rows = trap_accuracy()
    for trap, s, a in rows:
        marks = ("" if s == trap.expected_label else "S") + ("" if a == trap.expected_label else "A")
        print(f"{marks:3} expected={trap.expected_label:8} stock={s:8} adjusted={a:8} {trap.text}")
    print(f"lexicon {LEXICON_VERSION}, vaderSentiment {VADER_VERSION}, {len(rows)} traps")
    print(f"stock accuracy {stock:.3f}  adjusted accuracy {adjusted:.3f}")


if __name__ == "__main__":
    _report()
