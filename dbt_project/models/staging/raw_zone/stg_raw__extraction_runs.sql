-- One row per finished extraction run (one manifest.json): what ran, for which night, with
-- which config and code, and how it ended. The data-health mart reads it.
with manifests as (
    select * from {{ ref('src_raw__manifests') }}
)

select
    run_id,
    night,
    status,
    started_at,
    finished_at,
    interval_start,
    interval_end,
    continues_run,
    -- a rerun or a continuation adds a run; staging prefers the latest run per natural key
    row_number() over (partition by night order by started_at, run_id) as run_sequence_in_night,
    row_number() over (partition by night order by started_at desc, run_id desc) = 1 as is_latest_run_of_night,
    config_path,
    config_sha256,
    panel_version,
    code_git_commit,
    code_git_dirty,
    code_package_version,
    library_versions_json,
    platforms,
    shards,
    shards_complete,
    shards_partial,
    -- shard id -> reason for every shard that did not complete (reasons are already masked)
    partial_reasons_json,
    total_files,
    total_pages,
    total_records,
    total_bytes,
    total_malformed_pages,
    total_requests,
    total_retries,
    total_waited_s,
    previous_manifest_path,
    previous_manifest_sha256,
    manifest_path
from manifests
