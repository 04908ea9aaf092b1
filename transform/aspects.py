"""Patient-experience aspects: what a text talks about, and how it feels about each.

The taxonomy is two dbt seeds, versioned with the code (`TAXONOMY_VERSION`: their sha256):
  - patient_experience_aspects.csv: the nine HCAHPS survey domains and twelve domains that
    hospital reviews add (cost, billing, testing, facilities, ...), with definitions;
  - patient_experience_phrases.csv: phrases per aspect, each with the polarity it carries on its
    own (`cue`: "filthy" is negative, "explained" positive, "parking" neutral).

A text is cut into clauses: sentences, and again at contrast words ("but", "however", ...),
so "the nurses were lovely but the room was filthy" gives each aspect its own clause. A phrase
matches whole words, case-insensitively (`{n}` is a number, `{money}` an amount such as
$4,800, `explain*` any word starting so, `dr|doctor*` either); `doctor* + explain*` matches
a clause holding both parts, in any order. Where phrases of two aspects overlap, the longer
takes the words ("waiting room" is the facilities, not a wait). Each aspect counts once per
clause, at its longest phrase there. A neutral phrase of a broad aspect (a service line,
"nurse", "staff", "my mom", "the room") only says where or who: it yields to any other aspect
found in the same clause, so "the ER nurse never explained my meds" is about medicines and
communication, not the ER.

The aspect's polarity:
  1. an evaluative phrase ("filthy", "nobody came", "rushed") says it, reversed when a negation
     ("not", "never", "no one", "wasn't", ...) stands within three words before it: "not
     dirty at all" is positive, whatever VADER makes of "dirty";
  2. else a question asks, it does not judge: neutral;
  3. else the clause's healthcare-adjusted VADER compound (>= 0.05 positive, <= -0.05 negative);
  4. else a service that failed or was given: a negation before a service verb ("nobody
     explained my new meds", "never called") is negative, the verb alone ("the pharmacist went
     over each prescription") positive; otherwise neutral.

Only English texts are read (the phrases are English); other languages get no aspects.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
ASPECTS_FILE = SEEDS / "patient_experience_aspects.csv"
PHRASES_FILE = SEEDS / "patient_experience_phrases.csv"
CUES = ("positive", "negative", "neutral")
NEGATORS = frozenset({
    "not", "no", "never", "nobody", "nothing", "none", "neither", "nor", "without", "hardly",
    "barely", "cannot", "cant", "dont", "didnt", "doesnt", "isnt", "wasnt", "werent", "wont",
    "wouldnt", "couldnt", "shouldnt", "havent", "hasnt", "hadnt", "aint", "zero",
})
NEGATION_REACH = 3  # words before a phrase that can negate it ("not one nurse told me")
_CONTRAST = re.compile(r"\s*(?:,\s*)?\b(?:but|however|although|though|except|yet|whereas|while)\b\s*",
                       re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+|\s+[-–—]\s+")
_TOKEN = re.compile(r"\$\s?\d[\d,]*(?:\.\d+)?|\d+(?:[.,]\d+)*|[a-z]+(?:['’&-][a-z]+)*|&")
# What staff do for a patient: done is good service, not done (after a negation) a failure.
SERVICE_VERBS = ("explain", "told", "tell", "call", "came", "come", "answer", "help", "show", "gave",
                 "give", "went over", "walked", "took the time", "set up", "sent", "send", "receiv",
                 "got", "check", "follow", "arrang", "coordinat", "warn", "let me know", "made sure",
                 "listen", "updat", "print", "book", "lined up")
_NUMBER_WORDS = frozenset(("one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                           "ten", "eleven", "twelve", "several", "many", "few", "couple"))


class TaxonomyError(ValueError):
    """A taxonomy seed is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Aspect:
    aspect_id: str
    name: str
    domain: str
    is_broad: bool


@dataclass(frozen=True)
class Occurrence:
    aspect_id: str
    clause_index: int
    clause: str
    phrase: str
    negated: bool
    compound: float
    polarity: str


Part = tuple[str, ...]  # words; a trailing "*" makes a word a prefix


@dataclass(frozen=True)
class Phrase:
    text: str
    aspect_id: str
    cue: str
    parts: tuple[Part, ...]  # all must occur in the clause; the first is indexed

    @property
    def length(self) -> int:
        return sum(len(p) for p in self.parts)


