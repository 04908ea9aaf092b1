{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=['{{ forget_changed_posts() }}']
) }}
-- depends_on: {{ ref('stg_quarantine') }}
-- One row per mention x brand: a post or comment that matches a tracked brand
-- (int_mentions_matched), excluding posts by that brand's own accounts. Sentiment (stock and
-- healthcare-adjusted VADER), engagements and reach as of the post's latest snapshot.
-- Incremental: a build drops and recomputes the mentions of the posts it changed (a new
-- snapshot, a backfilled night, a post held back), whatever their dates (pre hook).
with matched as (
    select mention_key, post_key, brand_id, matched_on, matched_terms
    from {{ ref('int_mentions_matched') }}
    {{ changed_posts_only() }}
),

posts as (
    select *
    from {{ ref('int_posts_unified') }}
    {{ changed_posts_only() }}
),

sentiment as (
    select text_hash, lexicon_version, stock_compound, adjusted_compound, stock_label, adjusted_label
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
    sentiment.stock_compound,
    sentiment.stock_label,
    sentiment.adjusted_compound,
    sentiment.adjusted_label,
    sentiment.lexicon_version,
    coalesce(posts.engagements, 0) as engagements,
    -- reach: the author's followers (0 where the platform does not say, e.g. YouTube comments)
    coalesce(posts.author_followers, 0) as reach,
    posts.views,
    -- the author is an owned account of the organisation (mentioning a competitor or itself
    -- from another brand's perspective is still a mention of that other brand)
    posts.is_owned,
    posts.account_brand_id as author_brand_id,
    posts.snapshot_date,
    posts._source_file,
    posts._source_sha256,
    posts._run_id,
    {{ sql_string(build_id()) }} as _loaded_in_build
from matched
inner join posts on posts.post_key = matched.post_key
left join sentiment on sentiment.text_hash = posts.text_hash
-- a brand's own account posts are not mentions of that brand
where posts.account_brand_id is distinct from matched.brand_id
    -- a review naming a brand is not a social mention: reviews have their own marts
    -- (fct_reviews...), read for our own sites only, whose whole history would swamp the panel
    and posts.entity_type is distinct from 'review'
