{#- The committed pages of one platform in this build's batch, with their lineage: the page
    files the manifests this build loaded list (read in place by read_raw_pages), each read
    once in its life. Each page file holds one envelope line, so _source_line is 1.
    A page whose envelope names another run than the manifest that lists it (a file copied
    or moved into another run's folder would break the evidence chain) fails the build,
    named, in this same read. -#}
{% macro raw_pages(platform) -%}
with landed as (
    select * from {{ read_raw_pages(platform) }}
),

committed as (
    select * from {{ ref('stg_raw__manifest_files') }}
    where platform = '{{ platform }}' and kind = 'page' and {{ in_batch() }}
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
    -- the request's parameters (without secrets): which post a page of comments is for
    landed.params as request_params,
    landed.body
from landed
inner join committed
    on committed.path = {{ raw_relative_path('landed.filename') }}
where case
    when landed.run_id is not distinct from committed.run_id then true
    else {{ fail_build("'raw page ' || committed.path || ' names run ' || coalesce(landed.run_id, 'none')
               || ' but is listed by the manifest of run ' || committed.run_id") }}
end
{%- endmacro %}
