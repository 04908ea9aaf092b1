{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=['{{ forget_changed_reviews() }}']
) }}
-- depends_on: {{ review_inputs() }}
-- One row per review of one of our locations, its current state (the latest read): rating,
-- redacted text and reply, the reviewer's pseudonym, healthcare-adjusted sentiment (scored
-- like every post's), and how many versions of it were read (fct_review_versions has them).
-- Reviews the privacy screen held back are not here. Incremental: a build recomputes the reviews it changed.
with reviews as (
    select * from ({{ staged_reviews('reviews') }}) as staged
    {{ changed_reviews_only() }}
),

observed as (
    -- the nights of its versions (fct_review_versions, rebuilt for the same reviews first)
    select
        review_key as post_key,
        min(first_seen_night) as first_seen_night,
        max(last_seen_night) as last_seen_night,
        count(*) as version_count
    from {{ ref('fct_review_versions') }}
    {{ changed_reviews_only('review_key') }}
    group by review_key
),

sentiment as (
    -- the review's text scored like every post's (int_sentiment_scores, keyed by text hash)
    select posts.post_key, scores.adjusted_compound, scores.adjusted_label
    from {{ ref('int_posts_unified') }} as posts
    inner join {{ ref('int_sentiment_scores') }} as scores on scores.text_hash = posts.text_hash
    where posts.entity_type = 'review'
    {{ changed_reviews_only('posts.post_key', keyword='and') }}
)

select
    reviews.post_key as review_key,
    reviews.platform,
    reviews.native_post_id as native_review_id,
    reviews.location_id,
    reviews.brand_id,
    reviews.published_at as created_at,
    reviews.updated_at,
    cast(reviews.published_at as date) as created_date,
    reviews.star_rating,
    reviews.has_comment,
    case when reviews.has_comment then reviews.text_redacted end as review_text,
    reviews.author_key as reviewer,
    reviews.is_anonymous,
    -- a rating-only review has no text to score
    case when reviews.has_comment then sentiment.adjusted_compound end as sentiment_compound,
    case when reviews.has_comment then sentiment.adjusted_label end as sentiment_label,
    reviews.has_reply,
    reviews.reply_text_redacted as reply_text,
    observed.first_seen_night,
    observed.last_seen_night,
    cast(observed.version_count as integer) as version_count,
    reviews.snapshot_date,
    reviews._source_file,
    reviews._source_sha256,
    reviews._run_id,
    {{ sql_string(build_id()) }} as _loaded_in_build
from reviews
inner join observed on observed.post_key = reviews.post_key
left join sentiment on sentiment.post_key = reviews.post_key
