{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database (see the staging README): one row per
    YouTube video per snapshot night from videos.list (search.list only names ids), parsed and
    typed, text still verbatim (never stored; stg_youtube__posts redacts it). Deduplicated
    within each night to the latest run; is_latest marks the copy stg_youtube__posts keeps. -#}
{%- set video = json_document('video') %}
with pages as (
    select * from {{ ref('src_youtube__pages') }}
    where endpoint = 'youtube.videos.list'
),

videos as (
    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$.items', '_item_index', 'video') }}
    from pages
),

parsed as (
    select
        'youtube:video:' || {{ json_str(video, '$.id') }} as post_key,
        {{ json_str(video, '$.id') }} as native_post_id,
        {{ json_str(video, '$.snippet.channelId') }} as native_author_id,
        {{ iso_to_utc(json_str(video, '$.snippet.publishedAt')) }} as published_at,
        -- titles can arrive entity-escaped (search.list always, videos.list rarely)
        {{ decode_html_entities(json_str(video, '$.snippet.title')) }} as title,
        {{ json_str(video, '$.snippet.description') }} as description,
        {{ normalize_lang("coalesce(" ~ json_str(video, '$.snippet.defaultLanguage') ~ ", "
                          ~ json_str(video, '$.snippet.defaultAudioLanguage') ~ ")") }} as lang,
        {{ json_str(video, '$.snippet.categoryId') }} as category_id,
        {{ json_str(video, '$.snippet.liveBroadcastContent') }} as live_broadcast_content,
        {{ json_str(video, '$.contentDetails.duration') }} as duration_iso,
        {{ iso_duration_seconds(json_str(video, '$.contentDetails.duration')) }} as duration_seconds,
        -- statistics are strings (uint64); likeCount is absent when likes are hidden,
        -- commentCount when comments are off
        {{ json_int(video, '$.statistics.viewCount') }} as view_count,
        {{ json_int(video, '$.statistics.likeCount') }} as like_count,
        {{ json_int(video, '$.statistics.commentCount') }} as comment_count,
        {{ json_int(video, '$.statistics.favoriteCount') }} as favorite_count,
        videos.shard_kind,
        videos.snapshot_date,
        videos._run_started_at,
        videos._item_index,
        {{ lineage_columns('videos') }}
    from {{ with_json_fields('videos', [video]) }}
),

ranked as (
    select
        *,
        row_number() over (partition by post_key, snapshot_date order by {{ latest_run_first() }}) as rank_in_night
    from parsed
    where native_post_id is not null
)

select
    *,
    title || case when coalesce(description, '') <> '' then chr(10) || chr(10) || description else '' end as text,
    -- YouTube Shorts are vertical videos under a minute
    case when duration_seconds < 60 then 'short' else 'video' end as content_type,
    row_number() over (partition by post_key order by {{ latest_first() }}) = 1 as is_latest
from ranked
where rank_in_night = 1
