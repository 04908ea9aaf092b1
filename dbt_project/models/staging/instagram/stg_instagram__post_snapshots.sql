{{ config(
    materialized='incremental',
    unique_key='post_snapshot_key',
    incremental_strategy='delete+insert',
    partition_by=partition_on('snapshot_date'),
    on_schema_change='fail'
) }}
-- One row per Instagram media per snapshot night: likes and comments as fetched that night
-- (the latest run of the night), for day-over-day growth. Every item seen, also one the
-- privacy screen held back (numbers only). Incremental as the other snapshot models.
select
    snapshots.post_key || '@' || cast(snapshots.snapshot_date as string) as post_snapshot_key,
    snapshots.post_key,
    snapshots.snapshot_date,
    snapshots.like_count,
    snapshots.comment_count,
    {{ lineage_columns('snapshots') }},
    {{ batch_columns('snapshots') }}
from {{ ref('base_instagram__media') }} as snapshots
{{ later_than_stored('snapshots', ['post_key', 'snapshot_date']) }}
