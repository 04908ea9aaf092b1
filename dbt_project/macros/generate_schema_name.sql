{#- Custom schema names are used as they are (staging, intermediate, marts), not prefixed
    with the target schema: the warehouse file has one schema per layer. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
