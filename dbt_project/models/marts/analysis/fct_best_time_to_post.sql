-- One row per brand x platform x content type x hour of week (local time of config
-- analysis.timezone; 0 = Monday 00:00) in which a brand account (the organisation's or a
-- competitor's) published posts: the sample size, engagements as of each post's latest
-- snapshot, engagement rate by followers (ratio of sums) beside the mean of per-post rates,
-- and the rank of the hour among the well-sampled hours (at least analysis.best_time_min_posts
-- posts) of that brand, platform and content type. Replies are conversation, not
-- publishing, and are left out. Caveat: recent posts have had less time to gather engagement.
with settings as (
    select analysis_timezone, best_time_min_posts from {{ ref('stg_config__settings') }}
),

posts as (
    select
        posts.account_brand_id as brand_id,
        posts.platform,
        posts.content_type,
        {{ hour_of_week(utc_to_local('posts.published_at', 'settings.analysis_timezone')) }} as hour_of_week,
        coalesce(posts.engagements, 0) as engagements,
        posts.author_followers,
        case when posts.author_followers > 0
            then cast(coalesce(posts.engagements, 0) as decimal(18, 6)) / posts.author_followers
        end as engagement_rate
    from {{ ref('int_posts_unified') }} as posts
    cross join settings
    where posts.account_brand_id is not null
      and posts.entity_type = 'post'
      and posts.content_type <> 'reply'
      and posts.published_at is not null
),

cells as (
    select
        brand_id,
        platform,
        content_type,
        hour_of_week,
        count(*) as posts,
        sum(engagements) as engagements,
        sum(case when author_followers > 0 then engagements else 0 end) as engagements_with_followers,
        sum(case when author_followers > 0 then author_followers else 0 end) as followers,
        -- an exact DECIMAL sum over a count: the same on every run
        cast(sum(cast(engagement_rate as decimal(18, 6))) / count(engagement_rate) as decimal(18, 8))
            as mean_engagement_rate_by_followers,
        cast(median(cast(engagements as decimal(18, 2))) as decimal(18, 2)) as median_engagements
    from posts
    group by brand_id, platform, content_type, hour_of_week
),

rated as (
    select
        cells.*,
        cast(case when followers > 0
            then cast(engagements_with_followers as decimal(18, 6)) / followers end as decimal(18, 8))
            as engagement_rate_by_followers,
        cells.posts < settings.best_time_min_posts as is_low_sample,
        settings.analysis_timezone,
        settings.best_time_min_posts
    from cells
    cross join settings
)

select
    brand_id || ':' || platform || ':' || content_type || ':' || cast(hour_of_week as string) as best_time_key,
    brand_id,
    platform,
    content_type,
    hour_of_week,
    cast(floor(hour_of_week / 24) as integer) + 1 as iso_day_of_week,
    hour_of_week % 24 as hour_of_day,
    posts,
    engagements,
    cast(cast(engagements as decimal(18, 6)) / posts as decimal(18, 4)) as avg_engagements_per_post,
    median_engagements,
    engagement_rate_by_followers,
    mean_engagement_rate_by_followers,
    is_low_sample,
    case when not is_low_sample then
        rank() over (partition by brand_id, platform, content_type, is_low_sample
                     order by engagement_rate_by_followers desc nulls last,
                              engagements desc, hour_of_week)
    end as rank_in_content_type,
    analysis_timezone,
    best_time_min_posts
from rated
