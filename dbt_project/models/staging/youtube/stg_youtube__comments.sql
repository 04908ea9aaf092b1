{{ config(
    materialized='incremental',
    unique_key='comment_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per YouTube comment or reply on the organisation's videos (its latest snapshot),
-- text as plain text, redacted; commenter pseudonymised unless public. Comments whose text
-- still shows an identifier after redaction are not loaded (stg_quarantine).
with {{ privacy_screen_ctes('base_youtube__comments') }},

authors as (
    select * from {{ ref('stg_youtube__authors') }}
),

mention_rows as (
    select
        screened.comment_key as post_key,
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
        screened.comment_key,
        'youtube' as platform,
        screened.native_comment_id,
        'youtube:video:' || screened.video_id as video_post_key,
        case when screened.parent_comment_id is not null
             then 'youtube:comment:' || screened.parent_comment_id end as parent_comment_key,
        screened.parent_comment_id is not null as is_reply,
        'https://www.youtube.com/watch?v=' || screened.video_id || '&lc=' || screened.native_comment_id as comment_url,
        screened.published_at,
        screened.updated_at,
        {{ author_key('youtube', 'screened.native_author_id') }} as author_key,
        authors.author_id,
        authors.author_handle,
        coalesce(authors.author_is_public, false) as author_is_public,
        {{ mask_private_mentions('screened.text_redacted_once', 'mentioned.private_mentions') }} as text_redacted,
        {{ hashtags_in('screened.text_redacted_once') }} as hashtags,
        coalesce(mentioned.mentioned_handles, {{ empty_string_list() }}) as mentioned_handles,
        screened.like_count,
        screened.total_reply_count,
        screened.snapshot_date,
        {{ lineage_columns('screened') }},
        {{ batch_columns('screened') }}
    from screened
    left join authors on authors.author_key = {{ author_key('youtube', 'screened.native_author_id') }}
    left join mentioned on mentioned.post_key = screened.comment_key
)

{{ merge_latest('loaded', 'comment_key', 'youtube', 'comment', ref('stg_youtube__authors')) }}
