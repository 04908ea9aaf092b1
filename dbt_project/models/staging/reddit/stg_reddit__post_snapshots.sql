-- One row per Reddit submission per snapshot night: the native counts as fetched that night
-- (the latest run of the night), for day-over-day growth. Only submissions loaded in
-- stg_reddit__posts.
select
    snapshots.post_key || '@' || cast(snapshots.snapshot_date as varchar) as post_snapshot_key,
    snapshots.post_key,
    snapshots.snapshot_date,
    snapshots.score,
    snapshots.upvote_ratio,
    snapshots.num_comments,
    snapshots.num_crossposts,
    {{ lineage_columns('snapshots') }}
from {{ ref('base_reddit__posts') }} as snapshots
where snapshots.post_key in (select post_key from {{ ref('stg_reddit__posts') }})
