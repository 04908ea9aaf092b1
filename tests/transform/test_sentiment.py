"""Sentiment scoring: trap-set accuracy, VADER fidelity, pool = in-process, versioning, dbt cache."""

from __future__ import annotations

import hashlib
import random
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

import transform.sentiment as sentiment
from transform.sentiment import (
    DEFAULT_OVERLAY,
    LEXICON_VERSION,
    HealthcareAnalyzer,
    OverlayError,
    WindowedVader,
    label,
    load_overlay,
    load_traps,
    score_texts,
    trap_accuracy,
)

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "dbt_project" / "models" / "intermediate" / "int_sentiment_scores.py"

# Texts that probe VADER's tokeniser and the overlay's edges: caps, punctuation, emojis, negation.
EDGE_TEXTS = [
    "", "   ", "!!!", ":)", "ok", "NO.", "care", "CARE!!!", "_positive_", "positive_x", "x-positive",
    "retested positive", "positive testimonial", "Tested-Positive?!", "TESTED POSITIVE", "tested  positive",
    "I don't care about the emergency", "🤒positive", "so sick 🤒 of this", "❤️ the nurses",
    "K\u212aelvin care", "Cancer-free!!! 🎉", "5-hour wait, GREAT.", "waited 3 hours... and counting",
    "no wait, no pain, no problem", "The care team was not rude at all", "heart heart heart attack",
    "stage iv? STAGE IV.", "remission remission", "in\u00a0remission", "Ça va? Très bien, merci",
    "ＰＯＳＩＴＩＶＥ", "benign-ish",
]


@pytest.fixture(scope="module")
def traps():
    return load_traps()


@pytest.fixture(scope="module")
def corpus(traps) -> list[str]:
    return [t.text for t in traps] + EDGE_TEXTS


def test_trap_set_is_large_enough_and_labelled(traps):
    assert len(traps) >= 40
    assert {t.expected_label for t in traps} == {"positive", "neutral", "negative"}
    assert all(t.why for t in traps)


def test_adjusted_beats_stock_on_trap_set(traps):
    stock, adjusted, rows = trap_accuracy(traps)
    print(f"\ntrap set ({len(rows)}): stock accuracy {stock:.3f}, adjusted accuracy {adjusted:.3f} "
          f"[{LEXICON_VERSION}]")
    misses = [t.text for t, _, a in rows if a != t.expected_label]
    assert adjusted >= 0.85, misses
    assert adjusted > stock


def test_stock_compound_is_vaders_own(corpus):
    vader = SentimentIntensityAnalyzer()
    expected = [vader.polarity_scores(t)["compound"] for t in corpus]
    assert [s for s, _ in score_texts(corpus, workers=1)] == expected


# Words that drive the rules WindowedVader re-windows: negators, "never so/this", "without doubt",
# special idioms, booster bigrams, plus sentiment words, caps and punctuation.
FUZZ_WORDS = ("not", "never", "so", "this", "without", "doubt", "no", "isn't", "the", "bomb", "shit",
              "yeah", "right", "kiss", "of", "death", "kind", "sort", "least", "at", "very", "but",
              "good", "bad", "great", "GREAT", "pain", "care", "positive", "tested", "remission", "cancer",
              "to", "die", "for", "bad", "ass", "beating", "heart", "wait", "long", "!", "?", ":)", "rude",
              "🙂", "😡", "❤️", "x🤒", " ", "\u00a0")


def test_windowed_vader_equals_vader():
    rng = random.Random(20)
    texts = [" ".join(rng.choice(FUZZ_WORDS) for _ in range(rng.randint(1, 14))) for _ in range(4000)]
    vader, windowed = SentimentIntensityAnalyzer(), WindowedVader()
    assert sum(not windowed.emoji_chars.isdisjoint(t) for t in texts) > 500  # both paths run
    for text in texts:
        assert windowed.polarity_scores(text) == vader.polarity_scores(text), text
    plain = HealthcareAnalyzer(stock=SentimentIntensityAnalyzer())
    fast = HealthcareAnalyzer()
    assert [fast.score_pair(t) for t in texts] == [plain.score_pair(t) for t in texts]


def test_skipping_the_adjusted_pass_never_changes_a_score(corpus):
    analyzer = HealthcareAnalyzer()
    for text in corpus:
        assert analyzer.score_pair(text)[1] == analyzer.compound(text), text


