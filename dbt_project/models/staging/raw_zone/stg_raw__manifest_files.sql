-- One row per file listed in a finished manifest: the evidence index. Every staging row's
-- _source_file / _source_sha256 points at a row here.
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
    manifest_path
from {{ ref('src_raw__manifest_files') }}
