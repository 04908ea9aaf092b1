{{ config(
    materialized='incremental',
    unique_key='path',
    incremental_strategy='append',
    on_schema_change='fail'
) }}
-- One row per file listed in a finished manifest: the evidence index. Every staging row's
-- _source_file / _source_sha256 points at a row here. Incremental: a build appends the files
-- of the manifests it loaded (its batch, macros/batch.sql), marked _loaded_in_build.
select
    path,
    sha256,
    size_bytes,
    records,
    kind,
    platform,
    endpoint,
    http_status,
    shard_id,
    page,
    fetched_at,
    run_id,
    night,
    run_started_at,
    manifest_path,
    {{ sql_string(build_id()) }} as _loaded_in_build
from {{ ref('src_raw__manifest_files') }}