def test_phrases_match_across_case_hyphens_and_punctuation():
    analyzer = HealthcareAnalyzer()
    assert analyzer.rewrite("Tested-Positive?!") == ("hc_tested_positive?!", 1)
    assert analyzer.rewrite("TESTED POSITIVE") == ("HC_TESTED_POSITIVE", 1)  # keeps caps emphasis
    assert analyzer.rewrite("Cancer-free, a 5-hour wait") == ("hc_cancer_free, a hc_n_hour_wait", 2)
    assert analyzer.rewrite("negative for cancer")[0] == "hc_negative_for_cancer"
    # Leftmost phrase wins; the overlapping later one is not applied.
    assert analyzer.rewrite("came back negative for cancer")[0] == "hc_came_back_negative for cancer"
    assert analyzer.rewrite("tested positive for covid")[0] == "hc_tested_positive for covid"
    for untouched in ("retested positive", "positive testimonial", "a negative experience", "wait long"):
        assert analyzer.rewrite(untouched) == (untouched, 0)


def test_pool_gives_the_in_process_results_in_input_order(corpus):
    texts = corpus * 8
    local = score_texts(texts, workers=1)
    pooled = score_texts(texts, workers=2, chunk_size=37, pool_min_texts=0)
    assert pooled == local
    assert score_texts(texts[::-1], workers=2, chunk_size=37, pool_min_texts=0) == local[::-1]


def test_scores_are_deterministic_and_rounded(corpus):
    first = score_texts(corpus, workers=1)
    fresh = HealthcareAnalyzer()
    assert [fresh.score_pair(t) for t in corpus] == first
    assert all(round(v, 4) == v and -1 <= v <= 1 for pair in first for v in pair)
    assert score_texts([]) == []


def test_score_texts_rejects_non_text():
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        score_texts(["fine", None])  # type: ignore[list-item]


def test_label_thresholds_are_inclusive_at_005():
    assert label(0.05) == "positive"
    assert label(0.0499) == "neutral"
    assert label(0.0) == "neutral"
    assert label(-0.0499) == "neutral"
    assert label(-0.05) == "negative"
    # Decimal("0.05") < float 0.05, so a DECIMAL(5,4) read back must still label the same.
    assert label(Decimal("0.0500")) == "positive"
    assert label(Decimal("-0.0500")) == "negative"


def test_lexicon_version_follows_the_file_bytes(tmp_path):
    copy = tmp_path / DEFAULT_OVERLAY.name
    shutil.copyfile(DEFAULT_OVERLAY, copy)
    assert load_overlay(copy).version == LEXICON_VERSION
    digest = hashlib.sha256(DEFAULT_OVERLAY.read_bytes()).hexdigest()
    assert f"healthcare_v1+sha256:{digest[:12]}" == LEXICON_VERSION

    copy.write_text(copy.read_text().replace("remission\t2.0", "remission\t2.1"))
    changed = load_overlay(copy)
    assert changed.version != LEXICON_VERSION
    assert changed.words["remission"] == 2.1
    assert HealthcareAnalyzer(changed).version == changed.version


@pytest.mark.parametrize(("line", "problem"), [
    ("Remission\t2.0\tx", "lower-case"),
    ("remission\tlots\tx", "not a number"),
    ("remission\t9\tx", "outside"),
    ("benign\t2.0\tduplicate", "duplicate"),
])
def test_bad_overlay_rows_name_file_and_line(tmp_path, line, problem):
    bad = tmp_path / DEFAULT_OVERLAY.name
    bad.write_text(DEFAULT_OVERLAY.read_text() + line + "\n")
    with pytest.raises(OverlayError, match=problem) as err:
        load_overlay(bad)
    assert f"{bad}:" in str(err.value)


def test_overlay_needs_its_version_header(tmp_path):
    bad = tmp_path / "healthcare_v2.tsv"
    shutil.copyfile(DEFAULT_OVERLAY, bad)  # header still says healthcare_v1
    with pytest.raises(OverlayError, match=":1:"):
        load_overlay(bad)


# --- the dbt Python model, on a stand-in upstream in a scratch DuckDB ------------------------


def _dbt_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "models" / "intermediate").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: sentiment_check\nversion: '1.0'\nprofile: sentiment_check\nmodel-paths: ['models']\n")
    (project / "profiles.yml").write_text(
        "sentiment_check:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: {tmp_path / 'scratch.duckdb'}\n      threads: 1\n")
    (project / "models" / "int_posts_unified.sql").write_text(
        "select text_hash, text_redacted, cast(null as varchar) as lang, _loaded_in_build "
        "from main.posts_standin")
    (project / "models" / "stg_config__settings.sql").write_text(
        "select '[\"en\", \"es\", \"fr\"]' as analysis_languages, 0.1 as language_min_distance")
    # the running build: the newest stamp of the stand-in posts (a build's changed posts)
    (project / "models" / "int_build.sql").write_text(
        "select max(_loaded_in_build) as build_id from main.posts_standin")
    shutil.copyfile(MODEL, project / "models" / "intermediate" / MODEL.name)
    return project


