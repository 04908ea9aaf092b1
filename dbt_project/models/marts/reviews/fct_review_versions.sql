{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=['{{ forget_changed_reviews() }}']
) }}
-- depends_on: {{ review_inputs() }}
-- One row per version of a review: each distinct updateTime it was read with, the nights it
-- was read so, its rating and whether a reply stood, and what changed from the version
-- before (the review edited, its rating changed, a reply added, edited or deleted). The
-- first version is the review as first read ('first_read': on the first night every
-- existing review is read, already in its then state). Never the texts: their hashes.
-- Incremental: a build recomputes the versions of the reviews it changed.
with observations as (
    select *
    from ({{ staged_reviews('review_observations') }}) as observed
    {{ changed_reviews_only() }}
),

versions as (
    select
        post_key,
        updated_at,
        any_value(location_id) as location_id,
        min(snapshot_date) as first_seen_night,
        max(snapshot_date) as last_seen_night,
        min_by(star_rating, snapshot_date) as star_rating,
        min_by(text_md5, snapshot_date) as text_md5,
        min_by(has_reply, snapshot_date) as has_reply,
        min_by(reply_updated_at, snapshot_date) as reply_updated_at,
        min_by(reply_md5, snapshot_date) as reply_md5,
        min_by(_source_file, snapshot_date) as _source_file,
        min_by(_source_sha256, snapshot_date) as _source_sha256,
        min_by(_run_id, snapshot_date) as _run_id
    from observations
    group by post_key, updated_at
),

ordered as (
    select
        *,
        row_number() over (partition by post_key order by updated_at, first_seen_night) as version_number,
        lag(star_rating) over (partition by post_key order by updated_at, first_seen_night) as previous_rating,
        lag(text_md5) over (partition by post_key order by updated_at, first_seen_night) as previous_text_md5,
        lag(reply_md5) over (partition by post_key order by updated_at, first_seen_night) as previous_reply_md5
    from versions
)

select
    post_key || '#' || version_number as version_key,
    post_key as review_key,
    version_number,
    location_id,
    updated_at,
    first_seen_night,
    last_seen_night,
    star_rating,
    has_reply,
    reply_updated_at,
    case when version_number = 1 then {{ list_of_non_null(["'first_read'"]) }}
        else {{ list_of_non_null([
            "case when text_md5 is distinct from previous_text_md5 then 'review_edited' end",
            "case when star_rating is distinct from previous_rating then 'rating_changed' end",
            "case when previous_reply_md5 is null and reply_md5 is not null then 'reply_added' end",
            "case when previous_reply_md5 is not null and reply_md5 is not null
                      and reply_md5 <> previous_reply_md5 then 'reply_edited' end",
            "case when previous_reply_md5 is not null and reply_md5 is null then 'reply_deleted' end"
        ]) }}
    end as changes,
    _source_file,
    _source_sha256,
    _run_id,
    {{ sql_string(build_id()) }} as _loaded_in_build
from ordered
