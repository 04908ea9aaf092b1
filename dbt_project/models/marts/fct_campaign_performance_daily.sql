{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=['{{ forget_campaign_rows() }}'],
    partition_by=('campaign_id' if target.type == 'spark' else none)
) }}
-- One row per campaign x date x platform for every date of the campaign window that lies in
-- the data range (dim_dates): owned posts and user-generated mentions matching the
-- campaign's hashtags / keywords, brand mentions, reach, engagements, engagement rate,
-- mean sentiment, spend and cost per engagement, and mention lift to date against the
-- same-length period just before the campaign (docs: campaign_lift).
-- Incremental: a build recomputes the campaigns whose window or pre-period holds a date it
-- rewrote, or whose window gained days in the data range (macros/batch.sql,
-- campaigns_rebuilt); each post was matched to campaigns once (int_campaign_posts), so a
-- recomputed campaign sums narrow rows and reads no text.
-- depends_on: {{ ref('int_build_dates') }}
with campaigns as (
    select * from {{ ref('dim_campaigns') }} where not is_unknown
    {%- if is_incremental() %}
        and campaign_id in ({{ campaigns_rebuilt() }})
    {%- endif %}
),

span as (
    -- the dates any campaign row can depend on: each window and its same-length pre-period
    select min(pre_window_start_date) as first_date, max(end_date) as last_date
    from campaigns
),

platforms as (
    select platform from {{ ref('dim_platforms') }} where not is_unknown
),

dates as (
    select date_day from {{ ref('dim_dates') }} where not is_unknown
),

campaign_posts as (
    -- the campaign's posts, matched once per post (int_campaign_posts)
    select * from {{ ref('int_campaign_posts') }}
    where campaign_id in (select campaign_id from campaigns)
),

campaign_day as (
    select
        campaign_id,
        published_date,
        platform,
        sum(case when is_campaign_brand_post then 1 else 0 end) as owned_posts,
        sum(case when is_user_generated then 1 else 0 end) as user_generated_mentions,
        count(*) as campaign_posts,
        sum(reach) as reach,
        sum(engagements) as engagements,
        sum(adjusted_compound) as sentiment_sum,
        count(adjusted_compound) as sentiment_count
    from campaign_posts
    group by campaign_id, published_date, platform
),

brand_mentions as (
    -- mentions of the campaign's brand (fct_mentions), for volume and lift
    select campaigns.campaign_id, fct_mentions.mention_date, fct_mentions.platform, count(*) as mentions
    from {{ ref('fct_mentions') }} as fct_mentions
    inner join campaigns on campaigns.brand_id = fct_mentions.brand_id
    where fct_mentions.mention_date between (select first_date from span) and (select last_date from span)
    group by campaigns.campaign_id, fct_mentions.mention_date, fct_mentions.platform
),

platform_coverage as (
    -- days with any mention on a platform: the data exists for that day
    select distinct mention_date, platform from {{ ref('fct_mentions') }}
    where mention_date between (select first_date from span) and (select last_date from span)
),

spend_platforms as (
    -- spend is split evenly over the platforms the campaign runs on (its owned_accounts),
    -- or over every platform when it names none
    select
        campaigns.campaign_id,
        platforms.platform,
        case
            when {{ list_len('campaigns.owned_account_platforms') }} = 0 then true
            else array_contains(campaigns.owned_account_platforms, platforms.platform)
        end as is_spend_platform
    from campaigns
    cross join platforms
),

spend_share as (
    select
        spend_platforms.*,
        sum(case when is_spend_platform then 1 else 0 end) over (partition by campaign_id) as spend_platform_count
    from spend_platforms
),

grid as (
    select
        campaigns.campaign_id,
        campaigns.brand_id,
        campaigns.start_date,
        campaigns.daily_spend,
        dates.date_day,
        platforms.platform,
        {{ dbt.datediff('campaigns.start_date', 'dates.date_day', 'day') }} + 1 as window_day_number
    from campaigns
    inner join dates on dates.date_day between campaigns.start_date and campaigns.end_date
    cross join platforms
),