def _add_posts(db: Path, texts: list[str | None], start: int = 0, build: str = "b0") -> None:
    with duckdb.connect(str(db)) as con:
        con.execute("create table if not exists posts_standin "
                    "(post_id integer, text_hash varchar, text_redacted varchar, _loaded_in_build varchar)")
        for i, text in enumerate(texts, start):
            digest = hashlib.sha256(text.encode()).hexdigest() if text is not None else None
            con.execute("insert into posts_standin values (?, ?, ?, ?)", [i, digest, text, build])


@pytest.mark.slow
def test_dbt_model_scores_each_text_once_and_rescores_on_new_lexicon(tmp_path, monkeypatch):
    from dbt.cli.main import dbtRunner

    project = _dbt_project(tmp_path)
    db = tmp_path / "scratch.duckdb"
    _add_posts(db, ["I tested positive for COVID today.", "My cancer is in remission!",
                    "My cancer is in remission!", "Your appointment is confirmed.", None])
    scored: list[list[str]] = []
    real = sentiment.score_arrays
    monkeypatch.setattr(sentiment, "score_arrays",
                        lambda texts, *a, **kw: scored.append(list(texts)) or real(texts, *a, **kw))

    def build() -> list[tuple]:
        args = ["run", "--quiet", "--project-dir", str(project), "--profiles-dir", str(project)]
        result = dbtRunner().invoke(args)
        assert result.success, result.exception
        with duckdb.connect(str(db)) as con:
            return con.execute("select * from int_sentiment_scores order by text_hash").fetchall()

    first = build()
    assert len(scored[-1]) == 3 and len(first) == 3  # duplicate text once, NULL text never
    with duckdb.connect(str(db)) as con:
        types = con.execute("select column_name, data_type from information_schema.columns "
                            "where table_name = 'int_sentiment_scores' order by ordinal_position").fetchall()
    assert types == [("text_hash", "VARCHAR"), ("lexicon_version", "VARCHAR"), ("vader_version", "VARCHAR"),
                     ("stock_compound", "DECIMAL(5,4)"), ("adjusted_compound", "DECIMAL(5,4)"),
                     ("stock_label", "VARCHAR"), ("adjusted_label", "VARCHAR"),
                     ("not_scored_reason", "VARCHAR"), ("language", "VARCHAR"),
                     ("language_source", "VARCHAR"), ("language_version", "VARCHAR")]
    assert {r[8] for r in first} == {"en"} and {r[7] for r in first} == {None}
    assert {r[1] for r in first} == {LEXICON_VERSION} and {r[2] for r in first} == {"3.3.2"}
    by_text = dict(zip(scored[-1], first, strict=True))  # the model scores in text_hash order
    stock, adjusted = score_texts(["My cancer is in remission!"], workers=1)[0]
    row = by_text["My cancer is in remission!"]
    assert (float(row[3]), float(row[4]), row[5], row[6]) == (stock, adjusted, label(stock), label(adjusted))

    assert build() == first and scored[-1] == []  # rerun: nothing rescored, identical content

    _add_posts(db, ["Biopsy came back negative, so relieved!"], start=10, build="b1")
    stale = hashlib.sha256(b"My cancer is in remission!").hexdigest()
    with duckdb.connect(str(db)) as con:  # as if scored under an older overlay, its post changed now
        con.execute("update int_sentiment_scores set lexicon_version = 'healthcare_v0+sha256:000000000000', "
                    "adjusted_compound = 0 where text_hash = ?", [stale])
        con.execute("update posts_standin set _loaded_in_build = 'b1' where text_hash = ?", [stale])
    third = build()  # only the texts of build b1's posts are looked at
    assert sorted(scored[-1]) == ["Biopsy came back negative, so relieved!", "My cancer is in remission!"]
    assert len(third) == 4 and {r[1] for r in third} == {LEXICON_VERSION}
    new_hash = hashlib.sha256(b"Biopsy came back negative, so relieved!").hexdigest()
    assert [r for r in third if r[0] != new_hash] == first
