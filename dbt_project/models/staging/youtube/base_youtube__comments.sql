{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database (see the staging README): one row per
    YouTube comment per snapshot night from commentThreads.list (fetched for the organisation's
    own videos): each thread's top-level comment plus the replies the thread embeds. Text still
    verbatim (only in the build's scratch database; stg_youtube__comments redacts it).
    Deduplicated within each night; is_latest marks the copy kept. -#}
{%- set comment = json_document('comment') %}
with pages as (
    select * from {{ ref('src_youtube__pages') }}
    where endpoint = 'youtube.commentThreads.list'
),

threads as (
    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$.items', 'thread_index', 'thread') }}
    from pages
),

comments as (
    -- each thread's top-level comment, then the replies the thread embeds (a partial set)
    select
        _source_file, _source_sha256, _source_line, _run_id, _extracted_at, _run_started_at, snapshot_date, shard_kind,
        thread_index * 1000 as _item_index,
        {{ json_obj('thread', '$.snippet.topLevelComment') }} as comment,
        {{ json_int('thread', '$.snippet.totalReplyCount') }} as total_reply_count
    from threads

    union all

    select
        _source_file, _source_sha256, _source_line, _run_id, _extracted_at, _run_started_at, snapshot_date, shard_kind,
        thread_index * 1000 + reply_index + 1 as _item_index,
        comment,
        cast(null as bigint) as total_reply_count
    from (
        select
            threads.*,
            {{ json_unnest_indexed('threads.thread', '$.replies.comments', 'reply_index', 'comment') }}
        from threads
    ) as replies
),

parsed as (
    select
        'youtube:comment:' || {{ json_str(comment, '$.id') }} as comment_key,
        {{ json_str(comment, '$.id') }} as native_comment_id,
        {{ json_str(comment, '$.snippet.videoId') }} as video_id,
        {{ json_str(comment, '$.snippet.parentId') }} as parent_comment_id,
        {{ json_str(comment, '$.snippet.authorChannelId.value') }} as native_author_id,
        {{ iso_to_utc(json_str(comment, '$.snippet.publishedAt')) }} as published_at,
        {{ iso_to_utc(json_str(comment, '$.snippet.updatedAt')) }} as updated_at,
        -- textDisplay is HTML by default; textOriginal is only guaranteed to its author
        coalesce({{ html_to_text(json_str(comment, '$.snippet.textDisplay')) }},
                 {{ json_str(comment, '$.snippet.textOriginal') }}) as text,
        {{ json_int(comment, '$.snippet.likeCount') }} as like_count,
        total_reply_count,
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
