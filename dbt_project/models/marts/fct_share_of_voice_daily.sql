{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=['{{ forget_build_date_rows("mention_date") }}'],
    partition_by=('mention_date' if target.type == 'spark' else none)
) }}
-- One row per date x platform x brand of the locked competitor panel, for every date x
-- platform with at least one panel mention (brands without mentions that day get zeros):
-- mentions, engagements, reach, adjusted-sentiment counts, net sentiment and the four
-- shares of voice, each summing to 1 over the panel (docs: share_of_voice). Only independent
-- voices count: mentions excluded as copy-paste copies or bot posts (fct_mentions.is_excluded)
-- are counted apart (excluded_mentions); mentions in a language VADER does not score count
-- in mentions and every share but sentiment's (not_scored_mentions).
-- Ratios are DECIMAL(18, 10), NULL where the denominator is 0.
-- Incremental: a build rewrites the dates in int_build_dates.
-- depends_on: {{ ref('int_build_dates') }}
with panel as (
    select brand_id, panel_version
    from {{ ref('dim_brands') }}
    where is_panel_member
),

mentions as (
    select
        fct_mentions.mention_date,
        fct_mentions.platform,
        fct_mentions.brand_id,
        fct_mentions.engagements,
        fct_mentions.reach,
        fct_mentions.adjusted_label,
        fct_mentions.adjusted_compound,
        fct_mentions.is_excluded
    from {{ ref('fct_mentions') }} as fct_mentions
    inner join panel on panel.brand_id = fct_mentions.brand_id
    {{ build_dates_only('fct_mentions.mention_date') }}
),

brand_day as (
    select
        mention_date,
        platform,
        brand_id,
        count(*) filter (where not is_excluded) as mentions,
        count(*) filter (where is_excluded) as excluded_mentions,
        coalesce(sum(engagements) filter (where not is_excluded), 0) as engagements,
        coalesce(sum(reach) filter (where not is_excluded), 0) as reach,
        count(*) filter (where not is_excluded and adjusted_label = 'positive') as positive_mentions,
        count(*) filter (where not is_excluded and adjusted_label = 'neutral') as neutral_mentions,
        count(*) filter (where not is_excluded and adjusted_label = 'negative') as negative_mentions,
        count(*) filter (where not is_excluded and adjusted_label = 'not_scored') as not_scored_mentions,
        -- each scored mention weighs (1 + compound) / 2 in [0, 1]; texts VADER cannot read
        -- (another language) weigh nothing
        coalesce(sum(cast((1 + adjusted_compound) / 2 as decimal(18, 6))) filter (where not is_excluded), 0)
            as sentiment_weight
    from mentions
    group by mention_date, platform, brand_id
),

date_platforms as (
    select distinct mention_date, platform from brand_day
),

grid as (
    select date_platforms.mention_date, date_platforms.platform, panel.brand_id, panel.panel_version
    from date_platforms
    cross join panel
),

filled as (
    select
        grid.mention_date,
        grid.platform,
        grid.brand_id,
        grid.panel_version,
        coalesce(brand_day.mentions, 0) as mentions,
        coalesce(brand_day.engagements, 0) as engagements,
        coalesce(brand_day.reach, 0) as reach,
        coalesce(brand_day.positive_mentions, 0) as positive_mentions,
        coalesce(brand_day.neutral_mentions, 0) as neutral_mentions,
        coalesce(brand_day.negative_mentions, 0) as negative_mentions,
        coalesce(brand_day.not_scored_mentions, 0) as not_scored_mentions,
        coalesce(brand_day.excluded_mentions, 0) as excluded_mentions,
        coalesce(brand_day.sentiment_weight, 0) as sentiment_weight
    from grid
    left join brand_day
        on brand_day.mention_date = grid.mention_date
        and brand_day.platform = grid.platform
        and brand_day.brand_id = grid.brand_id
),

with_panel_totals as (
    select
        filled.*,
        sum(mentions) over (partition by mention_date, platform) as panel_mentions,
        sum(engagements) over (partition by mention_date, platform) as panel_engagements,
        sum(reach) over (partition by mention_date, platform) as panel_reach,
        sum(sentiment_weight) over (partition by mention_date, platform) as panel_sentiment_weight
    from filled
)

select
    mention_date || '|' || platform || '|' || brand_id as sov_key,
    mention_date,
    platform,
    brand_id,
    panel_version,
    mentions,
    engagements,
    reach,
    positive_mentions,
    neutral_mentions,
    negative_mentions,
    not_scored_mentions,
    excluded_mentions,
    cast(cast(positive_mentions - negative_mentions as decimal(38, 10)) / nullif(positive_mentions + negative_mentions, 0) as decimal(18, 10)) as net_sentiment,
    cast(cast(mentions as decimal(38, 10)) / nullif(panel_mentions, 0) as decimal(18, 10)) as mention_sov,
    cast(cast(engagements as decimal(38, 10)) / nullif(panel_engagements, 0) as decimal(18, 10)) as engagement_sov,
    cast(cast(reach as decimal(38, 10)) / nullif(panel_reach, 0) as decimal(18, 10)) as reach_sov,
    -- in DOUBLE, as DuckDB divides DECIMALs (Spark's exact quotient of two wide DECIMALs keeps 6 digits)
    cast(cast(sentiment_weight as double) / nullif(cast(panel_sentiment_weight as double), 0) as decimal(18, 10)) as sentiment_weighted_sov,
    panel_mentions,
    panel_engagements,
    panel_reach,
    -- 0 where the panel's mentions that day are all in languages VADER does not score
    panel_sentiment_weight,
    {{ sql_string(build_id()) }} as _loaded_in_build
from with_panel_totals
