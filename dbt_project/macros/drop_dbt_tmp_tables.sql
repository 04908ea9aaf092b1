{#- on-run-end: drop the work tables a build leaves behind, so the published warehouse holds
    only the models and nothing grows night after night: dbt-duckdb's
    `<model>__dbt_tmp<timestamp>` tables of incremental Python models (main schema), and on
    Spark the `__dbt_tmp_*` tables of delete+insert and of delete_rows (macros/intermediate.sql)
    should a build die between their statements. -#}
{% macro drop_dbt_tmp_tables() %}
    {% if execute %}
        {{ adapter.dispatch('drop_dbt_tmp_tables', 'carepulse')() }}
    {% endif %}
{% endmacro %}

{% macro default__drop_dbt_tmp_tables() %}
    {% set leftovers = run_query(
        "select table_schema, table_name from information_schema.tables "
        ~ "where table_catalog = current_database() and table_name like '%\\_\\_dbt\\_tmp%' escape '\\'") %}
    {% for row in leftovers.rows %}
        {% do run_query('drop table if exists "' ~ row[0] ~ '"."' ~ row[1] ~ '"') %}
        {% do log("dropped leftover " ~ row[0] ~ "." ~ row[1], info=false) %}
    {% endfor %}
{% endmacro %}

{#- The project's schemas (those of its models and seeds that exist); temporary views are the
    session's own and go with it. -#}
{% macro spark__drop_dbt_tmp_tables() %}
    {% set existing = run_query('show schemas').columns[0].values() | map('lower') | list %}
    {% set schemas = graph.nodes.values() | selectattr('resource_type', 'in', ['model', 'seed'])
        | map(attribute='schema') | map('lower') | unique | list %}
    {% for schema in schemas | sort if schema in existing %}
        {% set leftovers = run_query("show tables in " ~ schema ~ " like '*__dbt_tmp*'") %}
        {% for row in leftovers.rows if not row['isTemporary'] %}
            {% do run_query('drop table if exists ' ~ schema ~ '.' ~ row['tableName']) %}
            {% do log("dropped leftover " ~ schema ~ "." ~ row['tableName'], info=false) %}
        {% endfor %}
    {% endfor %}
{% endmacro %}
