{{ config(
    materialized='incremental',
    unique_key='post_snapshot_key',
    incremental_strategy='delete+insert',
    partition_by=partition_on('snapshot_date'),
    on_schema_change='fail'
) }}
-- One row per Reddit submission per snapshot night: the native counts as fetched that night
-- (the latest run of the night), for day-over-day growth. Every item seen, also one
-- the privacy screen held back (numbers only; the marts join the loaded posts). Incremental:
-- a batch copy replaces the stored one of the same night only when it is later.
select
    snapshots.post_key || '@' || cast(snapshots.snapshot_date as string) as post_snapshot_key,
    snapshots.post_key,
    snapshots.snapshot_date,
    snapshots.score,
    snapshots.upvote_ratio,
    snapshots.num_comments,
    snapshots.num_crossposts,
    {{ lineage_columns('snapshots') }},
    {{ batch_columns('snapshots') }}
from {{ ref('base_reddit__posts') }} as snapshots
{{ later_than_stored('snapshots', ['post_key', 'snapshot_date']) }}
