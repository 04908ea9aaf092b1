{{ config(
    materialized='incremental',
    unique_key='sentiment_day_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    partition_by=('date_day' if target.type == 'spark' else none)
) }}
-- One row per day x panel brand x platform (and platform 'all' for the brand across every
-- platform), for every extracted night from the first to the last: the day's
-- mentions, adjusted-sentiment counts and net sentiment, the trailing baseline of net
-- sentiment over the analysis.alert_baseline_days before it (days with scored mentions
-- only), the z-score of the day, and an alert when the day has at least
-- analysis.alert_min_mentions mentions, the baseline has at least
-- analysis.alert_min_baseline_days days and the day lies
-- analysis.alert_k_sigma standard deviations or more from the baseline mean. The same test
-- on the day's count of negative mentions flags negative-volume spikes. On the news platform,
-- the day's articles on a brand against the analysis.news_spike_baseline_days before it
-- (at least analysis.news_spike_min_articles that day) flag a news spike: local news
-- coverage moves before social does. The parameters are stored on every row, so an alert
-- can always be explained.
-- Incremental: a build rewrites the days in int_build_dates and the alert_baseline_days days
-- after each (whose baseline holds it), reading only those days and their baselines.
-- depends_on: {{ ref('int_build_dates') }}
-- depends_on: {{ ref('stg_raw__loaded_manifests') }}
with settings as (
    select alert_baseline_days, alert_k_sigma, alert_min_mentions, alert_min_baseline_days,
           news_spike_baseline_days, news_spike_min_articles
    from {{ ref('stg_config__settings') }}
),

{% if is_incremental() %}
target_days as (
    {{ days_after_build_dates('alert_baseline_days') }}
),

needed_days as (
    {{ days_with_baselines('target_days', 'alert_baseline_days') }}
),
{% endif %}

mentions as (
    select mention_date, platform, brand_id, adjusted_label
    from {{ ref('fct_mentions') }}
    -- independent voices only: a bot burst is not a sentiment shift
    where mention_date > cast('1900-01-01' as date) and not is_excluded
    {{ build_days_only('mention_date', 'needed_days') }}
),

panel as (
    select brand_id from {{ ref('dim_brands') }} where is_panel_member
),

platforms as (
    select platform from {{ ref('dim_platforms') }} where not is_unknown
    union all
    select 'all'
),

days as (
    -- the nights extracted (mentions outside them are stragglers of a partial day)
    select date_day
    from {{ ref('dim_dates') }}
    where date_day between (select min(night) from {{ ref('stg_raw__extraction_runs') }})
                       and (select max(night) from {{ ref('stg_raw__extraction_runs') }})
    {{ build_days_only('date_day', 'needed_days') }}
),

