{{ config(schema='build') }}
-- The dates whose daily mart rows this build recomputes: the publication dates of the posts
-- whose unified row it rewrote (a new post, a new snapshot, an author's new follower count:
-- a post keeps its publication date but for undated news items, and a mention's date is its
-- post's), the date an undated news item moved from, and the nights of
-- the manifests it loaded. The date-keyed marts rebuild these dates alone. Rebuilt by every
-- build: this build's bookkeeping, in its own schema `build`, apart from the warehouse's
-- content (a rerun that loads nothing new leaves it empty and changes nothing else).
select distinct coalesce(published_date, cast('1900-01-01' as date)) as activity_date
from {{ ref('int_posts_unified') }}
where {{ in_batch() }}
union
select night from {{ ref('stg_raw__loaded_manifests') }} where {{ in_batch() }}
union
-- an older post whose screening verdict this build changed changes its day's counts
select published_date from {{ ref('int_post_screening') }} where {{ in_batch() }}
union
-- the one post whose publication date moves: an undated news item is dated by the first night
-- it was seen, which a backfill of an older night moves earlier; its former date loses it
select cast(_moved_from_published_at as date) from {{ ref('stg_news__posts') }}
where {{ in_batch() }} and _moved_from_published_at is not null
