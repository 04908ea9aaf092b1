"""Sentiment score cache: one row per distinct redacted text, keyed by text_hash.

Stock VADER and healthcare-adjusted compounds (transform/sentiment.py) with the lexicon and
VADER versions that produced them. Incremental: a build looks only at the texts of the posts it
changed (int_posts_unified rows of this build, int_build) and scores those whose hash is not yet
here with the current (lexicon_version, vader_version), so reruns and backfills rescore
nothing. An edit of the overlay file changes the transform fingerprint, so the next build starts
empty and rescores every text (transform/build.py). delete+insert on text_hash replaces an old
row, so the table keeps one row per text_hash and joins on text_hash alone. Rows of texts no
longer upstream stay, labelled with the version that scored them.

No timestamps: a rerun over the same texts yields identical content. Compounds are
DECIMAL(5,4) so downstream sums are exact and order-independent. The model returns a pyarrow
Table (transform.sentiment.score_table), which dbt-duckdb materializes like a DataFrame.
"""

from __future__ import annotations

import re

from transform.sentiment import LEXICON_VERSION, VADER_VERSION, score_table

_SAFE_LITERAL = re.compile(r"[A-Za-z0-9_.:+\-]+")


def _literal(value: str) -> str:
    # Versions are interpolated into SQL; they are generated strings, but refuse anything odd.
    if not _SAFE_LITERAL.fullmatch(value):
        raise ValueError(f"unexpected characters in version string {value!r}")
    return f"'{value}'"


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="text_hash", incremental_strategy="delete+insert")

    # text_hash identifies the redacted text; min() makes the pick deterministic should two rows
    # ever disagree. NULL keys would duplicate rows under delete+insert, so they never enter.
    posts = dbt.ref("int_posts_unified").filter("text_hash IS NOT NULL AND text_redacted IS NOT NULL")
    if dbt.is_incremental:  # the texts of the posts this build changed, not all history
        ((build,),) = dbt.ref("int_build").limit(1).fetchall()
        posts = posts.filter(f"_loaded_in_build = {_literal(build)}")
    texts = posts.aggregate("text_hash, min(text_redacted) AS text_redacted", "text_hash")
    if dbt.is_incremental:
        current = session.sql(
            f"SELECT text_hash FROM {dbt.this} WHERE lexicon_version = {_literal(LEXICON_VERSION)} "
            f"AND vader_version = {_literal(VADER_VERSION)}")
        texts = texts.join(current, "text_hash", how="anti")
    rows = texts.order("text_hash").to_arrow_table()

    # Scored by the process's shared worker pool; one Arrow table out (dbt-duckdb registers it
    # and creates the relation from it), compounds cast to DECIMAL(5,4) in bulk.
    return score_table(rows)
