{#- What the intermediate models need that DuckDB and Spark spell differently. -#}


{#- Minute boundaries between two timestamps (DuckDB's date_diff: 10:00:50 to 10:01:10 is 1).
    dbt-spark's datediff rounds the seconds between them up instead. -#}
{% macro minutes_between(first_ts, second_ts) -%}
    {{- adapter.dispatch('minutes_between', 'carepulse')(first_ts, second_ts) -}}
{%- endmacro %}
{% macro default__minutes_between(first_ts, second_ts) -%}
    {{ dbt.datediff(first_ts, second_ts, 'minute') }}
{%- endmacro %}
{% macro spark__minutes_between(first_ts, second_ts) -%}
    timestampdiff(MINUTE, date_trunc('MINUTE', {{ first_ts }}), date_trunc('MINUTE', {{ second_ts }}))
{%- endmacro %}


{#- A hook's SQL deleting the rows of the model's table where `condition` holds. -#}
{% macro delete_rows(condition) -%}
    {{- adapter.dispatch('delete_rows', 'carepulse')(condition) -}}
{%- endmacro %}
{% macro default__delete_rows(condition) -%}
    delete from {{ this }} where {{ condition }}
{%- endmacro %}

{#- Spark cannot delete from a parquet table: the partitions (`partition_by`) holding such
    rows are rewritten without them, those left empty are dropped; a table without
    partition_by is rewritten whole. The work is done while the hook renders (Spark cannot
    overwrite a table in the statement that reads it); the hook's own statement drops the
    work tables. A partition value is written as a string literal: Spark casts it to the
    column's type. -#}
{% macro spark__delete_rows(condition) -%}
    {%- if not execute -%}{{- return('') -}}{%- endif -%}
    {%- set partition_by = config.get('partition_by') -%}
    {%- set parts = [] if partition_by is none else ([partition_by] if partition_by is string else partition_by) -%}
    {%- set hit = this.incorporate(path={"identifier": this.identifier ~ '__dbt_tmp_delete_hit'}) -%}
    {%- set kept = this.incorporate(path={"identifier": this.identifier ~ '__dbt_tmp_delete_kept'}) -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='quoted') | join(', ') -%}
    {%- do run_query('drop table if exists ' ~ hit) -%}
    {%- do run_query('drop table if exists ' ~ kept) -%}
    {%- if parts -%}
        {%- set part_list = parts | join(', ') -%}
        {%- do run_query('create table ' ~ hit ~ ' using parquet as select distinct ' ~ part_list
            ~ ' from ' ~ this ~ ' where ' ~ condition) -%}
        {%- set hits = run_query('select count(*) from ' ~ hit).columns[0].values()[0] -%}
        {%- if hits > 0 -%}
        {%- set same = [] -%}
        {%- for p in parts -%}{%- do same.append('hit.' ~ p ~ ' <=> stored.' ~ p) -%}{%- endfor -%}
        {%- do run_query('create table ' ~ kept ~ ' using parquet as select * from ' ~ this ~ ' as stored'
            ~ ' where exists (select 1 from ' ~ hit ~ ' as hit where ' ~ same | join(' and ') ~ ')'
            ~ ' and not coalesce(' ~ condition ~ ', false)') -%}
        {%- set emptied = run_query('select ' ~ part_list ~ ' from ' ~ hit ~ ' except select distinct '
            ~ part_list ~ ' from ' ~ kept) -%}
        {%- for row in emptied.rows -%}
            {%- set spec = [] -%}
            {%- for p in parts -%}
                {%- if row[loop.index0] is none -%}
                    {%- do exceptions.raise_compiler_error("delete_rows: " ~ this ~ " would empty its NULL "
                        ~ p ~ " partition, which ALTER TABLE cannot name") -%}
                {%- endif -%}
                {%- do spec.append(p ~ ' = ' ~ sql_string(row[loop.index0])) -%}
            {%- endfor -%}
            {%- do run_query('alter table ' ~ this ~ ' drop if exists partition (' ~ spec | join(', ') ~ ')') -%}
        {%- endfor -%}
        {%- do run_query('insert overwrite table ' ~ this ~ ' partition (' ~ part_list ~ ') select '
            ~ columns ~ ' from ' ~ kept) -%}
        {%- endif -%}
    {%- else -%}
        {%- do run_query('create table ' ~ kept ~ ' using parquet as select * from ' ~ this
            ~ ' where not coalesce(' ~ condition ~ ', false)') -%}
        {%- do run_query('insert overwrite table ' ~ this ~ ' select ' ~ columns ~ ' from ' ~ kept) -%}
    {%- endif -%}
    {%- do run_query('drop table if exists ' ~ hit) -%}
    drop table if exists {{ kept }}
{%- endmacro %}


{#- Pre hook of a post-keyed incremental model: drop the rows of the posts this build changed
    (batch.sql, forget_changed_posts, through delete_rows). -#}
{% macro delete_changed_posts(snapshots=false) -%}
    {%- if is_incremental() -%}
    {{ delete_rows('post_key in (' ~ unified_changes(snapshots) ~ ')') }}
    {%- endif -%}
{%- endmacro %}


{#- Post hook of int_posts_unified: posts the privacy screen held back in this build leave. -#}
{% macro delete_held_back_posts() -%}
    {{ delete_rows("post_key in (select natural_key from " ~ ref('stg_quarantine') ~ " where "
        ~ in_batch() ~ " and entity <> 'author_profile')") }}
{%- endmacro %}


{#- Post hook of a delete+insert model partitioned by its build stamp: DuckDB's delete+insert
    removed the stored rows of the keys it wrote; Spark's rewrote only the build's own
    partition, so the older copies of those keys, in older builds' partitions, go here. -#}
{% macro delete_superseded_rows(key) -%}
    {{- adapter.dispatch('delete_superseded_rows', 'carepulse')(key) -}}
{%- endmacro %}
{% macro default__delete_superseded_rows(key) %}{% endmacro %}
{% macro spark__delete_superseded_rows(key) -%}
    {%- if is_incremental() -%}
    {{ delete_rows('not ' ~ in_batch() ~ ' and ' ~ key ~ ' in (select ' ~ key ~ ' from ' ~ this ~ ' where ' ~ in_batch() ~ ')') }}
    {%- endif -%}
{%- endmacro %}


{#- The partition column of the post-keyed incremental models on Spark: the build stamp, so a
    night's reads of "rows this build wrote" (in_batch) touch one partition and its deletes
    rewrite the partitions of the few builds whose posts changed. DuckDB tables have none. -#}
{% macro build_partition() -%}
    {{- return(adapter.dispatch('build_partition', 'carepulse')()) -}}
{%- endmacro %}
{% macro default__build_partition() -%}{{- return(none) -}}{%- endmacro %}
{% macro spark__build_partition() -%}{{- return('_loaded_in_build') -}}{%- endmacro %}
