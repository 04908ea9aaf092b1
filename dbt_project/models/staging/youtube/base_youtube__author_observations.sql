{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database (see the staging README): one row per
    sighting of a YouTube channel: channels.list items (handle, title, subscriber count) and
    comment authors (channel id and handle only). stg_youtube__authors keeps the latest and
    applies the privacy rule. YouTube has no verified flag in the Data API. -#}
{%- set channel = json_document('channel') %}
with pages as (
    select * from {{ ref('src_youtube__pages') }}
),

channels as (
    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$.items', '_item_index', 'channel') }}
    from pages
    where pages.endpoint = 'youtube.channels.list'
),

threads as (
    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$.items', 'thread_index', 'thread') }}
    from pages
    where pages.endpoint = 'youtube.commentThreads.list'
),

comments as (
    -- each thread's top-level comment, then the replies the thread embeds (a partial set)
    select
        _source_file, _source_sha256, _source_line, _run_id, _extracted_at, _run_started_at, snapshot_date, shard_kind,
        thread_index * 1000 as _item_index,
        {{ json_obj('thread', '$.snippet.topLevelComment') }} as comment
    from threads

    union all

    select
        _source_file, _source_sha256, _source_line, _run_id, _extracted_at, _run_started_at, snapshot_date, shard_kind,
        thread_index * 1000 + reply_index + 1 as _item_index,
        comment
    from (
        select
            threads.*,
            {{ json_unnest_indexed('threads.thread', '$.replies.comments', 'reply_index', 'comment') }}
        from threads
    ) as replies
)

select
    {{ json_str(channel, '$.id') }} as native_author_id,
    -- customUrl is the channel's @handle
    {{ json_str(channel, '$.snippet.customUrl') }} as handle,
    {{ decode_html_entities(json_str(channel, '$.snippet.title')) }} as display_name,
    {{ json_str(channel, '$.snippet.description') }} as description,
    -- absent when the channel hides its subscriber count (rounded to 3 significant figures)
    {{ json_int(channel, '$.statistics.subscriberCount') }} as followers_count,
    cast(null as bigint) as following_count,
    {{ json_int(channel, '$.statistics.videoCount') }} as post_count,
    cast(null as boolean) as verified,
    cast(null as string) as verified_type,
    {{ iso_to_utc(json_str(channel, '$.snippet.publishedAt')) }} as account_created_at,
    snapshot_date,
    _run_started_at,
    _item_index,
    {{ lineage_columns() }}
from {{ with_json_fields('channels', [channel]) }}

union all

select
    {{ json_str('comment', '$.snippet.authorChannelId.value') }} as native_author_id,
    -- authorDisplayName is the commenter's @handle
    {{ json_str('comment', '$.snippet.authorDisplayName') }} as handle,
    cast(null as string) as display_name,
    cast(null as string) as description,
    cast(null as bigint) as followers_count,
    cast(null as bigint) as following_count,
    cast(null as bigint) as post_count,
    cast(null as boolean) as verified,
    cast(null as string) as verified_type,
    cast(null as timestamp) as account_created_at,
    snapshot_date,
    _run_started_at,
    _item_index,
    {{ lineage_columns() }}
from comments
