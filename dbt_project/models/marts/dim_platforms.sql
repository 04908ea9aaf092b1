-- One row per platform CarePulse listens on, plus the unknown member ('unknown'): display
-- name, whether the platform reports views, and how `engagements` is computed from its
-- native metrics (the mapping of int_posts_unified, README.md "Engagement mapping").
with platforms as (
    select 'youtube' as platform, 'YouTube' as platform_name, true as reports_views,
           'likes + comments (comments: likes + thread replies)' as engagement_formula, 1 as platform_order
    union all
    select 'reddit', 'Reddit', false, 'max(score, 0) + comments', 2
    union all
    select 'mastodon', 'Mastodon', false, 'favourites + boosts + replies', 3
    union all
    select 'bluesky', 'Bluesky', false, 'likes + reposts + replies + quotes', 4
    union all
    select 'x', 'X', true, 'likes + reposts + replies + quotes', 5
),

unknown_member as (
    select 'unknown' as platform, 'Unknown' as platform_name, false as reports_views,
           cast(null as varchar) as engagement_formula, 99 as platform_order
)

select platform, platform_name, reports_views, engagement_formula, platform_order,
       false as is_unknown
from platforms
union all
select platform, platform_name, reports_views, engagement_formula, platform_order,
       true as is_unknown
from unknown_member
