-- Every share of voice sums to 1 over the panel for each date x platform where the panel has
-- any volume of that measure (per-row DECIMAL(18, 10) rounding allows 1e-9 in total), and is
-- NULL where it has none. Returns the offending date x platform x measure.
with shares as (
    select mention_date, platform, 'mention' as measure, mention_sov as share, panel_mentions as panel_total
    from {{ ref('fct_share_of_voice_daily') }}
    union all
    select mention_date, platform, 'engagement', engagement_sov, panel_engagements
    from {{ ref('fct_share_of_voice_daily') }}
    union all
    select mention_date, platform, 'reach', reach_sov, panel_reach
    from {{ ref('fct_share_of_voice_daily') }}
    union all
    -- weighed by the scored mentions alone: a day of only Spanish mentions has no weight
    select mention_date, platform, 'sentiment_weighted', sentiment_weighted_sov, panel_sentiment_weight
    from {{ ref('fct_share_of_voice_daily') }}
),

totals as (
    select
        mention_date,
        platform,
        measure,
        max(panel_total) as panel_total,
        sum(share) as share_sum,
        count(share) as shares_present,
        count(*) as panel_brands
    from shares
    group by mention_date, platform, measure
)

select *
from totals
where (panel_total > 0 and (shares_present <> panel_brands or abs(share_sum - 1) > 0.000000001))
   or (panel_total = 0 and shares_present > 0)
