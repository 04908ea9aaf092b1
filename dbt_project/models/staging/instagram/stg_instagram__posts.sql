{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per media of our Instagram account or by someone tagging it (its latest snapshot),
-- caption redacted, author pseudonymised unless public (our account is). Media whose caption
-- still shows an identifier after redaction are not loaded (stg_quarantine).
with {{ privacy_screen_ctes('base_instagram__media') }},

authors as (
    select * from {{ ref('stg_instagram__authors') }}
),

our_account as (
    select handle_normalized from {{ ref('stg_config__accounts') }}
    where platform = 'instagram' and is_owned
),

mention_rows as (
    select screened.post_key, mentioned.handle, cast(null as string) as native_id, mentioned.handle as text_handle
    from screened
    cross join {{ unnest_rows(at_handles_in('screened.text_redacted_once')) }} as mentioned(handle)

    union all

    -- our account for every media read from its /tags edge (a photo tag is not in the caption)
    select screened.post_key, our_account.handle_normalized, our_account.handle_normalized, cast(null as string)
    from screened
    cross join our_account
    where screened.is_tagged
),

mentioned as (
    {{ label_mentions('instagram', 'mention_rows') }}
),

loaded as (
    select
        screened.post_key,
        'instagram' as platform,
        screened.native_post_id,
        screened.permalink as post_url,  -- /p/<shortcode>/ or /reel/<shortcode>/: no username
        screened.published_at,
        {{ author_key('instagram', 'screened.native_author_id') }} as author_key,
        authors.author_id,
        authors.author_handle,
        coalesce(authors.author_is_public, false) as author_is_public,
        cast(null as bigint) as author_followers_count,  -- none with a media
        {{ mask_private_mentions('screened.text_redacted_once', 'mentioned.private_mentions') }} as text_redacted,
        cast(null as string) as lang,
        {{ hashtags_in('screened.text_redacted_once') }} as hashtags,
        coalesce(mentioned.mentioned_handles, {{ empty_string_list() }}) as mentioned_handles,
        screened.is_tagged,
        screened.media_type,
        screened.media_product_type,
        screened.content_type,
        screened.like_count,
        screened.comment_count,
        screened.snapshot_date,
        {{ lineage_columns('screened') }},
        {{ batch_columns('screened') }}
    from screened
    left join authors on authors.author_key = {{ author_key('instagram', 'screened.native_author_id') }}
    left join mentioned on mentioned.post_key = screened.post_key
)

{{ merge_latest('loaded', 'post_key', 'instagram', 'post', ref('stg_instagram__authors')) }}
