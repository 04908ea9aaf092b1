{#-
    ADAPTER-SPECIFIC (DuckDB): reading the raw zone in place.

    The raw zone is a tree of gzipped JSON-lines page files and one manifest.json per
    finished extraction run (extract/manifest.py). DuckDB reads them where they lie with
    read_json(), so extraction never has to open (or lock) the warehouse. Another engine would
    point an external table at the same files; only the macros in this file change.

    The readers read an explicit list of files, the build's batch (macros/batch.sql): a build
    never lists, let alone reads, the pages earlier builds loaded. An empty batch (a fresh
    install, a platform with no data yet, a rerun with nothing new) builds a typed, empty
    relation.
-#}

{% macro sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}


{#- The raw root without a trailing slash (relative roots resolve against the working
    directory, i.e. the repository root dbt is started from). -#}
{% macro raw_root() -%}
    {{- return((var('raw_root') | string).rstrip('/')) -}}
{%- endmacro %}


{#- A parenthesised relation over the listed files (paths relative to the raw root), one row
    per JSON line, with the given (name, type) columns plus `filename`. Keys not listed are
    ignored, so heterogeneous page bodies (kept as JSON) never break schema inference. An
    empty list gives a typed, empty relation: a build whose batch holds no file of a platform
    reads nothing. -#}
{% macro read_json_files(paths, columns) -%}
    {%- if paths -%}
    (
        select *
        from read_json(
            [
            {%- for path in paths %}
                {{ sql_string(raw_root() ~ '/' ~ path) }}{{ ',' if not loop.last }}
            {%- endfor %}
            ],
            format = 'newline_delimited',
            columns = {
                {%- for name, type in columns %}
                {{ sql_string(name) }}: {{ sql_string(type) }}{{ ',' if not loop.last }}
                {%- endfor %}
            },
            filename = true,
            hive_partitioning = false,
            maximum_object_size = 268435456
        )
    )
    {%- else -%}
    (
        -- no file in this build's batch: an empty relation of the same shape
        select
            {%- for name, type in columns %}
            cast(null as {{ type }}) as {{ adapter.quote(name) }},
            {%- endfor %}
            cast(null as varchar) as filename
        where 1 = 0
    )
    {%- endif -%}
{%- endmacro %}


{#- The manifests this build loaded (stg_raw__loaded_manifests); run.json and journals of
    unfinished runs are never read. -#}
{% macro read_raw_manifests() -%}
    {%- set shard_type -%}
        STRUCT(id VARCHAR, platform VARCHAR, kind VARCHAR, "key" VARCHAR, since VARCHAR,
               "until" VARCHAR, owned BOOLEAN, status VARCHAR, reason VARCHAR,
               reason_kind VARCHAR, pages BIGINT, records BIGINT, malformed_pages BIGINT,
               resume_cursor JSON)
    {%- endset -%}
    {%- set file_type -%}
        STRUCT(path VARCHAR, sha256 VARCHAR, "bytes" BIGINT, records BIGINT, shard VARCHAR,
               page INTEGER, kind VARCHAR, endpoint VARCHAR, http_status INTEGER,
               fetched_at VARCHAR)[]
    {%- endset -%}
    {%- set columns = [
        ('manifest_version', 'INTEGER'),
        ('run_id', 'VARCHAR'),
        ('night', 'VARCHAR'),
        ('interval', 'STRUCT(start VARCHAR, "end" VARCHAR)'),
        ('config', 'STRUCT(path VARCHAR, sha256 VARCHAR, panel_version VARCHAR)'),
        ('code_version', 'STRUCT(git_commit VARCHAR, git_dirty BOOLEAN, package VARCHAR)'),
        ('library_versions', 'MAP(VARCHAR, VARCHAR)'),
        ('platforms', 'VARCHAR[]'),
        ('continues_run', 'VARCHAR'),
        ('started_at', 'VARCHAR'),
        ('finished_at', 'VARCHAR'),
        ('status', 'VARCHAR'),
        ('partial_reasons', 'MAP(VARCHAR, VARCHAR)'),
        ('previous_manifest', 'STRUCT(path VARCHAR, sha256 VARCHAR)'),
        ('requests', 'MAP(VARCHAR, STRUCT(requests BIGINT, retries BIGINT, waited_s DOUBLE))'),
        ('totals', 'STRUCT(files BIGINT, pages BIGINT, records BIGINT, "bytes" BIGINT, malformed_pages BIGINT)'),
        ('shards', 'MAP(VARCHAR, ' ~ (shard_type | replace('\n', ' ')) ~ ')'),
        ('files', file_type | replace('\n', ' ')),
    ] -%}
    {{- read_json_files(batch_manifest_paths(), columns) -}}
{%- endmacro %}


{#- The page files of one platform that the manifests of this build's batch list. The body
    stays JSON; parsing happens in staging. -#}
{% macro read_raw_pages(platform) -%}
    {%- set columns = [
        ('envelope_version', 'INTEGER'),
        ('run_id', 'VARCHAR'),
        ('platform', 'VARCHAR'),
        ('shard', 'VARCHAR'),
        ('shard_kind', 'VARCHAR'),
        ('shard_key', 'VARCHAR'),
        ('page', 'INTEGER'),
        ('endpoint', 'VARCHAR'),
        ('params', 'JSON'),
        ('http_status', 'INTEGER'),
        ('fetched_at', 'VARCHAR'),
        ('response_sha256', 'VARCHAR'),
        ('body', 'JSON'),
    ] -%}
    {{- read_json_files(batch_page_paths(platform), columns) -}}
{%- endmacro %}


{#- The path of a raw file relative to the raw root ("platform=x/date=.../page-00001.jsonl.gz"),
    as the manifest records it, whatever form (relative, absolute) the raw root was given in. -#}
{% macro raw_relative_path(filename_column) -%}
    regexp_extract({{ filename_column }}, '(platform=[^/]+/date=[^/]+/run=[^/]+/[^/]+/[^/]+)$', 1)
{%- endmacro %}


{#- The parsed monitoring config the transform step writes before dbt runs
    ({"sha256": ..., "path": ..., "config": MonitoringConfig as JSON}). Unlike the raw zone
    this file must exist: without it brands and privacy rules are unknown, so the build
    fails here, naming the file. -#}
{% macro read_config_json() -%}
    (
        select sha256, path, config
        from read_json(
            {{ sql_string(var('config_json')) }},
            format = 'auto',
            columns = {'sha256': 'VARCHAR', 'path': 'VARCHAR', 'config': 'JSON'}
        )
    )
{%- endmacro %}


{#- Where a base_* model (the batch's raw pages parsed once, verbatim text) is built: the
    build's scratch database on DuckDB (profiles.yml attaches it as `parse`), the scratch
    schema on Spark (one catalog there); both are dropped after the build. -#}
{% macro scratch_relation() -%}
    {{- return(adapter.dispatch('scratch_relation', 'carepulse')()) -}}
{%- endmacro %}
{% macro duckdb__scratch_relation() -%}
    {{- return({'database': 'parse'}) -}}
{%- endmacro %}
{% macro spark__scratch_relation() -%}
    {{- return({'schema': 'parse'}) -}}
{%- endmacro %}
