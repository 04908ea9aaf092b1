{#-
    ADAPTER-SPECIFIC (Spark): how a dbt Python model's DataFrame becomes a table.

    dbt-spark's py_write_table writes delta by default (whose jars a plain Spark may not have)
    and ignores partition_by. This one writes parquet like the SQL models, partitioned by the
    model's partition_by so that delete+insert (spark_incremental.sql) rewrites only the
    partitions a build touched. The model runs in this process (transform/spark_models.py).
    dbt-spark and dbt-duckdb both call a macro of this name (with different arguments): a
    project macro overrides both, so DuckDB's call goes back to dbt-duckdb's own.
-#}
{% macro py_write_table(compiled_code, target_relation=none, temporary=none, relation=none,
                        partitioned_by=none, sorted_by=none) %}
{%- if target.type != 'spark' -%}
{{ return(dbt.py_write_table(temporary=temporary, relation=relation, compiled_code=compiled_code,
                             partitioned_by=partitioned_by, sorted_by=sorted_by)) }}
{%- endif -%}
{%- set partition_by = config.get('partition_by') or [] -%}
{%- set partition_by = [partition_by] if partition_by is string else partition_by -%}
{{ compiled_code }}
# --- dbt materialization (dbt_project/macros/adapters/spark_python_models.sql) --- #
df = model(dbtObj(spark.table), spark)
df.write.mode("overwrite").format({{ config.get('file_format', 'parquet') | tojson }}){% if partition_by %}.partitionBy(*{{ partition_by | tojson }}){% endif %}.saveAsTable({{ target_relation | string | tojson }})
{%- endmacro -%}