@dataclass(frozen=True)
class Taxonomy:
    version: str
    aspects: dict[str, Aspect]
    exact: dict[str, list[Phrase]]  # first word of the first part -> phrases
    prefixes: dict[str, list[Phrase]]  # its prefix, when that word ends with "*"

    def starting_at(self, word: str) -> list[Phrase]:
        found = list(self.exact.get(word, ()))
        for prefix, phrases in self.prefixes.items():
            if word.startswith(prefix):
                found.extend(p for p in phrases if p not in found)
        return found


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return [(reader.line_num, row) for row in reader]


def load_taxonomy(aspects: Path = ASPECTS_FILE, phrases: Path = PHRASES_FILE) -> Taxonomy:
    digest = hashlib.sha256(aspects.read_bytes() + b"\0" + phrases.read_bytes()).hexdigest()
    known: dict[str, Aspect] = {}
    for line, row in _rows(aspects):
        if row["aspect_id"] in known:
            raise TaxonomyError(f"{aspects}:{line}: aspect {row['aspect_id']!r} is listed twice")
        if row["is_broad"] not in ("true", "false"):
            raise TaxonomyError(f"{aspects}:{line}: is_broad must be true or false")
        known[row["aspect_id"]] = Aspect(row["aspect_id"], row["aspect_name"], row["domain"],
                                         row["is_broad"] == "true")
    exact: dict[str, list[Phrase]] = {}
    prefixes: dict[str, list[Phrase]] = {}
    seen: set[tuple[str, str]] = set()
    for line, row in _rows(phrases):
        phrase = _phrase(phrases, line, row, known)
        if (phrase.aspect_id, phrase.text) in seen:
            raise TaxonomyError(f"{phrases}:{line}: phrase {phrase.text!r} is listed twice for "
                                f"{phrase.aspect_id}")
        seen.add((phrase.aspect_id, phrase.text))
        for first in phrase.parts[0][0].split("|"):
            target = prefixes if first.endswith("*") else exact
            target.setdefault(first.rstrip("*"), []).append(phrase)
    return Taxonomy(f"patient_experience_v1+sha256:{digest[:12]}", known, exact, prefixes)


def _phrase(path: Path, line: int, row: dict[str, str], known: dict[str, Aspect]) -> Phrase:
    aspect, text, cue = row["aspect_id"], " ".join(row["phrase"].lower().split()), row["cue"]
    if aspect not in known:
        raise TaxonomyError(f"{path}:{line}: unknown aspect {aspect!r}")
    if cue not in CUES:
        raise TaxonomyError(f"{path}:{line}: cue {cue!r} must be one of {', '.join(CUES)}")
    parts = tuple(tuple(_pattern(w) for w in part.split()) for part in text.split(" + "))
    if not parts or any(not part or "" in part for part in parts):
        raise TaxonomyError(f"{path}:{line}: phrase {text!r} has an empty part")
    return Phrase(text, aspect, cue, parts)


def _pattern(word: str) -> str:
    """A phrase word as tokens() would give it ("x-ray" stays one word, "{n}" a number);
    alternatives stay joined by "|"; "" when one does not make a single word."""
    out = []
    for alternative in word.split("|"):
        if alternative in ("{n}", "{money}"):
            out.append(alternative)
            continue
        got = tokens(alternative.rstrip("*"))
        if len(got) != 1:
            return ""
        out.append(got[0] + ("*" if alternative.endswith("*") else ""))
    return "|".join(out)


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    return load_taxonomy()


def tokens(text: str) -> list[str]:
    """Lower-case words; numbers become `{n}`, amounts `{money}`, apostrophes vanish."""
    out = []
    for tok in _TOKEN.findall(text.lower().replace("’", "'")):
        if tok.startswith("$"):
            out.append("{money}")
        elif tok[0].isdigit():
            out.append("{n}")
        else:
            out.append(tok.replace("'", ""))
    return out


def clauses(text: str) -> list[str]:
    """Sentences, cut again at contrast words; empty pieces dropped."""
    out = []
    for sentence in _SENTENCE.split(text):
        out.extend(p.strip(" ,") for p in _CONTRAST.split(sentence) if p and p.strip(" ,"))
    return out


@dataclass(frozen=True)
class _Match:
    aspect_id: str
    phrase: str
    cue: str
    negated: bool


