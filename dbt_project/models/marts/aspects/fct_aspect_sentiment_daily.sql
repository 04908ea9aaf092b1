{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{{ forget_days_after_build_date_rows('activity_date', 'aspect_baseline_days') }}"],
    partition_by=('activity_date' if target.type == 'spark' else none)
) }}
-- What patients talk about, day by day: one row per day x brand x location x aspect with at
-- least one occurrence that day, location_id 'all' for the brand over every source (social
-- mentions have no location, so they count there alone) and a location's id for the reviews
-- of that site. Independent voices only (excluded mentions left out). The day's mentions,
-- positive / neutral / negative occurrences and net sentiment ((pos - neg) / (pos + neg)),
-- against the analysis.aspect_baseline_days before it: daily means of mentions and negative
-- mentions (days without any count as zero) and the pooled net sentiment, the changes, and a
-- spike when the day's negative mentions reach analysis.aspect_spike_min_negative and
-- analysis.aspect_spike_ratio times the baseline's daily mean. Parameters stored on each row.
-- Incremental: a build drops and rewrites the days in int_build_dates and the
-- aspect_baseline_days after each (a day that lost its last occurrence loses its rows),
-- reading those days and their baselines only.
-- depends_on: {{ ref('int_build_dates') }}
-- depends_on: {{ ref('stg_raw__loaded_manifests') }}
with settings as (
    select aspect_baseline_days, aspect_spike_min_negative, aspect_spike_ratio
    from {{ ref('stg_config__settings') }}
),

{% if is_incremental() %}
target_days as (
    {{ days_after_build_dates('aspect_baseline_days') }}
),

needed_days as (
    {{ days_with_baselines('target_days', 'aspect_baseline_days') }}
),
{% endif %}

occurrences as (
    select mention_date, brand_id, location_id, aspect_id, polarity
    from {{ ref('fct_mention_aspects') }}
    where not is_excluded and mention_date > cast('1900-01-01' as date)
    {{ build_days_only('mention_date', 'needed_days') }}
),

counted as (
    {%- for scope in ["'all'", 'location_id'] %}
    select
        mention_date as activity_date, brand_id, {{ scope }} as location_id, aspect_id,
        count(*) as mentions,
        count(*) filter (where polarity = 'positive') as positive_mentions,
        count(*) filter (where polarity = 'neutral') as neutral_mentions,
        count(*) filter (where polarity = 'negative') as negative_mentions
    from occurrences
    {{ "where location_id is not null" if scope == 'location_id' }}
    group by mention_date, brand_id, aspect_id{{ ', location_id' if scope == 'location_id' }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

days as (
    select activity_date, brand_id, location_id, aspect_id, mentions, positive_mentions,
           neutral_mentions, negative_mentions
    from counted
    {{ build_days_only('activity_date', 'target_days', keyword='where') }}
),

baseline as (
    select
        today.activity_date, today.brand_id, today.location_id, today.aspect_id,
        coalesce(sum(before.mentions), 0) as mentions_sum,
        coalesce(sum(before.negative_mentions), 0) as negative_sum,
        coalesce(sum(before.positive_mentions), 0) as positive_sum,
        count(before.activity_date) as baseline_days
    from days as today
    cross join settings
    left join counted as before
        on before.brand_id = today.brand_id
        and before.location_id = today.location_id
        and before.aspect_id = today.aspect_id
        and before.activity_date < today.activity_date
        and before.activity_date >= {{ dbt.dateadd('day', '-settings.aspect_baseline_days', 'today.activity_date') }}
    group by today.activity_date, today.brand_id, today.location_id, today.aspect_id
),

measured as (
    select
        days.*,
        baseline.baseline_days,
        settings.aspect_baseline_days,
        settings.aspect_spike_min_negative,
        settings.aspect_spike_ratio,
        cast(baseline.mentions_sum as decimal(18, 4)) / settings.aspect_baseline_days as baseline_mentions_mean,
        cast(baseline.negative_sum as decimal(18, 4)) / settings.aspect_baseline_days as baseline_negative_mean,
        case when days.positive_mentions + days.negative_mentions > 0
            then cast(days.positive_mentions - days.negative_mentions as decimal(18, 10))
                 / (days.positive_mentions + days.negative_mentions) end as net_sentiment,
        case when baseline.positive_sum + baseline.negative_sum > 0
            then cast(baseline.positive_sum - baseline.negative_sum as decimal(18, 10))
                 / (baseline.positive_sum + baseline.negative_sum) end as baseline_net_sentiment
    from days
    inner join baseline using (activity_date, brand_id, location_id, aspect_id)
    cross join settings
)

select
    measured.brand_id || ':' || measured.location_id || ':' || measured.aspect_id || ':'
        || cast(measured.activity_date as string) as aspect_day_key,
    measured.activity_date,
    measured.brand_id,
    measured.location_id,
    measured.aspect_id,
    dim_aspects.aspect_name,
    dim_aspects.domain,
    measured.mentions,
    measured.positive_mentions,
    measured.neutral_mentions,
    measured.negative_mentions,
    cast(measured.net_sentiment as decimal(18, 10)) as net_sentiment,
    measured.baseline_days,
    cast(measured.baseline_mentions_mean as decimal(18, 4)) as baseline_mentions_mean,
    cast(measured.baseline_negative_mean as decimal(18, 4)) as baseline_negative_mean,
    cast(measured.baseline_net_sentiment as decimal(18, 10)) as baseline_net_sentiment,
    cast(measured.mentions - measured.baseline_mentions_mean as decimal(18, 4)) as mentions_change,
    cast(measured.net_sentiment - measured.baseline_net_sentiment as decimal(18, 10)) as net_sentiment_change,
    measured.negative_mentions >= measured.aspect_spike_min_negative
        and measured.negative_mentions >= measured.aspect_spike_ratio * measured.baseline_negative_mean
        as is_spike,
    measured.aspect_baseline_days,
    measured.aspect_spike_min_negative,
    measured.aspect_spike_ratio,
    {{ sql_string(build_id()) }} as _loaded_in_build
from measured
inner join {{ ref('dim_aspects') }} as dim_aspects on dim_aspects.aspect_id = measured.aspect_id
