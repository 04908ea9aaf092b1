"""Screening verdicts: one row per screened post (transform/screening.py).

Screened: posts and comments on the social sources by accounts that are not the
organisation's or a panel brand's (news articles and reviews have their own checks). Each row
says whether the post is in a copy-paste burst, which earlier post it copies, its four bot
signals, and whether it is excluded from share of voice and sentiment (`exclusion_reason`
bot_account or copy_paste), with the thresholds that decided it (`screening_settings`).

Incremental, at the night's cost: a build judges the posts it adds (a post stored here with
the same text is not judged again, so a refreshed engagement snapshot costs nothing) and the
stored posts within two windows of them, reading the posts within four windows (a few hours
around the night, whatever the history). Rows are written for the new posts and for stored
posts whose verdict changed (a burst that grew across midnight, a backfilled night): those
rows carry this build's stamp, which is how fct_mentions and the daily marts learn that an
older mention's exclusion changed.
"""

from __future__ import annotations

from datetime import datetime

from transform.screening import (
    SCREENING_VERSION,
    Post,
    Profile,
    Settings,
    affected_ranges,
    neighbour_ranges,
    screen,
)
from transform.spark_models import engine
from transform.sql_literal import literal

SCREENED = ("NOT is_owned AND account_brand_id IS NULL AND text_redacted IS NOT NULL "
            "AND author_key IS NOT NULL AND published_at IS NOT NULL "
            "AND entity_type <> 'review' AND platform <> 'news'")
COLUMNS = "post_key, author_key, published_at, text_redacted, text_hash"



def _settings(dbt) -> Settings:
    names = list(Settings.__dataclass_fields__)
    columns = {"similarity": "copy_paste_similarity", "window_minutes": "copy_paste_window_minutes",
               "min_accounts": "copy_paste_min_accounts", "min_words": "copy_paste_min_words",
               "new_account_days": "bot_new_account_days", "max_posts_per_day": "bot_max_posts_per_day",
               "min_following": "bot_min_following", "max_follower_ratio": "bot_max_follower_ratio",
               "duplicate_share": "bot_duplicate_share", "min_signals": "bot_min_signals"}
    select = ", ".join(columns.get(n, n) for n in names)
    (row,) = dbt.ref("stg_config__settings").project(select).fetchall()
    return Settings(**dict(zip(names, row, strict=True)))


def _in_ranges(ranges: list[tuple[datetime, datetime]]) -> str:
    if not ranges:
        return "FALSE"
    return "(" + " OR ".join(
        f"published_at BETWEEN TIMESTAMP {literal(str(lo))} AND TIMESTAMP {literal(str(hi))}"
        for lo, hi in ranges) + ")"


def model(dbt, session):
    import pyarrow as pa

    dbt.config(materialized="incremental", unique_key="post_key", incremental_strategy="delete+insert")
    dbt, session, result = engine(dbt, session)  # DuckDB as it is; Spark: the same API
    settings = _settings(dbt)
    ((build,),) = dbt.ref("int_build").limit(1).fetchall()
    posts = dbt.ref("int_posts_unified").filter(SCREENED)
    if not dbt.is_incremental:  # every post is new: judged a day at a time, memory set by a day
        days = [d for (d,) in posts.project("published_date").distinct().order("published_date").fetchall()]
        parts = [_judge(dbt, posts.filter(f"published_date = DATE {literal(str(day))}").project(COLUMNS)
                        .fetchall(), posts, settings, {}) for day in days]
        return result(_table(pa, [v for part in parts for v in part], settings, build))
    stored = session.sql(f"SELECT post_key, text_hash FROM {dbt.this}")
    new_rows = posts.filter(f"_loaded_in_build = {literal(build)}").project(COLUMNS).join(
        stored, "post_key, text_hash", how="anti").fetchall()
    reach = _in_ranges(affected_ranges([row[2] for row in new_rows], settings))
    before = dict(session.sql(f"SELECT post_key, {VERDICT} FROM {dbt.this} WHERE {reach}").fetchall())
    return result(_table(pa, _judge(dbt, new_rows, posts, settings, before), settings, build))


