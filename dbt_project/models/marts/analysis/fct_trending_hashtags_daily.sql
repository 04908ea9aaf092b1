{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{{ forget_days_after_build_date_rows('published_date', 'trending_baseline_days') }}"],
    partition_by=('published_date' if target.type == 'spark' else none)
) }}
-- One row per hashtag x platform x day on which the public (not brand accounts) used the
-- hashtag: posts, distinct authors, engagements, and how the day compares with the trailing
-- baseline (config analysis.trending_baseline_days, clipped to the nights extracted so far;
-- days without the hashtag count as 0). Days before the first extracted night are left out:
-- only stray late posts reach back there, which would make every hashtag look new. trend_score = (posts - baseline) / sqrt(baseline + 1),
-- a Poisson-style z; a hashtag trends with at least analysis.trending_min_posts posts and a
-- trend_score of 2 or more. The parameters are stored on every row.
-- Incremental: a build rewrites the days in int_build_dates and the trending_baseline_days
-- days after each, reading only those days and their baselines.
-- depends_on: {{ ref('int_build_dates') }}
-- depends_on: {{ ref('stg_raw__loaded_manifests') }}
with settings as (
    select trending_baseline_days, trending_min_posts from {{ ref('stg_config__settings') }}
),

first_night as (
    select min(night) as first_night from {{ ref('stg_raw__extraction_runs') }}
),

{% if is_incremental() %}
target_days as (
    {{ days_after_build_dates('trending_baseline_days') }}
),

needed_days as (
    {{ days_with_baselines('target_days', 'trending_baseline_days') }}
),
{% endif %}

posts as (
    select platform, published_date, author_key, engagements, hashtags
    from {{ ref('int_posts_unified') }}
    where account_brand_id is null
      and published_date >= (select first_night from first_night)
      {{ build_days_only('published_date', 'needed_days') }}
),

daily as (
    select
        tag.hashtag,
        posts.platform,
        posts.published_date,
        count(*) as posts,
        count(distinct posts.author_key) as authors,
        sum(coalesce(posts.engagements, 0)) as engagements
    from posts
    cross join {{ list_elements('posts.hashtags', 'tag', 'hashtag') }}
    group by tag.hashtag, posts.platform, posts.published_date
),

tracked as (
    select distinct term_normalized as hashtag
    from {{ ref('stg_config__brand_terms') }} where term_type = 'hashtag'
    union
    select distinct term_normalized from {{ ref('stg_config__topic_terms') }} where term_type = 'hashtag'
    union
    select distinct tag.hashtag
    from {{ ref('stg_config__campaigns') }} cross join {{ list_elements('hashtags', 'tag', 'hashtag') }}
),

baseline as (
    select
        today.hashtag,
        today.platform,
        today.published_date,
        coalesce(sum(before.posts), 0) as baseline_posts
    from daily as today
    cross join settings
    left join daily as before
        on before.hashtag = today.hashtag
        and before.platform = today.platform
        and before.published_date < today.published_date
        and before.published_date >= {{ dbt.dateadd('day', '-settings.trending_baseline_days', 'today.published_date') }}
    group by today.hashtag, today.platform, today.published_date
),

scored as (
    select
        daily.*,
        least(settings.trending_baseline_days,
              {{ dbt.datediff('first_night.first_night', 'daily.published_date', 'day') }}) as baseline_days,
        baseline.baseline_posts,
        settings.trending_baseline_days,
        settings.trending_min_posts
    from daily
    inner join baseline using (hashtag, platform, published_date)
    cross join first_night
    cross join settings
),

rated as (
    select
        scored.*,
        case when baseline_days > 0
            then cast(cast(baseline_posts as decimal(18, 6)) / baseline_days as decimal(18, 6))
        end as baseline_avg_posts
    from scored
)

select
    rated.hashtag || ':' || rated.platform || ':' || cast(rated.published_date as string) as hashtag_day_key,
    rated.hashtag,
    rated.platform,
    rated.published_date,
    rated.posts,
    rated.authors,
    rated.engagements,
    rated.baseline_days,
    rated.baseline_avg_posts,
    cast(round((rated.posts - rated.baseline_avg_posts) / sqrt(rated.baseline_avg_posts + 1), 4)
        as decimal(18, 4)) as trend_score,
    coalesce(rated.posts >= rated.trending_min_posts
             and (rated.posts - rated.baseline_avg_posts) / sqrt(rated.baseline_avg_posts + 1) >= 2,
             false) as is_trending,
    tracked.hashtag is not null as is_tracked_hashtag,
    rated.trending_baseline_days,
    rated.trending_min_posts
from rated
left join tracked on tracked.hashtag = rated.hashtag
{{ build_days_only('rated.published_date', 'target_days', 'where') }}
