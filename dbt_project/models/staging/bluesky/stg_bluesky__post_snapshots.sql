-- One row per Bluesky post per snapshot night: the native counts as fetched that night
-- (the latest run of the night), for day-over-day growth. Only posts loaded in
-- stg_bluesky__posts.
select
    snapshots.post_key || '@' || cast(snapshots.snapshot_date as varchar) as post_snapshot_key,
    snapshots.post_key,
    snapshots.snapshot_date,
    snapshots.like_count,
    snapshots.repost_count,
    snapshots.reply_count,
    snapshots.quote_count,
    snapshots.bookmark_count,
    {{ lineage_columns('snapshots') }}
from {{ ref('base_bluesky__posts') }} as snapshots
where snapshots.post_key in (select post_key from {{ ref('stg_bluesky__posts') }})
