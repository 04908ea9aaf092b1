{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per tweet (its latest snapshot), text redacted, author pseudonymised unless public.
-- Tweets whose text still shows an identifier after redaction are not loaded (stg_quarantine).
with {{ privacy_screen_ctes('base_x__posts') }},

authors as (
    select * from {{ ref('stg_x__authors') }}
),

mention_rows as (
    select
        screened.post_key,
        mention.m.username as handle,
        mention.m.id as native_id,
        mention.m.username as text_handle
    from screened
    cross join {{ unnest_rows('screened.mentions') }} as mention(m)
),

mentioned as (
    {{ label_mentions('x', 'mention_rows') }}
),

loaded as (
    select
        screened.post_key,
        'x' as platform,
        screened.native_post_id,
        -- the handle-free permalink form, so a private author's handle is not spelled out
        'https://x.com/i/web/status/' || screened.native_post_id as post_url,
        screened.published_at,
        {{ author_key('x', 'screened.native_author_id') }} as author_key,
        authors.author_id,
        authors.author_handle,
        coalesce(authors.author_is_public, false) as author_is_public,
        screened.author_followers_count,
        {{ mask_private_mentions('screened.text_redacted_once', 'mentioned.private_mentions') }} as text_redacted,
        screened.lang,
        screened.hashtags,
        coalesce(mentioned.mentioned_handles, {{ empty_string_list() }}) as mentioned_handles,
        screened.conversation_id,
        case when screened.replied_to_tweet_id is not null then 'x:tweet:' || screened.replied_to_tweet_id end
            as in_reply_to_post_key,
        case when screened.quoted_tweet_id is not null then 'x:tweet:' || screened.quoted_tweet_id end
            as quoted_post_key,
        screened.content_type,
        screened.like_count,
        screened.retweet_count,
        screened.reply_count,
        screened.quote_count,
        screened.bookmark_count,
        screened.impression_count,
        screened.snapshot_date,
        {{ lineage_columns('screened') }},
        {{ batch_columns('screened') }}
    from screened
    left join authors on authors.author_key = {{ author_key('x', 'screened.native_author_id') }}
    left join mentioned on mentioned.post_key = screened.post_key
)

{{ merge_latest('loaded', 'post_key', 'x', 'post', ref('stg_x__authors')) }}