lift as (
    -- mentions from the window start to this date, and in the same number of days just
    -- before the window; the pre-period counts only where data exists on some day of it
    select
        grid.campaign_id,
        grid.date_day,
        grid.platform,
        (select coalesce(sum(bm.mentions), 0) from brand_mentions as bm
          where bm.campaign_id = grid.campaign_id and bm.platform = grid.platform
            and bm.mention_date between grid.start_date and grid.date_day) as window_mentions_to_date,
        (select coalesce(sum(bm.mentions), 0) from brand_mentions as bm
          where bm.campaign_id = grid.campaign_id and bm.platform = grid.platform
            and bm.mention_date between {{ dbt.dateadd('day', '-grid.window_day_number', 'grid.start_date') }}
                                    and {{ dbt.dateadd('day', '-1', 'grid.start_date') }}) as pre_mentions,
        exists (select 1 from platform_coverage as pc
                 where pc.platform = grid.platform
                   and pc.mention_date between {{ dbt.dateadd('day', '-grid.window_day_number', 'grid.start_date') }}
                                           and {{ dbt.dateadd('day', '-1', 'grid.start_date') }}) as has_pre_window_data
    from grid
),

assembled as (
    select
        grid.campaign_id,
        grid.date_day,
        grid.platform,
        grid.brand_id,
        grid.window_day_number,
        coalesce(campaign_day.owned_posts, 0) as owned_posts,
        coalesce(brand_mentions.mentions, 0) as mentions,
        coalesce(campaign_day.user_generated_mentions, 0) as user_generated_mentions,
        coalesce(campaign_day.reach, 0) as reach,
        coalesce(campaign_day.engagements, 0) as engagements,
        campaign_day.sentiment_sum,
        coalesce(campaign_day.sentiment_count, 0) as sentiment_count,
        case
            when spend_share.is_spend_platform
                then cast(grid.daily_spend / spend_share.spend_platform_count as decimal(18, 4))
            else cast(0 as decimal(18, 4))
        end as daily_spend,
        lift.window_mentions_to_date,
        case when lift.has_pre_window_data then lift.pre_mentions end as pre_window_mentions
    from grid
    left join campaign_day
        on campaign_day.campaign_id = grid.campaign_id
        and campaign_day.published_date = grid.date_day
        and campaign_day.platform = grid.platform
    left join brand_mentions
        on brand_mentions.campaign_id = grid.campaign_id
        and brand_mentions.mention_date = grid.date_day
        and brand_mentions.platform = grid.platform
    inner join spend_share
        on spend_share.campaign_id = grid.campaign_id
        and spend_share.platform = grid.platform
    inner join lift
        on lift.campaign_id = grid.campaign_id
        and lift.date_day = grid.date_day
        and lift.platform = grid.platform
)

select
    campaign_id || '|' || cast(date_day as string) || '|' || platform as campaign_day_key,
    campaign_id,
    date_day,
    platform,
    brand_id,
    window_day_number,
    owned_posts,
    mentions,
    user_generated_mentions,
    reach,
    engagements,
    cast(cast(engagements as decimal(38, 10)) / nullif(reach, 0) as decimal(18, 10)) as engagement_rate,
    {{ round_half_up('cast(sentiment_sum as double) / nullif(sentiment_count, 0)', 4, 'decimal(9, 4)') }} as mean_sentiment,
    daily_spend,
    cast(daily_spend / nullif(engagements, 0) as decimal(18, 4)) as cost_per_engagement,
    window_mentions_to_date,
    pre_window_mentions,
    cast(cast(window_mentions_to_date - pre_window_mentions as decimal(38, 10))
         / nullif(pre_window_mentions, 0) as decimal(18, 10)) as mention_lift
from assembled
