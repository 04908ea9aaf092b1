{#-
    ADAPTER-SPECIFIC (DuckDB): reading the raw zone in place.

    The raw zone is a tree of gzipped JSON-lines page files and one manifest.json per
    finished extraction run (extract/manifest.py). DuckDB reads them where they lie with
    read_json(), so extraction never has to open (or lock) the warehouse. Another engine would
    point an external table at the same files; only the macros in this file change.

    A glob that matches nothing is an error in read_json(), but a fresh install (or a platform
    with no data yet) must build empty: raw_files_exist() asks DuckDB's glob() first and the
    readers then return a typed, empty relation instead.
-#}

{% macro sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}


{#- The raw root without a trailing slash (relative roots resolve against the working
    directory, i.e. the repository root dbt is started from). -#}
{% macro raw_root() -%}
    {{- return((var('raw_root') | string).rstrip('/')) -}}
{%- endmacro %}


{% macro raw_files_exist(pattern) -%}
    {#- At parse time nothing is read; the answer only matters when SQL is executed. -#}
    {%- if not execute -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- set found = run_query('select count(*) from glob(' ~ sql_string(pattern) ~ ')') -%}
    {{- return(found.columns[0].values()[0] > 0) -}}
{%- endmacro %}


{#- A parenthesised relation over the files matching `pattern`, one row per JSON line, with
    the given (name, type) columns plus `filename`. Keys not listed are ignored, so
    heterogeneous page bodies (kept as JSON) never break schema inference. -#}
{% macro read_json_files(pattern, columns) -%}
    {%- if raw_files_exist(pattern) -%}
    (
        select *
        from read_json(
            {{ sql_string(pattern) }},
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
        -- no file matches {{ pattern }}: an empty relation of the same shape
        select
            {%- for name, type in columns %}
            cast(null as {{ type }}) as {{ adapter.quote(name) }},
            {%- endfor %}
            cast(null as varchar) as filename
        where 1 = 0
    )
    {%- endif -%}
{%- endmacro %}


{#- Every finished run's manifest.json (run.json and journals of unfinished runs are not read). -#}
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
    {{- read_json_files(raw_root() ~ '/manifests/date=*/run=*/manifest.json', columns) -}}
{%- endmacro %}


{#- Every page file landed for one platform (committed or not: the caller keeps only the
    files a finished manifest lists). The body stays JSON; parsing happens in staging. -#}
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
        ('http_status', 'INTEGER'),
        ('fetched_at', 'VARCHAR'),
        ('response_sha256', 'VARCHAR'),
        ('body', 'JSON'),
    ] -%}
    {{- read_json_files(raw_root() ~ '/platform=' ~ platform ~ '/date=*/run=*/*/*.jsonl.gz', columns) -}}
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
