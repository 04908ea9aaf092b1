"""The sentiment stage's output against stock VADER and the previous two-pass scorer.

`score_table` is what int_sentiment_scores returns. On several hundred varied texts (the trap
set, every overlay phrase and word in several spellings, negations, "but", emoji, empty
strings, simulated posts after redaction) its stock compound must be exactly
`SentimentIntensityAnalyzer().polarity_scores(text)["compound"]`, and its adjusted compound
exactly what the previous implementation computed: a second, independent VADER pass over the
phrase-rewritten text with the overlay lexicon (`reference_adjusted` below).
"""

from __future__ import annotations

import hashlib
import random
from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

import transform.sentiment as sentiment
from transform.privacy import redact
from transform.sentiment import (
    HealthcareAnalyzer,
    label,
    load_overlay,
    load_traps,
    score_arrays,
    score_table,
)

NEGATORS = ("not", "never", "no", "isn't", "without", "hardly", "don't", "nothing", "never so")
FRAMES = ("{p}", "{p}!", "I {p} today.", "My mom {p}, so relieved", "not {p} at all", "{P}!!!",
          "we {p} but the staff were rude", "Honestly? {p} 😷", "kind of {p}", "{n} {p}...",
          "{p} - no pain, no problem 🙏", "the doctor said {p} and I cried ❤️")
EMOJI = ("🙏", "😡", "❤️", "😷", "🤒", "😭", "👏", "💉", "🏥", "🥲", "💯", "🎉")


def reference_adjusted(text: str, analyzer: HealthcareAnalyzer, overlay_vader: SentimentIntensityAnalyzer,
                       ) -> float:
    """The previous implementation: always a second full VADER pass over the rewritten text."""
    return overlay_vader.polarity_scores(analyzer.rewrite(text)[0])["compound"]


@pytest.fixture(scope="module")
def overlay_vader() -> SentimentIntensityAnalyzer:
    """Stock VADER (not the windowed subclass) with the overlay lexicon, as the overlay defines it."""
    overlay = load_overlay()
    vader = SentimentIntensityAnalyzer()
    vader.lexicon.update(overlay.words)
    vader.lexicon.update(dict(overlay.phrases.values()))
    return vader


def _overlay_texts(rng: random.Random) -> list[str]:
    overlay = load_overlay()
    texts = []
    for term in [*overlay.phrases, *overlay.words]:
        spelled = term.replace("{n}", str(rng.randint(2, 12)))
        variant = rng.choice((spelled, spelled.upper(), spelled.replace(" ", "-"), spelled.title()))
        frame = rng.choice(FRAMES)
        texts.append(frame.format(p=variant, P=variant.upper(), n=rng.choice(NEGATORS)))
    return texts


def _simulated_posts(loaded_config, limit: int) -> list[str]:
    from extract.simulator.world import PLATFORMS, World, day_number

    world = World(loaded_config.config, seed=3, mentions_per_night=1500)
    day = day_number(date(2026, 11, 20))
    posts = {redact(p.text): None for pl in PLATFORMS for p in world.day_posts(pl, day) if p.text}
    return list(posts)[:limit]


@pytest.fixture(scope="module")
def sample(loaded_config) -> list[str]:
    rng = random.Random(14)
    words = ("good", "bad", "GREAT", "pain", "care", "cancer", "remission", "wait", "rude", "not", "no",
             "never", "but", "very", "kind", "of", "least", "at", "so", "this", "without", "doubt", "!", "?",
             ":)", "heart", "attack", "tested", "positive", "negative", "clear", "😡", "❤️", "x🤒", "\u00a0")
    fuzz = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 16))) for _ in range(250)]
    plain = ["", " ", "\t\n", "!!!", "ok", "😷", "🙏🙏🙏", "BUT", "but but good", "No. Not good. NOT BAD!",
             "least good at", "least helpful very", "at least good", "the very least bad", "no pain or gain",
             "no wait nor pain", "NO good", "kind of good", "KIND of bad", "never so happy",
             "without a doubt good"]
    posts = _simulated_posts(loaded_config, 300)
    negated = [f"{rng.choice(NEGATORS)} {p} {rng.choice(EMOJI)}" for p in posts[:40]]
    texts = [t.text for t in load_traps()] + plain + _overlay_texts(rng) + fuzz + negated + posts
    return list(dict.fromkeys(texts))


