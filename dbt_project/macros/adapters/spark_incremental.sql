{#-
    ADAPTER-SPECIFIC (Spark): `delete+insert` on plain parquet tables.

    DuckDB deletes the stored rows whose unique key a build brings again and inserts the new
    ones. Spark without Delta or Iceberg (whose jars a locked-down cluster may not have) cannot
    delete rows; it can overwrite partitions. So on Spark a delete+insert model is partitioned
    (`partition_by`, a column its unique key determines, such as a post's date) and a build
    rewrites only the partitions its new rows fall in: the stored rows of those partitions whose
    key is not new, plus the new rows. The cost follows the night's partitions, not the history.
    A model without `partition_by` is rewritten whole, unless none of the new keys is stored
    yet: then the rows are appended (caches keyed by a hash, which only ever add keys, find
    that by reading the key column alone).

    dbt-spark accepts append, insert_overwrite and (Delta/Iceberg only) merge; these two
    overrides of its macros add delete+insert and leave the rest to it.
-#}

{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
    {%- if raw_strategy not in ['append', 'insert_overwrite', 'microbatch', 'merge', 'delete+insert'] -%}
        {%- do exceptions.raise_compiler_error("Invalid incremental strategy provided: " ~ raw_strategy) -%}
    {%- endif -%}
    {%- if raw_strategy == 'merge' and file_format not in ['delta', 'iceberg', 'hudi'] -%}
        {%- do exceptions.raise_compiler_error("merge needs file_format delta, iceberg or hudi; "
            ~ "use delete+insert on parquet") -%}
    {%- endif -%}
    {%- do return(raw_strategy) -%}
{% endmacro %}


{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) %}
    {%- if strategy == 'delete+insert' -%}
        {{ spark_delete_insert_sql(source, target, unique_key) }}
    {%- elif strategy == 'append' -%}
        {{ get_insert_into_sql(source, target) }}
    {%- elif strategy in ['insert_overwrite', 'microbatch'] -%}
        {{ get_insert_overwrite_sql(source, target, existing) }}
    {%- elif strategy == 'merge' -%}
        {{ get_merge_sql(target, source, unique_key, dest_columns=none, incremental_predicates=incremental_predicates) }}
    {%- endif -%}
{% endmacro %}


{#- The new rows and the kept stored rows are written to two work tables first: Spark cannot
    overwrite a table in the statement that reads it. Their names end in __dbt_tmp_*, which
    drop_dbt_tmp_tables() removes should a build die between the statements. -#}
{% macro spark_delete_insert_sql(source, target, unique_key) %}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set partition_by = config.get('partition_by') -%}
    {%- set parts = [] if partition_by is none else ([partition_by] if partition_by is string else partition_by) -%}
    {%- set new = target.incorporate(path={"identifier": target.identifier ~ '__dbt_tmp_new'}) -%}
    {%- set kept = target.incorporate(path={"identifier": target.identifier ~ '__dbt_tmp_kept'}) -%}
    {%- set columns = adapter.get_columns_in_relation(target) | map(attribute='quoted') | join(', ') -%}
    {%- do run_query('drop table if exists ' ~ new) -%}
    {%- do run_query('drop table if exists ' ~ kept) -%}
    {%- do run_query('create table ' ~ new ~ ' using parquet as select * from ' ~ source) -%}
    {%- set overlap -%}
        select 1 from {{ target }} as stored inner join {{ new }} as new
            on {% for key in keys %}new.{{ key }} <=> stored.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
        limit 1
    {%- endset -%}
    {%- if run_query(overlap).rows | length == 0 %}
    insert into table {{ target }}
    select {{ columns }} from {{ new }}
    {%- else -%}
    {%- call statement('kept_rows') -%}
        create table {{ kept }} using parquet as
        select stored.* from {{ target }} as stored
        where not exists (
            select 1 from {{ new }} as new
            where {% for key in keys %}new.{{ key }} <=> stored.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
        )
        {%- if parts %}
        and ({% for p in parts %}stored.{{ p }}{{ ', ' if not loop.last }}{% endfor %}) in (
            select distinct {% for p in parts %}{{ p }}{{ ', ' if not loop.last }}{% endfor %} from {{ new }})
        {%- endif %}
    {%- endcall -%}
    insert overwrite table {{ target }}
    {%- if parts %} partition ({{ parts | join(', ') }}){% endif %}
    select {{ columns }} from {{ kept }}
    union all
    select {{ columns }} from {{ new }}
    {%- endif %}
{% endmacro %}
