{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    partition_by=build_partition(),
    pre_hook=['{{ delete_changed_posts() }}']
) }}
-- depends_on: {{ ref('stg_quarantine') }}
-- One row per (campaign, post) where a post or comment published inside the campaign window
-- carries one of the campaign's hashtags or says one of its keywords (whole words, any case),
-- with what fct_campaign_performance_daily sums: who posted it (the campaign brand's own
-- accounts, or users), its reach, engagements and adjusted sentiment.
-- Incremental: a build drops and recomputes the rows of the posts it changed (pre hook), so
-- each post's text is matched once, not once per night its campaign is recomputed. A change
-- of campaigns in the config changes the build fingerprint: a full refresh.
with campaigns as (
    select campaign_id, brand_id, start_date, end_date, hashtags, keywords
    from {{ ref('stg_config__campaigns') }}
),

posts as (
    select
        post_key, platform, published_date, is_owned, account_brand_id, text_hash, hashtags,
        engagements,
        coalesce(author_followers, 0) as reach,
        {{ words_padded('text_redacted') }} as text_words
    from {{ ref('int_posts_unified') }}
    where published_date between (select min(start_date) from campaigns) and (select max(end_date) from campaigns)
    {{ changed_posts_only(keyword='and') }}
),

keyword_terms as (
    select campaigns.campaign_id, keyword.term
    from campaigns
    cross join {{ list_elements('campaigns.keywords', 'keyword', 'term') }}
),

hashtag_terms as (
    select campaigns.campaign_id, tag.term
    from campaigns
    cross join {{ list_elements('campaigns.hashtags', 'tag', 'term') }}
),

matched as (
    select hashtag_terms.campaign_id, posts.post_key
    from hashtag_terms
    inner join posts on array_contains(posts.hashtags, hashtag_terms.term)
    union
    select keyword_terms.campaign_id, posts.post_key
    from keyword_terms
    inner join posts on contains(posts.text_words, {{ words_padded('keyword_terms.term') }})
)

select
    matched.campaign_id || ':' || matched.post_key as campaign_post_key,
    matched.campaign_id,
    matched.post_key,
    posts.published_date,
    posts.platform,
    coalesce(posts.account_brand_id = campaigns.brand_id, false) as is_campaign_brand_post,
    not coalesce(posts.is_owned, false)
        and posts.account_brand_id is distinct from campaigns.brand_id as is_user_generated,
    posts.reach,
    posts.engagements,
    sentiment.adjusted_compound,
    {{ sql_string(build_id()) }} as _loaded_in_build
from matched
inner join campaigns on campaigns.campaign_id = matched.campaign_id
inner join posts on posts.post_key = matched.post_key
left join {{ ref('int_sentiment_scores') }} as sentiment on sentiment.text_hash = posts.text_hash
where posts.published_date between campaigns.start_date and campaigns.end_date
