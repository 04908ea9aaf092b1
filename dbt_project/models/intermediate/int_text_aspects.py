"""Aspect occurrences per distinct redacted text (transform/aspects.py), keyed by text_hash.

One row per aspect per clause of an English text: the aspect, the clause (redacted, as the
text is), the phrase that found it, whether a negation preceded it, the clause's
healthcare-adjusted VADER compound and the aspect's polarity, with the taxonomy version (the
sha256 of the two seeds). Other languages get no rows: the phrases are English.

Incremental like the sentiment cache: a build reads the texts of the posts it changed and
finds the aspects of those not stored with the current taxonomy (a text without any aspect
is looked at again when its post changes: cheap, and no marker rows). An edit of the seeds
changes the transform fingerprint, so the next build starts empty.
"""

from __future__ import annotations

from transform.aspects import default_taxonomy, find_aspects
from transform.spark_models import engine
from transform.sql_literal import literal


def model(dbt, session):
    import pyarrow as pa

    dbt.config(materialized="incremental", unique_key="text_hash", incremental_strategy="delete+insert")
    dbt, session, result = engine(dbt, session)  # DuckDB as it is; Spark: the same API
    taxonomy = default_taxonomy()
    posts = dbt.ref("int_posts_unified").filter("text_hash IS NOT NULL AND text_redacted IS NOT NULL")
    if dbt.is_incremental:
        ((build,),) = dbt.ref("int_build").limit(1).fetchall()
        posts = posts.filter(f"_loaded_in_build = {literal(build)}")
    texts = posts.aggregate("text_hash, min(text_redacted) AS text_redacted", "text_hash")
    english = dbt.ref("int_sentiment_scores").filter("language = 'en'").project("text_hash")
    texts = texts.join(english, "text_hash")
    if dbt.is_incremental:
        done = session.sql(f"SELECT DISTINCT text_hash FROM {dbt.this} "
                           f"WHERE taxonomy_version = {literal(taxonomy.version)}")
        texts = texts.join(done, "text_hash", how="anti")
    rows = texts.order("text_hash").fetchall()
    found = find_aspects([text for _, text in rows], taxonomy)
    out = [(text_hash, o) for (text_hash, _), occurrences in zip(rows, found, strict=True)
           for o in occurrences]
    return result(pa.table({
        "text_hash": pa.array([h for h, _ in out], pa.string()),
        "aspect_id": pa.array([o.aspect_id for _, o in out], pa.string()),
        "clause_index": pa.array([o.clause_index for _, o in out], pa.int32()),
        "clause_redacted": pa.array([o.clause for _, o in out], pa.string()),
        "matched_phrase": pa.array([o.phrase for _, o in out], pa.string()),
        "negated": pa.array([o.negated for _, o in out], pa.bool_()),
        "clause_compound": pa.compute.cast(pa.array([o.compound for _, o in out], pa.float64()),
                                           pa.decimal128(5, 4)),
        "polarity": pa.array([o.polarity for _, o in out], pa.string()),
        "taxonomy_version": pa.array([taxonomy.version] * len(out), pa.string()),
    }))
