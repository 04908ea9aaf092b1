{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per Bluesky post (its latest snapshot), text redacted, author pseudonymised unless
-- public. Posts whose text still shows an identifier after redaction are not loaded
-- (stg_quarantine).
with {{ privacy_screen_ctes('base_bluesky__posts') }},

authors as (
    select * from {{ ref('stg_bluesky__authors') }}
),

run_followers as (
    {{ followers_in_run('base_bluesky__author_observations') }}
),

mention_rows as (
    -- mention facets carry only DIDs; the handles are read from the (redacted) text
    select
        screened.post_key,
        mentioned.handle,
        cast(null as string) as native_id,
        mentioned.handle as text_handle
    from screened
    cross join {{ unnest_rows(at_handles_in('screened.text_redacted_once')) }} as mentioned(handle)
),

mentioned as (
    {{ label_mentions('bluesky', 'mention_rows') }}
),

loaded as (
    select
        screened.post_key,
        'bluesky' as platform,
        -- the public at-uri only for public authors (it names the author's DID)
        case when authors.author_is_public then screened.at_uri
             else substr(screened.post_key, length('bluesky:post:') + 1) end as native_post_id,
        case when authors.author_is_public
             then 'https://bsky.app/profile/' || authors.author_handle || '/post/' || screened.rkey end as post_url,
        screened.published_at,
        screened.created_at_claimed,
        {{ author_key('bluesky', 'screened.native_author_id') }} as author_key,
        authors.author_id,
        authors.author_handle,
        coalesce(authors.author_is_public, false) as author_is_public,
        run_followers.followers_count as author_followers_count,
        {{ mask_private_mentions('screened.text_redacted_once', 'mentioned.private_mentions') }} as text_redacted,
        screened.lang,
        screened.hashtags,
        coalesce(mentioned.mentioned_handles, {{ empty_string_list() }}) as mentioned_handles,
        screened.in_reply_to_post_key,
        screened.content_type,
        screened.like_count,
        screened.repost_count,
        screened.reply_count,
        screened.quote_count,
        screened.bookmark_count,
        screened.snapshot_date,
        {{ lineage_columns('screened') }},
        {{ batch_columns('screened') }}
    from screened
    left join authors on authors.author_key = {{ author_key('bluesky', 'screened.native_author_id') }}
    left join mentioned on mentioned.post_key = screened.post_key
    left join run_followers
        on run_followers.native_author_id = screened.native_author_id
        and run_followers._run_id = screened._run_id
)

{{ merge_latest('loaded', 'post_key', 'bluesky', 'post', ref('stg_bluesky__authors')) }}
