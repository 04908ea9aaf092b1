{{ config(
    materialized='incremental',
    unique_key='comment_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per comment or reply on a post of our Facebook Page (its latest snapshot), text
-- redacted, the names of the post's commenters removed (a reply greets people by name),
-- commenter pseudonymised unless public. Comments whose text still shows an identifier after
-- redaction are not loaded (stg_quarantine).
with {{ privacy_screen_ctes('base_facebook__comments') }},

authors as (
    select * from {{ ref('stg_facebook__authors') }}
),

loaded as (
    select
        screened.comment_key,
        'facebook' as platform,
        screened.native_comment_id,
        'facebook:post:' || screened.post_id as post_key_commented,
        case when screened.parent_comment_id is not null
             then 'facebook:comment:' || screened.parent_comment_id end as parent_comment_key,
        screened.parent_comment_id is not null as is_reply,
        'https://www.facebook.com/' || screened.native_comment_id as comment_url,
        screened.published_at,
        {{ author_key('facebook', 'screened.native_author_id') }} as author_key,
        authors.author_id,
        authors.author_handle,
        coalesce(authors.author_is_public, false) as author_is_public,
        screened.text_redacted_once as text_redacted,
        {{ hashtags_in('screened.text_redacted_once') }} as hashtags,
        {{ empty_string_list() }} as mentioned_handles,
        screened.like_count,
        screened.reply_count,
        screened.snapshot_date,
        {{ lineage_columns('screened') }},
        {{ batch_columns('screened') }}
    from screened
    left join authors on authors.author_key = {{ author_key('facebook', 'screened.native_author_id') }}
)

{{ merge_latest('loaded', 'comment_key', 'facebook', 'comment', ref('stg_facebook__authors')) }}
