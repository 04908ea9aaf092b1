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
select
    regexp_extract(filename, '(manifests/date=[^/]+/run=[^/]+/manifest\.json)$', 1) as manifest_path,
    json_extract_string(content, '$.run_id') as run_id,
    cast(json_extract_string(content, '$.night') as date) as night,
    sha256(content) as manifest_sha256,
    {{ sql_string(build_id()) }} as _loaded_in_build
from read_text([
    {%- for path in paths %}
    {{ sql_string(raw_root() ~ '/' ~ path) }}{{ ',' if not loop.last }}
    {%- endfor %}
])
{%- else %}
select
    cast(null as varchar) as manifest_path,
    cast(null as varchar) as run_id,
    cast(null as date) as night,
    cast(null as varchar) as manifest_sha256,
    cast(null as varchar) as _loaded_in_build
where 1 = 0
{%- endif %}
