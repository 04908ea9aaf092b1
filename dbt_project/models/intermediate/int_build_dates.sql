{{ config(schema='build') }}
-- The dates whose daily mart rows this build recomputes: the publication dates of the posts
-- whose unified row it rewrote (a new post, a new snapshot, an author's new follower count:
-- a post keeps its publication date, and a mention's date is its post's), and the nights of
-- the manifests it loaded. The date-keyed marts rebuild these dates alone. Rebuilt by every
-- build: this build's bookkeeping, in its own schema `build`, apart from the warehouse's
-- content (a rerun that loads nothing new leaves it empty and changes nothing else).
select distinct coalesce(published_date, cast('1900-01-01' as date)) as activity_date
from {{ ref('int_posts_unified') }}
where {{ in_batch() }}
union
select night from {{ ref('stg_raw__loaded_manifests') }} where {{ in_batch() }}
