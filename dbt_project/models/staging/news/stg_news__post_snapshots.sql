{{ config(
    materialized='incremental',
    unique_key='post_snapshot_key',
    incremental_strategy='delete+insert',
    partition_by=partition_on('snapshot_date'),
    on_schema_change='fail'
) }}
-- One row per news article per night it was seen (a feed keeps an item for days; GDELT
-- finds it again): no engagement counts exist for an article, so a snapshot records the
-- sighting, GDELT's tone that night and the brands its search found it for.
select
    snapshots.post_key || '@' || cast(snapshots.snapshot_date as string) as post_snapshot_key,
    snapshots.post_key,
    snapshots.snapshot_date,
    snapshots.gdelt_tone,
    snapshots.query_brand_ids,
    {{ lineage_columns('snapshots') }},
    {{ batch_columns('snapshots') }}
from {{ ref('base_news__articles') }} as snapshots
{{ later_than_stored('snapshots', ['post_key', 'snapshot_date']) }}
