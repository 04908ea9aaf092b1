{{ config(
    materialized='incremental',
    unique_key='shard_run_key',
    incremental_strategy='append',
    on_schema_change='fail'
) }}
-- One row per shard per finished extraction run: its status and, when partial, the reason
-- and its kind (quota_exhausted, auth_failed, ...), with the pages and records it landed.
-- Incremental: a build appends the shards of the manifests it loaded.
select
    run_id || ':' || shard_id as shard_run_key,
    run_id,
    night,
    run_started_at,
    shard_id,
    platform,
    shard_kind,
    shard_key,
    is_owned_account,
    window_start,
    window_end,
    status,
    reason_kind,
    reason,
    has_resume_cursor,
    pages,
    records,
    malformed_pages,
    {{ sql_string(build_id()) }} as _loaded_in_build
from {{ ref('src_raw__manifest_shards') }}
