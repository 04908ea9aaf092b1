{#- One row per shard of a finished run, from the manifest's `shards` map. -#}
with manifests as (
    select run_id, night, started_at, shard_map from {{ ref('src_raw__manifests') }}
),

shards as (
    select
        manifests.run_id,
        manifests.night,
        manifests.started_at as run_started_at,
        shard_entry.s.key as shard_id,
        shard_entry.s.value as shard
    from manifests
    cross join {{ unnest_rows('map_entries(manifests.shard_map)') }} as shard_entry(s)
)

select
    run_id,
    night,
    run_started_at,
    shard_id,
    shard.platform as platform,
    shard.kind as shard_kind,
    shard.{{ adapter.quote('key') }} as shard_key,
    shard.owned as is_owned_account,
    {{ iso_to_utc('shard.since') }} as window_start,
    {{ iso_to_utc('shard.' ~ adapter.quote('until')) }} as window_end,
    shard.status as status,
    shard.reason_kind as reason_kind,
    shard.reason as reason,
    {{ json_is_value('shard.resume_cursor') }} as has_resume_cursor,
    shard.pages as pages,
    shard.records as records,
    shard.malformed_pages as malformed_pages
from shards
