{{ config(
    materialized='incremental',
    unique_key='manifest_path',
    incremental_strategy='append',
    on_schema_change='fail'
) }}
-- The ledger of loaded extraction runs: one row per finished manifest a build has loaded,
-- keyed by its path, with its run id, the sha256 of its bytes as read and the build that
-- loaded it. Each build adds only the manifests not yet here; everything downstream reads
-- the pages of those manifests alone (macros/batch.sql).
{%- set paths = new_manifest_paths(this if is_incremental() else none) %}
{%- if paths %}
{%- set files = [] %}{% for path in paths %}{% do files.append(raw_root() ~ '/' ~ path) %}{% endfor %}
select
    {{ manifest_path('filename') }} as manifest_path,
    {{ json_str('document', '$.run_id') }} as run_id,
    cast({{ json_str('document', '$.night') }} as date) as night,
    {{ sha256_hex('content') }} as manifest_sha256,
    {{ sql_string(build_id()) }} as _loaded_in_build
from {{ read_text_files(files) }} as manifests
{%- else %}
select
    cast(null as string) as manifest_path,
    cast(null as string) as run_id,
    cast(null as date) as night,
    cast(null as string) as manifest_sha256,
    cast(null as string) as _loaded_in_build
where 1 = 0
{%- endif %}
