{{ config(
    materialized='incremental',
    unique_key='night',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per finished extraction run (one manifest.json): what ran, for which night, with
-- which config and code, and how it ended. The data-health mart reads it.
-- Incremental: a build rewrites the nights its loaded manifests belong to (their runs' order
-- within the night can change when a rerun or an older run arrives), from the runs already
-- here plus the new ones; the manifests of earlier builds are not read again.
{%- set run_columns = [
    'run_id', 'night', 'status', 'started_at', 'finished_at', 'interval_start', 'interval_end',
    'continues_run', 'config_path', 'config_sha256', 'panel_version', 'code_git_commit',
    'code_git_dirty', 'code_package_version', 'library_versions_json', 'platforms', 'shards',
    'shards_complete', 'shards_partial', 'partial_reasons_json', 'total_files', 'total_pages',
    'total_records', 'total_bytes', 'total_malformed_pages', 'total_requests', 'total_retries',
    'total_waited_s', 'previous_manifest_path', 'previous_manifest_sha256', 'manifest_path',
] %}
with new_runs as (
    select {{ run_columns | join(', ') }}, {{ sql_string(build_id()) }} as _loaded_in_build
    from {{ ref('src_raw__manifests') }}
),

runs as (
    select * from new_runs
    {% if is_incremental() %}
    union all
    -- the runs loaded earlier for the same nights
    select {{ run_columns | join(', ') }}, _loaded_in_build
    from {{ this }}
    where night in (select night from new_runs)
        and run_id not in (select run_id from new_runs)
    {% endif %}
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
    {{ run_columns[8:] | join(',\n    ') }},
    _loaded_in_build
from runs
