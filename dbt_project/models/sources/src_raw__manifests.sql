{#- One row per finished extraction run: its manifest.json, read in place. A run whose
    manifest was never written (crashed, or still running) has no row here, so nothing it
    landed is visible downstream until it is resumed and finished.
    Maps and lists of the manifest are flattened here so that staging stays plain SQL. -#}
-- depends_on: {{ source('raw_zone', 'manifests') }}
-- depends_on: {{ ref('stg_raw__loaded_manifests') }}
with manifests as (
    select * from {{ read_raw_manifests() }}
)

select
    {{ manifest_path('filename') }} as manifest_path,
    run_id,
    cast(night as date) as night,
    manifest_version,
    status,
    {{ iso_to_utc('started_at') }} as started_at,
    {{ iso_to_utc('finished_at') }} as finished_at,
    {{ iso_to_utc(adapter.quote('interval') ~ '.' ~ adapter.quote('start')) }} as interval_start,
    {{ iso_to_utc(adapter.quote('interval') ~ '.' ~ adapter.quote('end')) }} as interval_end,
    continues_run,
    config.path as config_path,
    config.sha256 as config_sha256,
    config.panel_version as panel_version,
    code_version.git_commit as code_git_commit,
    code_version.git_dirty as code_git_dirty,
    code_version.package as code_package_version,
    cast(to_json(library_versions) as string) as library_versions_json,
    {{ list_sorted_joined('platforms', "','") }} as platforms,
    cardinality(shards) as shards,
    {{ list_count_where('map_values(shards)', 's', "s.status = 'complete'") }} as shards_complete,
    coalesce(cardinality(partial_reasons), 0) as shards_partial,
    cast(to_json(partial_reasons) as string) as partial_reasons_json,
    totals.files as total_files,
    totals.pages as total_pages,
    totals.records as total_records,
    totals.{{ adapter.quote('bytes') }} as total_bytes,
    totals.malformed_pages as total_malformed_pages,
    coalesce({{ list_sum_of('map_values(requests)', 'r', 'r.requests', 'cast(0 as bigint)') }}, 0) as total_requests,
    coalesce({{ list_sum_of('map_values(requests)', 'r', 'r.retries', 'cast(0 as bigint)') }}, 0) as total_retries,
    coalesce({{ list_sum_of('map_values(requests)', 'r', 'r.waited_s', 'cast(0 as double)') }}, 0) as total_waited_s,
    previous_manifest.path as previous_manifest_path,
    previous_manifest.sha256 as previous_manifest_sha256,
    shards as shard_map,
    files as file_list
from manifests
