{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per Mastodon status (its latest snapshot), HTML content as plain text, redacted;
-- author pseudonymised unless public. Statuses whose text still shows an identifier after
-- redaction are not loaded (stg_quarantine). Boosts are not statuses of their own.
with {{ privacy_screen_ctes('base_mastodon__posts') }},

authors as (
    select * from {{ ref('stg_mastodon__authors') }}
),

mention_rows as (
    select
        screened.post_key,
        mention.m.acct as handle,
        mention.m.id as native_id,
        -- the text shows @username; remote accounts' domain is only in acct
        {{ dbt.split_part('mention.m.acct', "'@'", 1) }} as text_handle
    from screened
    cross join {{ unnest_rows('screened.mentions') }} as mention(m)
),

mentioned as (
    {{ label_mentions('mastodon', 'mention_rows') }}
),

loaded as (
    select
        screened.post_key,
        'mastodon' as platform,
        screened.native_post_id,
        -- status URLs spell out the username: kept for public accounts only
        case when authors.author_is_public then screened.status_url end as post_url,
        screened.published_at,
        screened.edited_at,
        {{ author_key('mastodon', 'screened.native_author_id') }} as author_key,
        authors.author_id,
        authors.author_handle,
        coalesce(authors.author_is_public, false) as author_is_public,
        screened.author_followers_count,
        {{ mask_private_mentions('screened.text_redacted_once', 'mentioned.private_mentions') }} as text_redacted,
        screened.lang,
        screened.visibility,
        screened.is_sensitive,
        screened.hashtags,
        coalesce(mentioned.mentioned_handles, {{ empty_string_list() }}) as mentioned_handles,
        case when screened.in_reply_to_status_id is not null
             then 'mastodon:status:' || screened.in_reply_to_status_id end as in_reply_to_post_key,
        screened.content_type,
        screened.favourites_count,
        screened.reblogs_count,
        screened.replies_count,
        screened.quotes_count,
        screened.snapshot_date,
        {{ lineage_columns('screened') }},
        {{ batch_columns('screened') }}
    from screened
    left join authors on authors.author_key = {{ author_key('mastodon', 'screened.native_author_id') }}
    left join mentioned on mentioned.post_key = screened.post_key
)

{{ merge_latest('loaded', 'post_key', 'mastodon', 'post', ref('stg_mastodon__authors')) }}
