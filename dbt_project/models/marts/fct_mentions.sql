{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=['{{ delete_changed_posts() }}', '{{ forget_rescreened_post_rows() }}'],
    partition_by=('mention_date' if target.type == 'spark' else none)
) }}
-- depends_on: {{ ref('stg_quarantine') }}
-- One row per mention x brand: a post or comment that matches a tracked brand
-- (int_mentions_matched), excluding posts by that brand's own accounts. Sentiment (stock and
-- healthcare-adjusted VADER), engagements and reach as of the post's latest snapshot.
-- Incremental: a build drops and recomputes the mentions of the posts it changed (a new
-- snapshot, a backfilled night, a post held back), whatever their dates (pre hook), and the
-- mentions of older posts whose screening verdict this build changed (int_post_screening).
-- Excluded mentions (copy-paste copies, bot accounts) stay here with their reason; the share
-- of voice and sentiment marts count the kept ones.
with matched as (
    select mention_key, post_key, brand_id, matched_on, matched_terms
    from {{ ref('int_mentions_matched') }}
    {{ changed_posts_only() }} {{ or_rescreened() }}
),

posts as (
    select *
    from {{ ref('int_posts_unified') }}
    {{ changed_posts_only() }} {{ or_rescreened() }}
),

screening as (
    select post_key, is_excluded, exclusion_reason, copy_of
    from {{ ref('int_post_screening') }}
),

sentiment as (
    select text_hash, lexicon_version, stock_compound, adjusted_compound, stock_label, adjusted_label,
           language, not_scored_reason
    from {{ ref('int_sentiment_scores') }}
)

select
    matched.mention_key,
    matched.post_key,
    matched.brand_id,
    coalesce(posts.platform, 'unknown') as platform,
    coalesce(posts.published_date, cast('1900-01-01' as date)) as mention_date,
    posts.published_at,
    coalesce(posts.author_key, 'unknown') as author_key,
    posts.entity_type,
    matched.matched_on,
    matched.matched_terms,
    posts.content_type,
    posts.text_hash,
    sentiment.stock_compound,
    sentiment.stock_label,
    sentiment.adjusted_compound,
    sentiment.adjusted_label,
    sentiment.lexicon_version,
    -- the text's language; VADER scores English (and emoji-only) texts, the others are
    -- not_scored and stay out of net sentiment
    coalesce(sentiment.language, 'und') as language,
    sentiment.not_scored_reason,
    coalesce(posts.engagements, 0) as engagements,
    -- reach: the author's followers (0 where the platform does not say, e.g. YouTube comments)
    coalesce(posts.author_followers, 0) as reach,
    posts.views,
    -- the author is an owned account of the organisation (mentioning a competitor or itself
    -- from another brand's perspective is still a mention of that other brand)
    posts.is_owned,
    posts.account_brand_id as author_brand_id,
    -- not an independent voice: a later copy in a copy-paste burst, or a bot account's post
    coalesce(screening.is_excluded, false) as is_excluded,
    screening.exclusion_reason,
    screening.copy_of,
    posts.snapshot_date,
    posts._source_file,
    posts._source_sha256,
    posts._run_id,
    {{ sql_string(build_id()) }} as _loaded_in_build
from matched
inner join posts on posts.post_key = matched.post_key
left join sentiment on sentiment.text_hash = posts.text_hash
left join screening on screening.post_key = posts.post_key
-- a brand's own account posts are not mentions of that brand
where posts.account_brand_id is distinct from matched.brand_id
    -- a review naming a brand is not a social mention: reviews have their own marts
    -- (fct_reviews...), read for our own sites only, whose whole history would swamp the panel
    and posts.entity_type is distinct from 'review'
