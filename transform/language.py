"""Offline language detection: which texts VADER may score.

VADER's lexicon is English; a Spanish post scored with it gets a label from the few words the
two languages share ("no", "mal"), not from what it says. Every text is detected with lingua
(its n-gram models ship inside the wheel, nothing is downloaded), among the languages the
config lists (fewer candidates: faster and surer). Where lingua's first two languages are too
close to call (`min_distance`), the platform's own language field decides if it names one of
the candidates; otherwise the text is `und` (undetermined). Only `en` is scored; every other
code, `und` included, gets the `not_scored` label with reason `language`. A text with almost no
letters (emoji, "ok", "!!!") has no language to detect: it is `zxx` (ISO 639-2, "no linguistic
content") and is scored, because VADER's emoji and emoticon valences do not depend on a language.

The detector is built once per process and per language set (about 1 s and 300 MB for the
default sixteen languages) and detects a batch on all cores (lingua's Rust threads, outside
the GIL).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import version as _dist_version

UNDETERMINED = "und"
NO_LANGUAGE = "zxx"
SCORED_LANGUAGES = frozenset({"en", NO_LANGUAGE})
LINGUA_VERSION = _dist_version("lingua-language-detector")
# Below this many letters lingua's guess is noise ("ok", an emoji): no language to detect.
MIN_LETTERS = 3

_lock = threading.Lock()


def detector_version(languages: Sequence[str], min_distance: float) -> str:
    """What decided a text's language: lingua's version and the settings it ran with."""
    settings = f"{','.join(sorted(languages))}|{min_distance:.4f}"
    return f"lingua-{LINGUA_VERSION}+{hashlib.sha256(settings.encode()).hexdigest()[:12]}"


@lru_cache(maxsize=2)
def _detector(languages: tuple[str, ...], min_distance: float):
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    wanted = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in languages]
    builder = LanguageDetectorBuilder.from_languages(*wanted) if len(wanted) > 1 else None
    if builder is None:  # lingua needs two candidates; one configured language decides alone
        return None
    return builder.with_minimum_relative_distance(min_distance).with_preloaded_language_models().build()


def detect(texts: Sequence[str], hints: Sequence[str | None], languages: Sequence[str],
           min_distance: float) -> list[tuple[str, str]]:
    """(language, source) per text: source is `detected`, `platform`, `letters` (too few to
    tell: `zxx`) or `none` (`und`)."""
    if len(texts) != len(hints):
        raise ValueError(f"{len(texts)} texts but {len(hints)} hints")
    candidates = tuple(sorted(set(languages)))
    with _lock:  # one build per process even when dbt runs models in threads
        detector = _detector(candidates, round(float(min_distance), 4))
    found = _run(detector, candidates, texts)
    out = []
    for text, guess, hint in zip(texts, found, hints, strict=True):
        if _letters(text) < MIN_LETTERS:
            out.append((NO_LANGUAGE, "letters"))
            continue
        if guess is not None:
            out.append((guess, "detected"))
            continue
        code = _hint(hint, candidates)
        out.append((code, "platform") if code else (UNDETERMINED, "none"))
    return out


def _run(detector, candidates: tuple[str, ...], texts: Sequence[str]) -> list[str | None]:
    if detector is None:
        return [candidates[0]] * len(texts)
    return [None if lang is None else lang.iso_code_639_1.name.lower()
            for lang in detector.detect_languages_in_parallel_of(list(texts))]


def _hint(hint: str | None, candidates: tuple[str, ...]) -> str | None:
    """A platform language field ('en', 'en-US', 'pt_BR', 'und') as a candidate code, else None."""
    if not hint:
        return None
    code = hint.replace("_", "-").split("-", 1)[0].strip().lower()
    return code if code in candidates else None


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def is_scored(language: str) -> bool:
    return language in SCORED_LANGUAGES
