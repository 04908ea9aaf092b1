{#- One row per file a finished manifest lists (pages and kept malformed responses), with
    the run it belongs to. Only these files count: a page file on disk that no finished
    manifest lists (an unfinished run, a crash before the journal line) is ignored. -#}
with manifests as (
    select * from {{ ref('src_raw__manifests') }}
),

files as (
    select
        manifests.run_id,
        manifests.night,
        manifests.started_at as run_started_at,
        manifests.manifest_path,
        file_entry.f as entry
    from manifests
    cross join {{ unnest_rows('manifests.file_list') }} as file_entry(f)
)

select
    entry.path as path,
    entry.sha256 as sha256,
    entry.{{ adapter.quote('bytes') }} as size_bytes,
    entry.records as records,
    entry.kind as kind,
    entry.shard as shard_id,
    entry.page as page,
    entry.endpoint as endpoint,
    entry.http_status as http_status,
    {{ iso_to_utc('entry.fetched_at') }} as fetched_at,
    split_part(entry.endpoint, '.', 1) as platform,
    run_id,
    night,
    run_started_at,
    manifest_path
from files
