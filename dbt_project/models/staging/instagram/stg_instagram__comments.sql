{{ config(
    materialized='incremental',
    unique_key='comment_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per comment on a media of our Instagram account (its latest snapshot), text
-- redacted, private @handles pseudonymised, commenter pseudonymised unless public. Comments
-- whose text still shows an identifier after redaction are not loaded (stg_quarantine).
with {{ privacy_screen_ctes('base_instagram__comments') }},

authors as (
    select * from {{ ref('stg_instagram__authors') }}
),

mention_rows as (
    select screened.comment_key as post_key, mentioned.handle, cast(null as string) as native_id,
           mentioned.handle as text_handle
    from screened
    cross join {{ unnest_rows(at_handles_in('screened.text_redacted_once')) }} as mentioned(handle)
),

mentioned as (
    {{ label_mentions('instagram', 'mention_rows') }}
),

loaded as (
    select
        screened.comment_key,
        'instagram' as platform,
        screened.native_comment_id,
        'instagram:media:' || screened.media_id as media_post_key,
        cast(null as string) as comment_url,  -- a comment has no permalink of its own
        screened.published_at,
        {{ author_key('instagram', 'screened.native_author_id') }} as author_key,
        authors.author_id,
        authors.author_handle,
        coalesce(authors.author_is_public, false) as author_is_public,
        {{ mask_private_mentions('screened.text_redacted_once', 'mentioned.private_mentions') }} as text_redacted,
        {{ hashtags_in('screened.text_redacted_once') }} as hashtags,
        coalesce(mentioned.mentioned_handles, {{ empty_string_list() }}) as mentioned_handles,
        screened.like_count,
        screened.snapshot_date,
        {{ lineage_columns('screened') }},
        {{ batch_columns('screened') }}
    from screened
    left join authors on authors.author_key = {{ author_key('instagram', 'screened.native_author_id') }}
    left join mentioned on mentioned.post_key = screened.comment_key
)

{{ merge_latest('loaded', 'comment_key', 'instagram', 'comment', ref('stg_instagram__authors')) }}
