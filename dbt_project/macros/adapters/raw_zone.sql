{#-
    ADAPTER-SPECIFIC: reading the raw zone in place.

    The raw zone is a tree of gzipped JSON-lines page files and one manifest.json per
    finished extraction run (extract/manifest.py). DuckDB reads them where they lie with
    read_json(); Spark reads the same files as text (pages) or whole files (manifests) and
    parses each line once with from_json() and an explicit schema, JSON parts as VARIANT.
    Extraction never has to open (or lock) the warehouse; only the macros here and in
    batch.sql know how files are read.

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
{% macro read_json_files(paths, columns, whole_file=false) -%}
    {{- adapter.dispatch('read_json_files', 'carepulse')(paths, columns, whole_file) -}}
{%- endmacro %}
{% macro duckdb__read_json_files(paths, columns, whole_file) -%}
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

{#- Spark: the listed files as one Hadoop glob ('<root>/{a,b}'), so no file outside the batch
    is listed; a page file (gzipped, one JSON line) is read as text, a manifest (whole_file)
    as one binary value. -#}
{% macro spark__read_json_files(paths, columns, whole_file) -%}
    {%- set schema -%}
        struct<{%- for name, type in columns -%}`{{ name }}`:{{ type }}{{ ',' if not loop.last }}{%- endfor -%}>
    {%- endset -%}
    {%- if paths -%}
    (
        select parsed.r.*, parsed.filename
        from (
            select
                from_json({{ 'cast(content as string)' if whole_file else 'value' }}, {{ sql_string(schema) }}) as r,
                {{ 'path' if whole_file else '_metadata.file_path' }} as filename
            from {{ 'binaryFile' if whole_file else 'text' }}.`{{ spark_path_glob(paths) }}`
        ) as parsed
    )
    {%- else -%}
    (
        -- no file in this build's batch: an empty relation of the same shape
        select
            {%- for name, type in columns %}
            cast(null as {{ type }}) as `{{ name }}`,
            {%- endfor %}
            cast(null as string) as filename
        where 1 = 0
    )
    {%- endif -%}
{%- endmacro %}

{#- '<raw root>/{path,path,...}' for paths relative to the raw root. -#}
{% macro spark_path_glob(paths) -%}
    {{- spark_file_glob(paths, raw_root()) -}}
{%- endmacro %}

{#- One Hadoop glob naming exactly these files: '<common folder>/{rest,rest,...}'. A path with
    a glob or quoting character would be read as a pattern, so it fails the build, named
    (extraction writes none). -#}
{% macro spark_file_glob(paths, root=none, patterns=false) -%}
    {%- if root is none -%}
        {%- set parts = paths[0].split('/') -%}
        {%- set ns = namespace(n=parts | length - 1) -%}
        {%- for path in paths -%}
            {%- set other = path.split('/') -%}
            {%- for i in range(ns.n) -%}
                {%- if i >= other | length - 1 or other[i] != parts[i] -%}{%- set ns.n = [ns.n, i] | min -%}{%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- set root = parts[:ns.n] | join('/') -%}
        {%- set paths = paths | map('replace', root ~ '/', '', 1) | list -%}
    {%- endif -%}
    {%- for path in paths if not patterns -%}
        {%- for c in ['{', '}', '[', ']', '*', '?', ',', '\\', '`'] -%}
            {%- if c in path -%}
                {{- exceptions.raise_compiler_error("raw file path " ~ path ~ " holds '" ~ c ~ "', which Spark reads as a pattern") -}}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{- root ~ '/{' ~ (paths | join(',')) ~ '}' -}}
{%- endmacro %}


{#- The manifests this build loaded (stg_raw__loaded_manifests); run.json and journals of
    unfinished runs are never read. -#}
{% macro read_raw_manifests() -%}
    {{- read_json_files(batch_manifest_paths(), raw_manifest_columns(), whole_file=true) -}}
{%- endmacro %}

{#- manifest.json's fields as (name, type) in the engine's type syntax. -#}
{% macro raw_manifest_columns() -%}
    {{- return(adapter.dispatch('raw_manifest_columns', 'carepulse')()) -}}
{%- endmacro %}
{% macro duckdb__raw_manifest_columns() -%}
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
    {{- return([
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
    ]) -}}
{%- endmacro %}
{% macro spark__raw_manifest_columns() -%}
    {{- return([
        ('manifest_version', 'int'),
        ('run_id', 'string'),
        ('night', 'string'),
        ('interval', 'struct<`start`:string,`end`:string>'),
        ('config', 'struct<path:string,sha256:string,panel_version:string>'),
        ('code_version', 'struct<git_commit:string,git_dirty:boolean,package:string>'),
        ('library_versions', 'map<string,string>'),
        ('platforms', 'array<string>'),
        ('continues_run', 'string'),
        ('started_at', 'string'),
        ('finished_at', 'string'),
        ('status', 'string'),
        ('partial_reasons', 'map<string,string>'),
        ('previous_manifest', 'struct<path:string,sha256:string>'),
        ('requests', 'map<string,struct<requests:bigint,retries:bigint,waited_s:double>>'),
        ('totals', 'struct<files:bigint,pages:bigint,records:bigint,`bytes`:bigint,malformed_pages:bigint>'),
        ('shards', 'map<string,struct<id:string,platform:string,kind:string,`key`:string,since:string,'
                   ~ '`until`:string,owned:boolean,status:string,reason:string,reason_kind:string,pages:bigint,'
                   ~ 'records:bigint,malformed_pages:bigint,resume_cursor:variant>>'),
        ('files', 'array<struct<path:string,sha256:string,`bytes`:bigint,records:bigint,shard:string,'
                  ~ 'page:int,kind:string,endpoint:string,http_status:int,fetched_at:string>>'),
    ]) -}}
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
    {{- read_json_files(batch_page_paths(platform), engine_types(columns)) -}}
{%- endmacro %}

{#- (name, DuckDB type) columns in the engine's type names (the simple types only). -#}
{% macro engine_types(columns) -%}
    {{- return(adapter.dispatch('engine_types', 'carepulse')(columns)) -}}
{%- endmacro %}
{% macro duckdb__engine_types(columns) -%}
    {{- return(columns) -}}
{%- endmacro %}
{% macro spark__engine_types(columns) -%}
    {%- set names = {'INTEGER': 'int', 'BIGINT': 'bigint', 'VARCHAR': 'string', 'JSON': 'variant',
                     'BOOLEAN': 'boolean', 'DOUBLE': 'double'} -%}
    {%- set out = [] -%}
    {%- for name, type in columns -%}{%- do out.append((name, names[type])) -%}{%- endfor -%}
    {{- return(out) -}}
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
    {{- adapter.dispatch('read_config_json', 'carepulse')() -}}
{%- endmacro %}
{% macro duckdb__read_config_json() -%}
    (
        select sha256, path, config
        from read_json(
            {{ sql_string(var('config_json')) }},
            format = 'auto',
            columns = {'sha256': 'VARCHAR', 'path': 'VARCHAR', 'config': 'JSON'}
        )
    )
{%- endmacro %}
{% macro spark__read_config_json() -%}
    (
        select parsed.r.sha256, parsed.r.path, parsed.r.config
        from (
            select from_json(cast(content as string), 'struct<sha256:string,path:string,config:variant>') as r
            from binaryFile.`{{ var('config_json') }}`
        ) as parsed
    )
{%- endmacro %}


{#- Whole files (absolute paths) as (filename, content, document): the text and its JSON. -#}
{% macro read_text_files(paths) -%}
    {{- adapter.dispatch('read_text_files', 'carepulse')(paths) -}}
{%- endmacro %}
{% macro duckdb__read_text_files(paths) -%}
    (
        select filename, content, cast(content as json) as document
        from read_text([
            {%- for path in paths %}
            {{ sql_string(path) }}{{ ',' if not loop.last }}
            {%- endfor %}
        ])
    )
{%- endmacro %}
{% macro spark__read_text_files(paths) -%}
    (
        select filename, content, try_parse_json(content) as document
        from (
            {%- if hidden_to_spark(paths) %}
            -- Spark's file sources never show `_manifest.json`: read through the local file system
            select path as filename, local_text(path) as content
            from (select explode(array({% for p in paths %}{{ sql_string(p) }}{{ ', ' if not loop.last }}{% endfor %})) as path) as listed
            {%- else %}
            select path as filename, cast(content as string) as content
            from binaryFile.`{{ spark_file_glob(paths) }}`
            {%- endif %}
        ) as files
    )
{%- endmacro %}

{#- Whether Spark's file sources skip any of these files (a name starting with `_` or `.`). -#}
{% macro hidden_to_spark(paths) -%}
    {%- set hidden = [] -%}
    {%- for path in paths if path.split('/')[-1][:1] in ['_', '.'] -%}{%- do hidden.append(path) -%}{%- endfor -%}
    {{- return(hidden | length > 0) -}}
{%- endmacro %}


{#- Fails the statement, with `message` (an SQL string expression), where it is evaluated. -#}
{% macro fail_build(message) -%}
    {{- adapter.dispatch('fail_build', 'carepulse')(message) -}}
{%- endmacro %}
{% macro duckdb__fail_build(message) -%}
    error({{ message }})
{%- endmacro %}
{% macro spark__fail_build(message) -%}
    raise_error({{ message }})
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
