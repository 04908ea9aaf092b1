-- One row per YouTube video per snapshot night: the native statistics as fetched that night
-- (the latest run of the night), for day-over-day growth. Only videos loaded in
-- stg_youtube__posts.
select
    snapshots.post_key || '@' || cast(snapshots.snapshot_date as varchar) as post_snapshot_key,
    snapshots.post_key,
    snapshots.snapshot_date,
    snapshots.view_count,
    snapshots.like_count,
    snapshots.comment_count,
    snapshots.favorite_count,
    {{ lineage_columns('snapshots') }}
from {{ ref('base_youtube__videos') }} as snapshots
where snapshots.post_key in (select post_key from {{ ref('stg_youtube__posts') }})