def _rows(texts: list[str]) -> pa.Table:
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    return pa.table({"text_hash": hashes, "text_redacted": texts})


def test_sample_is_varied(sample):
    analyzer = HealthcareAnalyzer()
    assert len(sample) >= 500
    assert "" in sample
    assert sum(analyzer.rewrite(t)[1] > 0 for t in sample) >= 100  # overlay phrases
    assert sum(not analyzer._emoji_chars.isdisjoint(t) for t in sample) >= 50
    assert sum(" but " in f" {t.lower()} " for t in sample) >= 30
    assert sum(any(f" {n} " in f" {t.lower()} " for n in NEGATORS) for t in sample) >= 100


@pytest.mark.parametrize("workers", [1, 2])
def test_stage_equals_stock_vader_and_the_two_pass_scorer(sample, overlay_vader, workers):
    vader, analyzer = SentimentIntensityAnalyzer(), HealthcareAnalyzer()
    table = score_table(_rows(sample), workers=workers, pool_min_texts=0).to_pylist()
    assert [r["text_hash"] for r in table] == _rows(sample).column("text_hash").to_pylist()
    differ = 0
    for text, row in zip(sample, table, strict=True):
        stock = vader.polarity_scores(text)["compound"]
        adjusted = reference_adjusted(text, analyzer, overlay_vader)
        assert row["stock_compound"] == Decimal(f"{stock:.4f}"), text
        assert row["adjusted_compound"] == Decimal(f"{adjusted:.4f}"), text
        assert (row["stock_label"], row["adjusted_label"]) == (label(stock), label(adjusted)), text
        differ += stock != adjusted
    assert differ >= 100  # the overlay really changed scores in the sample


def test_float_arrays_are_vaders_own_values(sample, overlay_vader):
    vader, analyzer = SentimentIntensityAnalyzer(), HealthcareAnalyzer()
    stock, adjusted = score_arrays(sample, workers=2, pool_min_texts=0, chunk_size=64)
    assert stock.tolist() == [vader.polarity_scores(t)["compound"] for t in sample]
    assert adjusted.tolist() == [reference_adjusted(t, analyzer, overlay_vader) for t in sample]


def test_one_pass_fuzz_equals_the_two_pass_scorer(overlay_vader):
    rng = random.Random(20)
    overlay = load_overlay()
    # Words that drive every valence rule: "no" (and "no ... or/nor"), negators, "never so/this",
    # "without doubt", "least" (and "at/very least"), boosters and dampeners (also in caps), special
    # idioms, "but", caps emphasis, punctuation, emoji.
    words = ("not", "never", "so", "this", "without", "doubt", "no", "NO", "or", "nor", "the", "bomb",
             "yeah", "right", "kiss", "of", "death", "kind", "sort", "least", "at", "very", "VERY",
             "extremely", "barely", "kinda", "isn't", "but", "good", "GREAT", "care", "CARE", "to", "die",
             "for", "bad", "ass", "beating", "!", "?", "!!!", ":)", "🙂", "😡", "x🤒",
             *overlay.words, *(p.replace("{n}", "3") for p in overlay.phrases))
    analyzer, vader = HealthcareAnalyzer(), SentimentIntensityAnalyzer()
    for _ in range(5000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 12)))
        assert analyzer.score_pair(text) == (vader.polarity_scores(text)["compound"],
                                             reference_adjusted(text, analyzer, overlay_vader)), text


def test_labels_follow_the_thresholds_at_the_edges():
    table = score_table(_rows(["x"]))
    values = [-1.0, -0.0501, -0.05, -0.0499, 0.0, 0.0499, 0.05, 0.0501, 1.0]
    got = sentiment._labels(pa.array(values).to_numpy()).to_pylist()
    assert got == [label(v) for v in values]
    assert table.schema.field("stock_compound").type == pa.decimal128(5, 4)


def test_pool_is_started_once_and_reused(sample):
    sentiment.close_pool()
    score_arrays(sample, workers=2, pool_min_texts=0)
    first = sentiment._pool[1]
    procs = [w.proc for w in first._workers]
    assert len(procs) == 2
    score_arrays(sample[::-1], workers=2, pool_min_texts=0)
    assert sentiment._pool[1] is first and [w.proc for w in first._workers] == procs
    sentiment.close_pool()
    assert sentiment._pool is None and all(p.returncode == 0 for p in procs)
