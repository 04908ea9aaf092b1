-- One row per Mastodon status per snapshot night: the native counts as fetched that night
-- (the latest run of the night), for day-over-day growth. Only statuses loaded in
-- stg_mastodon__posts.
select
    snapshots.post_key || '@' || cast(snapshots.snapshot_date as varchar) as post_snapshot_key,
    snapshots.post_key,
    snapshots.snapshot_date,
    snapshots.favourites_count,
    snapshots.reblogs_count,
    snapshots.replies_count,
    snapshots.quotes_count,
    {{ lineage_columns('snapshots') }}
from {{ ref('base_mastodon__posts') }} as snapshots
where snapshots.post_key in (select post_key from {{ ref('stg_mastodon__posts') }})
