-- One row per tweet per snapshot night: the native engagement counts as fetched that night
-- (the latest run of the night), for day-over-day growth. Only tweets loaded in stg_x__posts.
select
    snapshots.post_key || '@' || cast(snapshots.snapshot_date as varchar) as post_snapshot_key,
    snapshots.post_key,
    snapshots.snapshot_date,
    snapshots.like_count,
    snapshots.retweet_count,
    snapshots.reply_count,
    snapshots.quote_count,
    snapshots.bookmark_count,
    snapshots.impression_count,
    {{ lineage_columns('snapshots') }}
from {{ ref('base_x__posts') }} as snapshots
where snapshots.post_key in (select post_key from {{ ref('stg_x__posts') }})
