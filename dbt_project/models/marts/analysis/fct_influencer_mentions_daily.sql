{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=['{{ forget_influencer_days() }}']
) }}
-- One row per public author x brand x day on which the author mentioned the brand: mentions,
-- engagements, reach and adjusted sentiment of those mentions, with the author's follower
-- tier (config analysis.*_influencer_followers), clinician flag and influence score.
-- Only public accounts (verified, above the follower threshold or tracked) can be named, so
-- private individuals never appear; brand accounts (owned or competitor) are not influencers.
-- Incremental: a build rewrites the dates in int_build_dates and every day of the authors
-- whose profile it changed (their tier and score are stored on each day).
-- depends_on: {{ ref('int_build_dates') }}
with settings as (
    select micro_influencer_followers, macro_influencer_followers, mega_influencer_followers
    from {{ ref('stg_config__settings') }}
),

authors as (
    select author_key, platform, author_handle, followers_count, is_verified,
           is_healthcare_professional, influence_score
    from {{ ref('dim_authors') }}
    where is_public and account_brand_id is null and not is_unknown
),

mentions as (
    select mention_date, brand_id, author_key, engagements, reach, adjusted_label, adjusted_compound
    from {{ ref('fct_mentions') }}
    {%- if is_incremental() %}
    where {{ influencer_days_rewritten() }}
    {%- endif %}
)

select
    authors.author_key || ':' || mentions.brand_id || ':' || cast(mentions.mention_date as varchar)
        as influencer_day_key,
    mentions.mention_date,
    mentions.brand_id,
    authors.author_key,
    authors.platform,
    authors.author_handle,
    authors.followers_count,
    case
        when authors.followers_count >= settings.mega_influencer_followers then 'mega'
        when authors.followers_count >= settings.macro_influencer_followers then 'macro'
        when authors.followers_count >= settings.micro_influencer_followers then 'micro'
        else 'nano'
    end as influencer_tier,
    authors.is_verified,
    authors.is_healthcare_professional,
    authors.influence_score,
    count(*) as mentions,
    sum(mentions.engagements) as engagements,
    sum(mentions.reach) as reach,
    sum(case when mentions.adjusted_label = 'positive' then 1 else 0 end) as positive_mentions,
    sum(case when mentions.adjusted_label = 'negative' then 1 else 0 end) as negative_mentions,
    -- an exact DECIMAL sum divided by the count: the same on every run
    cast(sum(cast(mentions.adjusted_compound as decimal(18, 6))) / count(mentions.adjusted_compound)
        as decimal(18, 6)) as avg_adjusted_compound,
    {{ sql_string(build_id()) }} as _loaded_in_build
from mentions
inner join authors on authors.author_key = mentions.author_key
cross join settings
group by all
