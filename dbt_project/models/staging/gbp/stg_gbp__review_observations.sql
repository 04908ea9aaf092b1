{{ config(
    materialized='incremental',
    unique_key='observation_key',
    incremental_strategy='delete+insert',
    partition_by=partition_on('snapshot_date'),
    on_schema_change='fail'
) }}
-- One row per Google review per night it was read (the night's latest run): its state then,
-- as numbers, times and hashes of the redacted texts (never the text). A review is read on
-- the nights it changed (an edit, a reply added, edited or deleted all move its updateTime)
-- and while it is among the newest re-read every night; fct_review_versions and
-- fct_review_replies are built from these. Also the reviews the privacy screen held back.
-- Incremental: a batch copy replaces the stored one of the same night only when it is later.
select
    observations.post_key || '@' || cast(observations.snapshot_date as string) as observation_key,
    observations.post_key,
    observations.location_id,
    observations.snapshot_date,
    observations.created_at,
    observations.updated_at,
    observations.star_rating,
    md5({{ redact('observations.text') }}) as text_md5,
    observations.has_reply,
    observations.reply_updated_at,
    case when observations.has_reply then md5({{ redact('observations.reply_comment') }}) end as reply_md5,
    case when observations.reply_flags_raw is not null then {{ list_len('observations.reply_flags_raw') }} end
        as reply_flag_count,
    {{ lineage_columns('observations') }},
    {{ batch_columns('observations') }}
from {{ ref('base_gbp__reviews') }} as observations
{{ later_than_stored('observations', ['post_key', 'snapshot_date']) }}
