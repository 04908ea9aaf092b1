"""Sentiment score cache: one row per distinct redacted text, keyed by text_hash.

Stock VADER and healthcare-adjusted compounds (transform/sentiment.py) with the lexicon and
VADER versions that produced them. Incremental: a night scores only texts whose hash is not yet
here with the current (lexicon_version, vader_version), so reruns and backfills rescore
nothing, and an edit of the overlay file (a new lexicon version) rescores every text still in
int_posts_unified. delete+insert on text_hash then replaces the old row, so the table keeps one
row per text_hash and joins on text_hash alone. Rows of texts no longer upstream stay, labelled
with the version that scored them; `dbt run --full-refresh` rebuilds from upstream only.

No timestamps: a rerun over the same texts yields identical content. Compounds are
DECIMAL(5,4) so downstream sums are exact and order-independent.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pandas as pd
import pyarrow as pa

from transform.sentiment import LEXICON_VERSION, VADER_VERSION, label, score_texts

_SAFE_LITERAL = re.compile(r"[A-Za-z0-9_.:+\-]+")
_DECIMAL = pd.ArrowDtype(pa.decimal128(5, 4))
_STRING = pd.ArrowDtype(pa.string())
_COLUMNS = ("text_hash", "lexicon_version", "vader_version", "stock_compound", "adjusted_compound",
            "stock_label", "adjusted_label")


def _literal(value: str) -> str:
    # Versions are interpolated into SQL; they are generated strings, but refuse anything odd.
    if not _SAFE_LITERAL.fullmatch(value):
        raise ValueError(f"unexpected characters in version string {value!r}")
    return f"'{value}'"


def _to_decimal(value: float) -> Decimal:
    return Decimal(f"{value:.4f}")


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="text_hash", incremental_strategy="delete+insert")

    # text_hash identifies the redacted text; min() makes the pick deterministic should two rows
    # ever disagree. NULL keys would duplicate rows under delete+insert, so they never enter.
    texts = (dbt.ref("int_posts_unified")
             .filter("text_hash IS NOT NULL AND text_redacted IS NOT NULL")
             .aggregate("text_hash, min(text_redacted) AS text_redacted", "text_hash"))
    if dbt.is_incremental:
        current = session.sql(
            f"SELECT text_hash FROM {dbt.this} WHERE lexicon_version = {_literal(LEXICON_VERSION)} "
            f"AND vader_version = {_literal(VADER_VERSION)}")
        texts = texts.join(current, "text_hash", how="anti")
    rows = texts.order("text_hash").fetchall()

    scores = score_texts([text for _, text in rows])
    stock = [s for s, _ in scores]
    adjusted = [a for _, a in scores]
    frame = pd.DataFrame({
        "text_hash": pd.array([h for h, _ in rows], dtype=_STRING),
        "lexicon_version": pd.array([LEXICON_VERSION] * len(rows), dtype=_STRING),
        "vader_version": pd.array([VADER_VERSION] * len(rows), dtype=_STRING),
        "stock_compound": pd.array([_to_decimal(v) for v in stock], dtype=_DECIMAL),
        "adjusted_compound": pd.array([_to_decimal(v) for v in adjusted], dtype=_DECIMAL),
        "stock_label": pd.array([label(v) for v in stock], dtype=_STRING),
        "adjusted_label": pd.array([label(v) for v in adjusted], dtype=_STRING),
    })
    return frame[list(_COLUMNS)]