def match_clause(clause: str, taxonomy: Taxonomy) -> list[_Match]:
    """Each aspect once per clause: a phrase inside a longer phrase of another aspect yields to
    it; then an evaluative phrase ("waited") says more than a neutral one ("{n} minutes"), the
    longer more than the shorter, the first more than a later one; neutral phrases of broad
    aspects only count when nothing else matched."""
    words = tokens(clause)
    hits = []  # (aspect, length, start, end, phrase, negated)
    for i, word in enumerate(words):
        candidates = taxonomy.starting_at(word)
        if word in _NUMBER_WORDS:
            candidates += taxonomy.starting_at("{n}")
        for phrase in candidates:
            at = _find_all(words, i, phrase.parts)
            if at is not None:
                negated = any(_negated(words, j) for j in at)
                hits.append((phrase.aspect_id, phrase.length, i, i + len(phrase.parts[0]), phrase, negated))
    hits = [h for h in hits if not any(o[0] != h[0] and o[1] > h[1] and o[2] <= h[2] and h[3] <= o[3]
                                       for o in hits)]
    best: dict[str, tuple] = {}
    for hit in hits:
        rank = (hit[4].cue != "neutral", hit[1], -hit[2])
        if hit[0] not in best or rank > best[hit[0]][0]:
            best[hit[0]] = (rank, hit)
    found = [_Match(h[0], h[4].text, h[4].cue, h[5])
             for _, h in sorted(best.values(), key=lambda b: (b[1][2], b[1][0]))]
    strong = [m for m in found if not (taxonomy.aspects[m.aspect_id].is_broad and m.cue == "neutral")]
    return strong or found


def _find_all(words: list[str], i: int, parts: tuple[Part, ...]) -> list[int] | None:
    """Where each part occurs (the first part at i), or None."""
    if not _matches(words, i, parts[0]):
        return None
    at = [i]
    for part in parts[1:]:
        j = next((j for j in range(len(words)) if _matches(words, j, part)), None)
        if j is None:
            return None
        at.append(j)
    return at


def _matches(words: list[str], i: int, part: Part) -> bool:
    if i + len(part) > len(words):
        return False
    return all(_word_matches(want, got) for want, got in zip(part, words[i:i + len(part)], strict=True))


def _word_matches(want: str, got: str) -> bool:
    for alternative in want.split("|"):
        if alternative == got or (alternative == "{n}" and got in _NUMBER_WORDS):
            return True
        if alternative.endswith("*") and got.startswith(alternative[:-1]):
            return True
    return False


def _negated(words: list[str], i: int) -> bool:
    return any(w in NEGATORS for w in words[max(0, i - NEGATION_REACH):i])


def polarity(compound: float, cue: str, negated: bool, clause: str = "") -> str:
    if cue != "neutral":
        return ("negative" if cue == "positive" else "positive") if negated else cue
    if clause.rstrip().endswith("?"):
        return "neutral"
    if compound >= 0.05:
        return "positive"
    if compound <= -0.05:
        return "negative"
    return _service(tokens(clause))


def _service(words: list[str]) -> str:
    text = " " + " ".join(words) + " "
    for verb in SERVICE_VERBS:
        at = text.find(" " + verb)
        if at < 0:
            continue
        before = text[:at].split()[-NEGATION_REACH:]
        return "negative" if any(w in NEGATORS or w in ("nobody", "noone") for w in before) \
            or "no one" in " ".join(before) else "positive"
    return "neutral"


def find_aspects(texts: Sequence[str], taxonomy: Taxonomy | None = None, workers: int | None = None,
                 pool_min_texts: int | None = None) -> list[list[Occurrence]]:
    """The aspect occurrences of each text, in input order; the clauses that hold one are
    scored in one batch (the sentiment stage's process pool when the batch is large)."""
    from transform.sentiment import POOL_MIN_TEXTS, score_arrays

    taxonomy = taxonomy or default_taxonomy()
    found: list[list[tuple[int, str, _Match]]] = []
    to_score: list[str] = []
    for text in texts:
        per_text = []
        for index, clause in enumerate(clauses(text)):
            hits = match_clause(clause, taxonomy)
            if hits:
                to_score.append(clause)
                per_text.extend((index, clause, m) for m in hits)
        found.append(per_text)
    _, adjusted = score_arrays(to_score, workers, pool_min_texts=POOL_MIN_TEXTS if pool_min_texts is None
                               else pool_min_texts)
    compound_of = dict(zip(to_score, adjusted.tolist(), strict=True))
    return [[Occurrence(m.aspect_id, index, clause, m.phrase, m.negated, compound_of[clause],
                        polarity(compound_of[clause], m.cue, m.negated, clause))
             for index, clause, m in per_text] for per_text in found]
