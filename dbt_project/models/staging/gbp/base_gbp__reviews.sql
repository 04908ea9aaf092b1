{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database (see the staging README): one row per
    Google review per snapshot night (the night's latest run), typed, texts verbatim (never
    stored; stg_gbp__reviews redacts them). The owner reply is screened here, against the
    reviewer's display name that only this scratch table holds (transform/reply_screening.py).
    is_latest marks the copy stg_gbp__reviews keeps. -#}
{%- set review = json_document('review') %}
with pages as (
    select * from {{ ref('src_gbp__pages') }}
    where endpoint = 'gbp.reviews.list'
),

listed as (
    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$.reviews', '_item_index', 'review') }}
    from pages
),

parsed as (
    select
        'gbp:review:' || {{ json_str(review, '$.reviewId') }} as post_key,
        {{ json_str(review, '$.reviewId') }} as native_review_id,
        {{ json_str(review, '$.name') }} as review_name,
        listed.shard_key as location_id,
        {{ json_str(review, '$.reviewer.displayName') }} as reviewer_display_name,
        {{ json_str(review, '$.reviewer.profilePhotoUrl') }} as reviewer_photo_url,
        coalesce({{ json_bool(review, '$.reviewer.isAnonymous') }}, false) as is_anonymous,
        {{ json_str(review, '$.starRating') }} as star_rating_enum,
        {{ json_str(review, '$.comment') }} as comment,
        {{ iso_to_utc(json_str(review, '$.createTime')) }} as created_at,
        {{ iso_to_utc(json_str(review, '$.updateTime')) }} as updated_at,
        {{ json_str(review, '$.reviewReply.comment') }} as reply_comment,
        {{ iso_to_utc(json_str(review, '$.reviewReply.updateTime')) }} as reply_updated_at,
        listed.shard_kind,
        listed.snapshot_date,
        listed._run_started_at,
        listed._item_index,
        {{ lineage_columns('listed') }}
    from {{ with_json_fields('listed', [review]) }}
),

ranked as (
    select
        *,
        row_number() over (partition by post_key, snapshot_date order by {{ latest_run_first() }}) as rank_in_night
    from parsed
    where native_review_id is not null
)

select
    * except (rank_in_night),
    -- ONE..FIVE; STAR_RATING_UNSPECIFIED (or anything else) is no rating
    case star_rating_enum when 'ONE' then 1 when 'TWO' then 2 when 'THREE' then 3
        when 'FOUR' then 4 when 'FIVE' then 5 end as star_rating,
    -- a rating-only review has no comment: its text is empty, not missing
    coalesce(comment, '') as text,
    reply_comment is not null as has_reply,
    reply_phi_flags(reply_comment, reviewer_display_name) as reply_flags_raw,
    row_number() over (partition by post_key order by {{ latest_first() }}) = 1 as is_latest
from ranked
where rank_in_night = 1
