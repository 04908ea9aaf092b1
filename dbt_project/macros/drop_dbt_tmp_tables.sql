{#- on-run-end: drop the `<model>__dbt_tmp<timestamp>` tables an incremental Python model
    leaves behind in dbt-duckdb (one per incremental run, in the main schema), so the
    published warehouse holds only the models and nothing grows night after night. -#}
{% macro drop_dbt_tmp_tables() %}
    {% if execute %}
        {% set leftovers = run_query(
            "select table_schema, table_name from information_schema.tables "
            ~ "where table_catalog = current_database() and table_name like '%\\_\\_dbt\\_tmp%' escape '\\'") %}
        {% for row in leftovers.rows %}
            {% do run_query('drop table if exists "' ~ row[0] ~ '"."' ~ row[1] ~ '"') %}
            {% do log("dropped leftover " ~ row[0] ~ "." ~ row[1], info=false) %}
        {% endfor %}
    {% endif %}
{% endmacro %}