# What makes a stored verdict different from a new one (only changed verdicts are rewritten).
VERDICT = ("coalesce(exclusion_reason, '') || '|' || coalesce(copy_of, '') || '|' "
           "|| cast(bot_signals AS STRING)")


def _judge(dbt, new_rows: list[tuple], posts, settings: Settings, before: dict[str, str]) -> list:
    """(verdict, post row) for the new posts and for the posts near them whose verdict changed."""
    moments = [row[2] for row in new_rows]
    around = posts.filter(_in_ranges(neighbour_ranges(moments, settings))).project(COLUMNS).fetchall()
    by_key = {row[0]: row for row in around} | {row[0]: row for row in new_rows}
    sample = [Post(k, r[1], r[2], r[3]) for k, r in by_key.items()]
    new_keys = {row[0] for row in new_rows}
    # `before` holds the stored verdicts within two windows of the new posts: re-judged, and
    # rewritten when they changed
    verdicts = screen(sample, _profiles(dbt, {p.author_key for p in sample}), settings,
                      judge=new_keys | (before.keys() & by_key.keys()))
    return [(v, by_key[k]) for k, v in sorted(verdicts.items())
            if k in new_keys or before[k] != _verdict_key(v)]


def _verdict_key(v) -> str:
    return f"{v.exclusion_reason or ''}|{v.copy_of or ''}|{v.bot_signals}"


def _profiles(dbt, authors: set[str]) -> dict[str, Profile]:
    if not authors:
        return {}
    rows = dbt.ref("int_author_profiles").filter(
        "author_key IN (" + ", ".join(literal(a) for a in sorted(authors)) + ")").project(
        "author_key, followers_count, following_count, post_count, account_created_day, counts_seen_date"
    ).fetchall()
    return {r[0]: Profile(*r[1:]) for r in rows}


def _table(pa, judged: list, settings: Settings, build: str):
    verdicts = [v for v, _ in judged]
    rows = [row for _, row in judged]

    def constant(value: str):  # one dictionary entry, not a copy per row
        return pa.DictionaryArray.from_arrays(pa.array([0] * len(verdicts), pa.int32()), pa.array([value]))

    return pa.table({
        "post_key": pa.array([v.post_key for v in verdicts], pa.string()),
        "text_hash": pa.array([r[4] for r in rows], pa.string()),
        "author_key": pa.array([r[1] for r in rows], pa.string()),
        "published_at": pa.array([r[2] for r in rows], pa.timestamp("us")),
        "published_date": pa.array([r[2].date() for r in rows], pa.date32()),
        "in_burst": pa.array([v.in_burst for v in verdicts], pa.bool_()),
        "burst_accounts": pa.array([v.burst_accounts for v in verdicts], pa.int32()),
        "copy_of": pa.array([v.copy_of for v in verdicts], pa.string()),
        "new_account": pa.array([v.new_account for v in verdicts], pa.bool_()),
        "high_rate": pa.array([v.high_rate for v in verdicts], pa.bool_()),
        "follow_shape": pa.array([v.follow_shape for v in verdicts], pa.bool_()),
        "duplicates": pa.array([v.duplicates for v in verdicts], pa.bool_()),
        "bot_signals": pa.array([v.bot_signals for v in verdicts], pa.int32()),
        "is_bot": pa.array([v.is_bot for v in verdicts], pa.bool_()),
        "is_excluded": pa.array([v.is_excluded for v in verdicts], pa.bool_()),
        "exclusion_reason": pa.array([v.exclusion_reason for v in verdicts], pa.string()),
        "screening_settings": constant(settings.as_json()),
        "screening_version": constant(SCREENING_VERSION),
        "_loaded_in_build": constant(build),
    })
