{#- Generic data tests (unique, not_null, relationships, accepted_values, ...) check the rows
    this build wrote, not the whole history: a model whose rows carry _loaded_in_build is
    tested on `_loaded_in_build = <this build>`. After a full refresh every row is of this
    build, so everything is tested; on an incremental night the cost follows that night's
    data. Rows of earlier builds were tested by the build that wrote them, and the merges
    keep table-wide keys unique by construction; the marts gate adds table-wide invariants
    computed in DuckDB (row counts, key uniqueness, reconciliation). A test's own `where`
    config still applies. Overrides dbt's get_where_subquery (root-project dispatch). -#}
{% macro duckdb__get_where_subquery(relation) -%}
    {{- return(batch_where_subquery(relation)) -}}
{%- endmacro %}
{% macro spark__get_where_subquery(relation) -%}
    {{- return(batch_where_subquery(relation)) -}}
{%- endmacro %}
{% macro batch_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do conditions.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- if execute and relation is not string and relation.identifier -%}
        {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
        {%- if '_loaded_in_build' in names -%}{%- do conditions.append(in_batch()) -%}{%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
