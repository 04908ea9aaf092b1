{#- The committed pages of one platform with their lineage: every page file read in place
    (read_raw_pages), kept only when a finished manifest lists it as a page. Each page file
    holds one envelope line, so _source_line is 1. -#}
{% macro raw_pages(platform) -%}
with landed as (
    select * from {{ read_raw_pages(platform) }}
),

committed as (
    select * from {{ ref('src_raw__manifest_files') }}
    where platform = '{{ platform }}' and kind = 'page'
)

select
    committed.path as _source_file,
    committed.sha256 as _source_sha256,
    1 as _source_line,
    committed.run_id as _run_id,
    committed.fetched_at as _extracted_at,
    committed.run_started_at as _run_started_at,
    committed.night as snapshot_date,
    committed.endpoint,
    committed.shard_id,
    landed.shard_kind,
    landed.shard_key,
    committed.page,
    landed.run_id as envelope_run_id,
    landed.body
from landed
inner join committed
    on committed.path = {{ raw_relative_path('landed.filename') }}
{%- endmacro %}
