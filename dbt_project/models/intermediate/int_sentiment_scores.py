"""Sentiment score cache: one row per distinct redacted text, keyed by text_hash.

The text's language (transform/language.py: lingua among the configured languages, the
platform's language field where lingua abstains), then stock VADER and healthcare-adjusted
compounds (transform/sentiment.py) for the texts VADER can read (English, or no language at
all: emoji); every other text keeps NULL compounds and the label `not_scored` (reason
`language`). The lexicon, VADER and detector versions that produced a row are on it.
Incremental: a build looks only at the texts of the posts it changed (int_posts_unified rows of
this build, int_build) and scores those whose hash is not yet here with the current versions,
so reruns and backfills rescore nothing. An edit of the overlay file or the config changes the
transform fingerprint, so the next build starts empty and rescores every text
(transform/build.py). delete+insert on text_hash replaces an old row, so the table keeps one
row per text_hash and joins on text_hash alone. Rows of texts no longer upstream stay, labelled
with the version that scored them.

No timestamps: a rerun over the same texts yields identical content. Compounds are
DECIMAL(5,4) so downstream sums are exact and order-independent. The model returns a pyarrow
Table (transform.sentiment.score_table), which dbt-duckdb materializes like a DataFrame (on Spark,
transform/spark_models.py runs this same file and makes the Table a DataFrame).
"""

from __future__ import annotations

import json

from transform.language import detect, detector_version
from transform.sentiment import LEXICON_VERSION, VADER_VERSION, score_table
from transform.spark_models import engine
from transform.sql_literal import literal


def model(dbt, session):
    import pyarrow as pa

    dbt.config(materialized="incremental", unique_key="text_hash", incremental_strategy="delete+insert")
    dbt, session, result = engine(dbt, session)  # DuckDB as it is; Spark: the same API

    ((languages, min_distance),) = dbt.ref("stg_config__settings").project(
        "analysis_languages, language_min_distance").fetchall()
    languages = json.loads(languages)
    language_version = detector_version(languages, min_distance)

    # text_hash identifies the redacted text; min() makes the pick deterministic should two rows
    # ever disagree. NULL keys would duplicate rows under delete+insert, so they never enter.
    posts = dbt.ref("int_posts_unified").filter("text_hash IS NOT NULL AND text_redacted IS NOT NULL")
    if dbt.is_incremental:  # the texts of the posts this build changed, not all history
        ((build,),) = dbt.ref("int_build").limit(1).fetchall()
        posts = posts.filter(f"_loaded_in_build = {literal(build)}")
    texts = posts.aggregate("text_hash, min(text_redacted) AS text_redacted, min(lang) AS lang_hint",
                            "text_hash")
    if dbt.is_incremental:
        current = session.sql(
            f"SELECT text_hash FROM {dbt.this} WHERE lexicon_version = {literal(LEXICON_VERSION)} "
            f"AND vader_version = {literal(VADER_VERSION)} "
            f"AND language_version = {literal(language_version)}")
        texts = texts.join(current, "text_hash", how="anti")
    rows = texts.order("text_hash").to_arrow_table()

    found = detect(rows.column("text_redacted").to_pylist(), rows.column("lang_hint").to_pylist(),
                   languages, min_distance)
    rows = rows.drop(["lang_hint"]).append_column(
        "language", pa.array([lang for lang, _ in found], pa.string())).append_column(
        "language_source", pa.array([source for _, source in found], pa.string())).append_column(
        "language_version", pa.repeat(pa.scalar(language_version, pa.string()), rows.num_rows))

    # Scored by the process's shared worker pool; one Arrow table out (dbt-duckdb registers it
    # and creates the relation from it), compounds cast to DECIMAL(5,4) in bulk.
    return result(score_table(rows))