counted as (
    {%- for scope in ['platform', "'all'"] %}
    select
        mention_date, {{ scope }} as platform, brand_id,
        count(*) as mentions,
        sum(case when adjusted_label = 'positive' then 1 else 0 end) as positive_mentions,
        sum(case when adjusted_label = 'negative' then 1 else 0 end) as negative_mentions
    from mentions
    group by mention_date, brand_id{{ ', platform' if scope == 'platform' }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

grid as (
    select
        days.date_day,
        platforms.platform,
        panel.brand_id,
        coalesce(counted.mentions, 0) as mentions,
        coalesce(counted.positive_mentions, 0) as positive_mentions,
        coalesce(counted.negative_mentions, 0) as negative_mentions,
        case when coalesce(counted.positive_mentions + counted.negative_mentions, 0) > 0
            then cast(counted.positive_mentions - counted.negative_mentions as decimal(18, 10))
                 / (counted.positive_mentions + counted.negative_mentions)
        end as net_sentiment
    from days
    cross join platforms
    cross join panel
    left join counted
        on counted.mention_date = days.date_day
        and counted.platform = platforms.platform
        and counted.brand_id = panel.brand_id
),

{%- set news_window = "before.date_day >= " ~ dbt.dateadd('day', '-settings.news_spike_baseline_days', 'today.date_day') %}
baseline as (
    -- exact DECIMAL sums, so mean and deviation are the same on every run
    select
        today.date_day, today.platform, today.brand_id,
        count(before.net_sentiment) as baseline_days,
        sum(cast(before.net_sentiment as decimal(28, 10))) as net_sum,
        sum(cast(before.net_sentiment as decimal(28, 10)) * cast(before.net_sentiment as decimal(28, 10))) as net_sum_sq,
        count(before.date_day) as window_days,
        sum(before.negative_mentions) as negative_sum,
        sum(before.negative_mentions * before.negative_mentions) as negative_sum_sq,
        -- the news spike's shorter window inside the same join
        count(case when {{ news_window }} then before.date_day end) as news_window_days,
        sum(case when {{ news_window }} then before.mentions end) as news_sum,
        sum(case when {{ news_window }} then before.mentions * before.mentions end) as news_sum_sq
    from grid as today
    cross join settings
    left join grid as before
        on before.platform = today.platform
        and before.brand_id = today.brand_id
        and before.date_day < today.date_day
        and before.date_day >= {{ dbt.dateadd('day', '-settings.alert_baseline_days', 'today.date_day') }}
    group by today.date_day, today.platform, today.brand_id
),

stats as (
    select
        grid.*,
        baseline.baseline_days,
        baseline.window_days,
        case when baseline.baseline_days > 0
            then baseline.net_sum / baseline.baseline_days end as baseline_mean,
        case when baseline.baseline_days > 1
            then sqrt(greatest(cast((baseline.net_sum_sq - baseline.net_sum * baseline.net_sum / baseline.baseline_days)
                                    / (baseline.baseline_days - 1) as double), 0)) end as baseline_stddev,
        case when baseline.window_days > 0
            then cast(baseline.negative_sum as double) / baseline.window_days end as baseline_negative_avg,
        case when baseline.window_days > 1
            then sqrt(greatest(cast((baseline.negative_sum_sq - cast(baseline.negative_sum as decimal(28, 10)) * baseline.negative_sum / baseline.window_days)
                                    / (baseline.window_days - 1) as double), 0)) end as baseline_negative_stddev,
        baseline.news_window_days,
        case when baseline.news_window_days > 0
            then cast(baseline.news_sum as double) / baseline.news_window_days end as baseline_news_avg,
        case when baseline.news_window_days > 1
            then sqrt(greatest(cast((baseline.news_sum_sq - cast(baseline.news_sum as decimal(28, 10)) * baseline.news_sum / baseline.news_window_days)
                                    / (baseline.news_window_days - 1) as double), 0)) end as baseline_news_stddev,
        settings.news_spike_baseline_days,
        settings.news_spike_min_articles,
        settings.alert_baseline_days,
        settings.alert_k_sigma,
        settings.alert_min_mentions,
        settings.alert_min_baseline_days
    from grid
    inner join baseline using (date_day, platform, brand_id)
    cross join settings
),

scored as (
    select
        stats.*,
        case when baseline_stddev > 0
            then (cast(net_sentiment as double) - cast(baseline_mean as double)) / baseline_stddev end as net_sentiment_z,
        case when baseline_negative_stddev > 0
            then (negative_mentions - baseline_negative_avg) / baseline_negative_stddev end as negative_volume_z,
        -- a quiet baseline (no article in 14 days) has no spread: any day of min_articles is a spike
        case when platform = 'news' and baseline_news_stddev > 0
                 then (mentions - baseline_news_avg) / baseline_news_stddev
             when platform = 'news' and news_window_days > 1 and mentions > baseline_news_avg
                 then cast('infinity' as double) end as news_volume_z
    from stats
),

judged as (
    select
        scored.*,
        mentions >= alert_min_mentions and baseline_days >= alert_min_baseline_days and abs(net_sentiment_z) >= alert_k_sigma
            as net_sentiment_alert,
        mentions >= alert_min_mentions and window_days >= alert_min_baseline_days and negative_volume_z >= alert_k_sigma
            as negative_volume_alert,
        mentions >= news_spike_min_articles and news_window_days >= alert_min_baseline_days
            and news_volume_z >= alert_k_sigma as news_spike_alert
    from scored
)

select
    brand_id || ':' || platform || ':' || cast(date_day as string) as sentiment_day_key,
    date_day,
    brand_id,
    platform,
    mentions,
    positive_mentions,
    negative_mentions,
    cast(net_sentiment as decimal(18, 10)) as net_sentiment,
    baseline_days,
    cast(baseline_mean as decimal(18, 10)) as baseline_net_sentiment,
    cast(round(baseline_stddev, 10) as decimal(18, 10)) as baseline_net_sentiment_stddev,
    cast(round(net_sentiment_z, 4) as decimal(18, 4)) as net_sentiment_z,
    cast(round(baseline_negative_avg, 4) as decimal(18, 4)) as baseline_negative_mentions,
    cast(round(baseline_negative_stddev, 4) as decimal(18, 4)) as baseline_negative_mentions_stddev,
    cast(round(negative_volume_z, 4) as decimal(18, 4)) as negative_volume_z,
    cast(round(baseline_news_avg, 4) as decimal(18, 4)) as baseline_news_articles,
    -- capped: an infinite z (a spike over a baseline without spread) reads as 9999
    cast(round(least(news_volume_z, 9999), 4) as decimal(18, 4)) as news_volume_z,
    coalesce(net_sentiment_alert or negative_volume_alert or news_spike_alert, false) as is_alert,
    case
        when coalesce(net_sentiment_alert, false) and net_sentiment_z < 0 then 'net_sentiment_drop'
        when coalesce(net_sentiment_alert, false) then 'net_sentiment_rise'
        when coalesce(negative_volume_alert, false) then 'negative_volume_spike'
        when coalesce(news_spike_alert, false) then 'news_spike'
    end as alert_kind,
    alert_baseline_days,
    alert_k_sigma,
    alert_min_mentions,
    alert_min_baseline_days,
    news_spike_baseline_days,
    news_spike_min_articles
from judged
{{ build_days_only('date_day', 'target_days', 'where') }}
