"""Lexicon sentiment: stock VADER and VADER with the versioned healthcare overlay.

Every text gets two compounds in [-1, 1], rounded to 4 places as VADER itself rounds:
  - stock: exactly `SentimentIntensityAnalyzer().polarity_scores(text)["compound"]`;
  - adjusted: the same analyzer on a copy of its lexicon updated by the overlay file
    (`lexicons/healthcare_v1.tsv`). Single words override the lexicon; multi-word phrases are
    rewritten to one token (`hc_tested_positive`) before scoring, because VADER only looks up
    single tokens.
Both are recorded with `LEXICON_VERSION` (overlay name + sha256 of its bytes). These are lexicon
scores, not measured patient sentiment.

`score_texts` spreads large batches over a process pool: VADER is pure Python, so threads (or a
DuckDB Python UDF) would run on one core under the GIL.
"""

from __future__ import annotations

import copy
import hashlib
import math
import os
import re
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib.metadata import version as _dist_version
from pathlib import Path

from vaderSentiment.vaderSentiment import BOOSTER_DICT, SentimentIntensityAnalyzer, SentiText

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
DEFAULT_OVERLAY = LEXICON_DIR / "healthcare_v1.tsv"
TRAPS_FILE = LEXICON_DIR / "traps_v1.csv"
VADER_VERSION = _dist_version("vaderSentiment")

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
# Below this many texts a pool costs more to start (spawned interpreters) than it saves; a night's
# batch of new distinct texts is usually far above it.
POOL_MIN_TEXTS = 2000
DEFAULT_CHUNK_SIZE = 1000

_NUMBER = r"(?:\d+(?:\.\d+)?\+?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|many)"
_WORD_KEY = re.compile(r"[a-z0-9](?:[a-z0-9'\-]*[a-z0-9])?")
_RUNS = re.compile(r"[a-z0-9]+")
_PHRASE_WORD = re.compile(r"\{n\}|[a-z0-9](?:[a-z0-9']*[a-z0-9])?")
_MAX_VALENCE = 4.0


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
      read). They get that window and the shifted index.
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
        lo = max(0, i - 3)
        window = words_and_emoticons[lo:i + 1]
        return SentimentIntensityAnalyzer._negation_check(valence, window, start_i, i - lo)

    @staticmethod
    def _special_idioms_check(valence: float, words_and_emoticons: list[str], i: int) -> float:
        # i+3 keeps the "is there a next / next-but-one token" length tests exact.
        lo = max(0, i - 3)
        window = words_and_emoticons[lo:i + 3]
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
        """(stock, adjusted) compounds; the adjusted pass is skipped when it cannot differ."""
        stock = self.stock.polarity_scores(text)["compound"]
        runs = _word_runs(text)
        rewritten, replaced = self.rewrite(text, runs)
        if not replaced and not self.touches(text, runs):
            return stock, stock
        return stock, self._vader.polarity_scores(rewritten)["compound"]


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
    """Worker body: flat (stock, adjusted, stock, adjusted, ...) doubles, cheap to pickle."""
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


def _chunks(texts: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(texts), size):
        yield texts[start:start + size]


def score_texts(
    texts: Sequence[str],
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    *,
    overlay: Overlay | None = None,
    pool_min_texts: int = POOL_MIN_TEXTS,
) -> list[tuple[float, float]]:
    """(stock_compound, adjusted_compound) per text, in input order, rounded to 4 places.

    Batches of `pool_min_texts` or more go to a process pool of `workers` (default: usable CPUs);
    smaller ones, or workers=1, are scored in this process. Results do not depend on the path.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] is {type(text).__name__}, not str")
    overlay = overlay or _default_overlay()
    workers = default_workers() if workers is None else workers
    if workers <= 1 or len(texts) < max(pool_min_texts, 2):
        flat = _score_all(_local_analyzer(overlay), texts)
    else:
        flat = _score_in_pool(texts, overlay, min(workers, math.ceil(len(texts) / chunk_size)), chunk_size)
    return [(round(flat[i], 4), round(flat[i + 1], 4)) for i in range(0, len(flat), 2)]


def _score_in_pool(texts: Sequence[str], overlay: Overlay, workers: int, chunk_size: int) -> array[float]:
    # Fresh interpreters (carepulse.workers: they survive Airflow's real task runner). The cost:
    # each worker imports VADER once per call. The overlay travels with the initializer, so every
    # worker scores with exactly the parent's lexicon version.
    from carepulse.workers import ProcessPool

    out = array("d")
    with ProcessPool(workers, initializer=_init_worker, initargs=(overlay,)) as pool:
        for part in pool.map(_score_chunk, _chunks(texts, chunk_size)):
            out.extend(part)
    return out


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
