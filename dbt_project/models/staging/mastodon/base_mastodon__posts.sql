{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database (see the staging README): one row per status
    per snapshot night, parsed and typed, text still verbatim (only in the build's scratch
    database; stg_mastodon__posts redacts it). Deduplicated within each night to the latest run;
    is_latest marks the copy stg_mastodon__posts keeps. -#}
{%- set status = json_document('status', ['$.reblog.id']) %}
with pages as (
    select * from {{ ref('src_mastodon__pages') }}
),

statuses as (
    -- v2 search wraps statuses in {"statuses": [...]}; timelines and account statuses are arrays
    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$.statuses', '_item_index', 'status') }}
    from pages
    where pages.endpoint = 'mastodon.search'

    union all

    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$', '_item_index', 'status') }}
    from pages
    where pages.endpoint in ('mastodon.timelines.tag', 'mastodon.accounts.statuses')
),

parsed as (
    select
        'mastodon:status:' || {{ json_str(status, '$.id') }} as post_key,
        {{ json_str(status, '$.id') }} as native_post_id,
        {{ json_str(status, '$.account.id') }} as native_author_id,
        {{ json_str(status, '$.url') }} as status_url,
        {{ iso_to_utc(json_str(status, '$.created_at')) }} as published_at,
        {{ iso_to_utc(json_str(status, '$.edited_at')) }} as edited_at,
        -- the content warning (spoiler_text) is part of what the author wrote
        trim(
            coalesce(nullif({{ json_str(status, '$.spoiler_text') }}, '') || chr(10) || chr(10), '')
            || coalesce({{ html_to_text(json_str(status, '$.content')) }}, '')
        ) as text,
        {{ normalize_lang(json_str(status, '$.language')) }} as lang,
        {{ json_str(status, '$.visibility') }} as visibility,
        {{ json_bool(status, '$.sensitive') }} as is_sensitive,
        {{ json_str(status, '$.in_reply_to_id') }} as in_reply_to_status_id,
        {{ list_clean(list_lower(json_str_list(status, '$.tags[*].name'))) }} as hashtags,
        {{ json_records(status, '$.mentions', {'acct': 'VARCHAR', 'id': 'VARCHAR'}) }} as mentions,
        {{ json_str_list(status, '$.media_attachments[*].type') }} as media_types,
        {{ json_str(status, '$.card.url') }} as card_url,
        {{ json_int(status, '$.favourites_count') }} as favourites_count,
        {{ json_int(status, '$.reblogs_count') }} as reblogs_count,
        {{ json_int(status, '$.replies_count') }} as replies_count,
        {{ json_int(status, '$.quotes_count') }} as quotes_count,
        {{ json_int(status, '$.account.followers_count') }} as author_followers_count,
        statuses.shard_kind,
        statuses.snapshot_date,
        statuses._run_started_at,
        statuses._item_index,
        {{ lineage_columns('statuses') }}
    from {{ with_json_fields('statuses', [status]) }}
    -- a boost is a wrapper around someone else's status, not content of its own
    where {{ json_str(status, '$.reblog.id') }} is null
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
    case
        when {{ list_count_prefix('media_types', 'video') }} + {{ list_count_prefix('media_types', 'gifv') }}
             + {{ list_count_prefix('media_types', 'audio') }} > 0 then 'video'
        when {{ list_count_prefix('media_types', 'image') }} > 1 then 'carousel'
        when {{ list_count_prefix('media_types', 'image') }} = 1 then 'image'
        when card_url is not null then 'link'
        else 'text'
    end as content_type,
    row_number() over (partition by post_key order by {{ latest_first() }}) = 1 as is_latest
from ranked
where rank_in_night = 1
