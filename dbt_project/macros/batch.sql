{#- The build's batch: what one build loads, so that a night's cost depends on that night's data.

    stg_raw__loaded_manifests records every finished manifest a build has loaded, with the
    build that loaded it (loaded_in_build). A build reads only the manifests it adds there and
    only the page files those manifests list: no page is parsed again by a later build.
    `dbt build --full-refresh` rebuilds the ledger too, so every manifest is then part of the
    batch and history is reprocessed from the raw zone (a new redaction rule, a parser fix).

    build_id: one value for every dbt invocation of one build. A plain `dbt build` is one
    invocation; the DAG's Cosmos tasks are one invocation each and pass the Airflow run id as
    var build_id so that they all see the same batch. -#}
{% macro build_id() -%}
    {{- return(var('build_id', invocation_id) | string) -}}
{%- endmacro %}


{#- Rows stamped by this build (the column every incremental model carries). -#}
{% macro in_batch(column='_loaded_in_build') -%}
    {{ column }} = {{ sql_string(build_id()) }}
{%- endmacro %}


{#- Finished manifests under the raw root that the ledger does not hold yet, as paths relative
    to the raw root (a listing of file names: no manifest is read to find them). -#}
{% macro new_manifest_paths(ledger) -%}
    {%- if not execute -%}{{- return([]) -}}{%- endif -%}
    {%- set listed -%}
        select regexp_extract(file, '(manifests/date=[^/]+/run=[^/]+/manifest\.json)$', 1) as path
        from glob({{ sql_string(raw_root() ~ '/manifests/date=*/run=*/manifest.json') }})
    {%- endset -%}
    {%- set query -%}
        select path from ({{ listed }}) as listed
        {%- if ledger is not none %}
        where path not in (select manifest_path from {{ ledger }})
        {%- endif %}
        order by path
    {%- endset -%}
    {{- return(run_query(query).columns[0].values() | list) -}}
{%- endmacro %}


{#- Paths (relative to the raw root) of the manifests this build loaded, from the ledger. -#}
{% macro batch_manifest_paths() -%}
    {%- if not execute -%}{{- return([]) -}}{%- endif -%}
    {%- set query -%}
        select manifest_path from {{ ref('stg_raw__loaded_manifests') }}
        where {{ in_batch() }} order by manifest_path
    {%- endset -%}
    {{- return(run_query(query).columns[0].values() | list) -}}
{%- endmacro %}


{#- Page files of one platform listed by the manifests this build loaded. -#}
{% macro batch_page_paths(platform) -%}
    {%- if not execute -%}{{- return([]) -}}{%- endif -%}
    {%- set query -%}
        select path from {{ ref('stg_raw__manifest_files') }}
        where {{ in_batch() }} and platform = {{ sql_string(platform) }} and kind = 'page'
        order by path
    {%- endset -%}
    {{- return(run_query(query).columns[0].values() | list) -}}
{%- endmacro %}
