{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per Google review of our locations (its latest copy): review and reply text
-- redacted (the reviewer's name as well as identifiers), the reviewer pseudonymised (never named: reviewers are private persons), the
-- reply's PHI-risk flags (screened on the verbatim reply, reasons redacted like the text).
-- A review whose text or reply still shows an identifier after redaction is not loaded
-- (stg_quarantine).
with latest as (
    select * from {{ ref('base_gbp__reviews') }}
    where is_latest
),

redacted as {{ materialized_cte() }} (
    select
        *,
        -- the reviewer's name first (only this review knows it), then identifiers
        {{ redact("without_reviewer_name(text, reviewer_display_name)") }} as text_redacted_once,
        {{ redact("without_reviewer_name(reply_comment, reviewer_display_name)") }} as reply_redacted_once
    from latest
),

screened as (
    select *
    from redacted
    where not coalesce(phi_residue(text_redacted_once), false)
      and not coalesce(phi_residue(reply_redacted_once), false)
),

locations as (
    select location_id, brand_id from {{ ref('stg_config__locations') }}
),

loaded as (
    select
        screened.post_key,
        'gbp' as platform,
        screened.native_review_id as native_post_id,
        screened.location_id,
        locations.brand_id,
        cast(null as string) as post_url,
        screened.created_at as published_at,
        screened.updated_at,
        -- the reviewer as a pseudonym: Google gives no reviewer id, so the profile photo URL
        -- (unique per account) or, without one, the name within the location
        case when not screened.is_anonymous then {{ author_key('gbp',
            "coalesce(screened.reviewer_photo_url, screened.location_id || ':' || screened.reviewer_display_name)") }}
        end as author_key,
        cast(null as string) as author_handle,
        false as author_is_public,
        cast(null as bigint) as author_followers_count,
        screened.is_anonymous,
        screened.star_rating,
        screened.star_rating_enum,
        screened.comment is not null as has_comment,
        screened.text_redacted_once as text_redacted,
        cast(null as string) as lang,
        {{ empty_string_list() }} as hashtags,
        {{ empty_string_list() }} as mentioned_handles,
        'review' as content_type,
        screened.has_reply,
        screened.reply_redacted_once as reply_text_redacted,
        screened.reply_updated_at,
        {{ redact_each('screened.reply_flags_raw') }} as reply_phi_flags,
        screened.snapshot_date,
        {{ lineage_columns('screened') }},
        {{ batch_columns('screened') }}
    from screened
    left join locations on locations.location_id = screened.location_id
)

{{ merge_latest('loaded', 'post_key', 'gbp', 'review') }}
