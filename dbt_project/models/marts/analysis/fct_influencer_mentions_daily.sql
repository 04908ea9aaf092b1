{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=['{{ forget_influencer_day_rows() }}'],
    partition_by=('mention_date' if target.type == 'spark' else none)
) }}
-- One row per public author x brand x day on which the author mentioned the brand: mentions,
-- engagements, reach and adjusted sentiment of those mentions. Only public accounts (verified,
-- above the follower threshold or tracked) can be named, so private individuals never
-- appear; brand accounts (owned or competitor) are not influencers. The author's current
-- profile (handle, followers, tier, influence score) is dim_authors': a day's row holds only
-- what happened that day, so a profile that changes rewrites none of its days.
-- Incremental: a build rewrites the dates in int_build_dates, drops the days of authors who
-- can no longer be named and adds those of authors named for the first time (macros/batch.sql).
-- depends_on: {{ ref('int_build_dates') }}
with authors as (
    select author_key, platform
    from {{ ref('dim_authors') }}
    where {{ influencer_eligible() }}
),

mentions as (
    select mention_date, brand_id, author_key, engagements, reach, adjusted_label, adjusted_compound
    from {{ ref('fct_mentions') }}
    where not is_excluded  -- a bot is no influencer, a copy no voice of its own
    {%- if is_incremental() %}
    and ({{ influencer_mentions_read() }})
    {%- endif %}
)

select
    authors.author_key || ':' || mentions.brand_id || ':' || cast(mentions.mention_date as string)
        as influencer_day_key,
    mentions.mention_date,
    mentions.brand_id,
    authors.author_key,
    authors.platform,
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
group by all
