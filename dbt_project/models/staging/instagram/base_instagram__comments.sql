{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database: one row per comment on a media of our
    Instagram account per snapshot night, text verbatim (stg_instagram__comments redacts it).
    The media a comment belongs to is the one its page was requested for (`media_id` of the
    request's params). -#}
{%- set comment = json_document('comment') %}
with pages as (
    select * from {{ ref('src_instagram__pages') }}
    where endpoint = 'instagram.media.comments'
),

comments as (
    select
        pages.*,
        {{ json_str('pages.request_params', '$.media_id') }} as media_id,
        {{ json_unnest_indexed('pages.body', '$.data', '_item_index', 'comment') }}
    from pages
),

parsed as (
    select
        'instagram:comment:' || {{ json_str(comment, '$.id') }} as comment_key,
        {{ json_str(comment, '$.id') }} as native_comment_id,
        media_id,
        {{ json_str(comment, '$.from.id') }} as native_author_id,
        {{ json_str(comment, '$.from.username') }} as handle,
        {{ iso_to_utc(json_str(comment, '$.timestamp')) }} as published_at,
        coalesce({{ json_str(comment, '$.text') }}, '') as text,
        {{ json_int(comment, '$.like_count') }} as like_count,
        comments.shard_kind,
        comments.snapshot_date,
        comments._run_started_at,
        comments._item_index,
        {{ lineage_columns('comments') }}
    from {{ with_json_fields('comments', [comment]) }}
),

ranked as (
    select
        *,
        row_number() over (partition by comment_key, snapshot_date order by {{ latest_run_first() }}) as rank_in_night
    from parsed
    where native_comment_id is not null
)

select
    *,
    row_number() over (partition by comment_key order by {{ latest_first() }}) = 1 as is_latest
from ranked
where rank_in_night = 1
