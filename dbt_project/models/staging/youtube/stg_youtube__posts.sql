{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per YouTube video (its latest snapshot): title and description redacted, channel
-- pseudonymised unless public. Videos whose text still shows an identifier after redaction
-- are not loaded (stg_quarantine).
with {{ privacy_screen_ctes('base_youtube__videos', ['title', 'text']) }},

authors as (
    select * from {{ ref('stg_youtube__authors') }}
),

run_followers as (
    {{ followers_in_run('base_youtube__author_observations') }}
),

mention_rows as (
    select
        screened.post_key,
        mentioned.handle,
        cast(null as string) as native_id,
        mentioned.handle as text_handle
    from screened
    cross join {{ unnest_rows(at_handles_in('screened.text_redacted_once')) }} as mentioned(handle)
),

mentioned as (
    {{ label_mentions('youtube', 'mention_rows') }}
),

loaded as (
    select
        screened.post_key,
        'youtube' as platform,
        screened.native_post_id,
        'https://www.youtube.com/watch?v=' || screened.native_post_id as post_url,
        screened.published_at,
        {{ author_key('youtube', 'screened.native_author_id') }} as author_key,
        authors.author_id,
        authors.author_handle,
        coalesce(authors.author_is_public, false) as author_is_public,
        run_followers.followers_count as author_followers_count,
        {{ mask_private_mentions('screened.title_redacted_once', 'mentioned.private_mentions') }} as title_redacted,
        {{ mask_private_mentions('screened.text_redacted_once', 'mentioned.private_mentions') }} as text_redacted,
        screened.lang,
        {{ hashtags_in('screened.text_redacted_once') }} as hashtags,
        coalesce(mentioned.mentioned_handles, {{ empty_string_list() }}) as mentioned_handles,
        screened.category_id,
        screened.duration_seconds,
        screened.content_type,
        screened.view_count,
        screened.like_count,
        screened.comment_count,
        screened.favorite_count,
        screened.snapshot_date,
        {{ lineage_columns('screened') }},
        {{ batch_columns('screened') }}
    from screened
    left join authors on authors.author_key = {{ author_key('youtube', 'screened.native_author_id') }}
    left join mentioned on mentioned.post_key = screened.post_key
    left join run_followers
        on run_followers.native_author_id = screened.native_author_id
        and run_followers._run_id = screened._run_id
)

{{ merge_latest('loaded', 'post_key', 'youtube', 'post', ref('stg_youtube__authors')) }}
