{#-
    ADAPTER-SPECIFIC: JSON access for parsing raw page bodies.

    Models call these macros with SQL/JSON paths ('$.a.b', '$.items[*].id'); the DuckDB
    implementations are below and another engine adds its own `<adapter>__json_*` macro
    (adapter.dispatch picks it). Values that do not cast come back NULL rather than failing
    the night: a malformed field is visible as a NULL, the raw page keeps what was sent.
-#}

{% macro json_str(expr, path) -%}
    {{- adapter.dispatch('json_str', 'carepulse')(expr, path) -}}
{%- endmacro %}
{% macro duckdb__json_str(expr, path) -%}
    json_extract_string({{ expr }}, {{ sql_string(path) }})
{%- endmacro %}


{% macro json_int(expr, path) -%}
    {{- adapter.dispatch('json_int', 'carepulse')(expr, path) -}}
{%- endmacro %}
{#- Accepts JSON numbers and numeric strings alike (YouTube sends counts as strings). -#}
{% macro duckdb__json_int(expr, path) -%}
    try_cast(json_extract_string({{ expr }}, {{ sql_string(path) }}) as bigint)
{%- endmacro %}


{% macro json_float(expr, path) -%}
    {{- adapter.dispatch('json_float', 'carepulse')(expr, path) -}}
{%- endmacro %}
{% macro duckdb__json_float(expr, path) -%}
    try_cast(json_extract_string({{ expr }}, {{ sql_string(path) }}) as double)
{%- endmacro %}


{% macro json_bool(expr, path) -%}
    {{- adapter.dispatch('json_bool', 'carepulse')(expr, path) -}}
{%- endmacro %}
{% macro duckdb__json_bool(expr, path) -%}
    try_cast(json_extract_string({{ expr }}, {{ sql_string(path) }}) as boolean)
{%- endmacro %}


{#- A JSON sub-document (object or array), still JSON. -#}
{% macro json_obj(expr, path) -%}
    {{- adapter.dispatch('json_obj', 'carepulse')(expr, path) -}}
{%- endmacro %}
{% macro duckdb__json_obj(expr, path) -%}
    json_extract({{ expr }}, {{ sql_string(path) }})
{%- endmacro %}


{#- A list of strings from a wildcard path ('$.tags[*].name'); empty when absent. -#}
{% macro json_str_list(expr, path) -%}
    {{- adapter.dispatch('json_str_list', 'carepulse')(expr, path) -}}
{%- endmacro %}
{% macro duckdb__json_str_list(expr, path) -%}
    coalesce(json_extract_string({{ expr }}, {{ sql_string(path) }}), cast([] as varchar[]))
{%- endmacro %}


{% macro json_array_len(expr, path) -%}
    {{- adapter.dispatch('json_array_len', 'carepulse')(expr, path) -}}
{%- endmacro %}
{% macro duckdb__json_array_len(expr, path) -%}
    coalesce(json_array_length({{ expr }}, {{ sql_string(path) }}), 0)
{%- endmacro %}


{#- Unnesting a JSON array into rows, in a SELECT list:
        select pages.*,
               {{ json_unnest_index('pages.body', '$.items') }} as _item_index,
               {{ json_unnest('pages.body', '$.items') }} as video
        from pages
    gives one row per element of the array at `path` (JSON) with its 0-based position; no
    row when the path is missing, null or not an array. ('$' for a document that is an
    array.) In DuckDB a select-list unnest avoids the lateral join a table function needs,
    which joins back on the whole page body. -#}
{% macro json_unnest(expr, path) -%}
    {{- adapter.dispatch('json_unnest', 'carepulse')(expr, path) -}}
{%- endmacro %}
{% macro duckdb__json_unnest(expr, path) -%}
    unnest(json_extract({{ expr }}, {{ sql_string(path ~ '[*]') }}))
{%- endmacro %}

{% macro json_unnest_index(expr, path) -%}
    {{- adapter.dispatch('json_unnest_index', 'carepulse')(expr, path) -}}
{%- endmacro %}
{% macro duckdb__json_unnest_index(expr, path) -%}
    generate_subscripts(json_extract({{ expr }}, {{ sql_string(path ~ '[*]') }}), 1) - 1
{%- endmacro %}


{% macro default__json_str(expr, path) %}{{ adapter_not_supported('json_str') }}{% endmacro %}
{% macro default__json_int(expr, path) %}{{ adapter_not_supported('json_int') }}{% endmacro %}
{% macro default__json_float(expr, path) %}{{ adapter_not_supported('json_float') }}{% endmacro %}
{% macro default__json_bool(expr, path) %}{{ adapter_not_supported('json_bool') }}{% endmacro %}
{% macro default__json_obj(expr, path) %}{{ adapter_not_supported('json_obj') }}{% endmacro %}
{% macro default__json_str_list(expr, path) %}{{ adapter_not_supported('json_str_list') }}{% endmacro %}
{% macro default__json_array_len(expr, path) %}{{ adapter_not_supported('json_array_len') }}{% endmacro %}
{% macro default__json_unnest(expr, path) %}{{ adapter_not_supported('json_unnest') }}{% endmacro %}
{% macro default__json_unnest_index(expr, path) %}{{ adapter_not_supported('json_unnest_index') }}{% endmacro %}


{% macro adapter_not_supported(name) -%}
    {{- exceptions.raise_compiler_error(
        "macro " ~ name ~ " has no implementation for adapter '" ~ adapter.type()
        ~ "'; add " ~ adapter.type() ~ "__" ~ name ~ " in dbt_project/macros/adapters/") -}}
{%- endmacro %}


{#- A typed list of records from a JSON array of objects, e.g.
    json_records('tweet', '$.entities.mentions', {'username': 'VARCHAR', 'id': 'VARCHAR'});
    empty when absent. Unnest it with `cross join unnest(<list>) as m(mention)`. -#}
{% macro json_records(expr, path, fields) -%}
    {{- adapter.dispatch('json_records', 'carepulse')(expr, path, fields) -}}
{%- endmacro %}
{% macro duckdb__json_records(expr, path, fields) -%}
    coalesce(
        from_json(json_extract({{ expr }}, {{ sql_string(path) }}),
                  '[{ {%- for name, type in fields.items() -%} "{{ name }}": "{{ type }}"{{ ', ' if not loop.last }}{%- endfor -%} }]'),
        [])
{%- endmacro %}
{% macro default__json_records(expr, path, fields) %}{{ adapter_not_supported('json_records') }}{% endmacro %}


{#- The `value_field` of the first element of the array at `array_path` whose `key_field`
    equals `key_value` (e.g. the id of the tweet a tweet replies to). -#}
{% macro json_lookup(expr, array_path, key_field, key_value, value_field) -%}
    {{- adapter.dispatch('json_lookup', 'carepulse')(expr, array_path, key_field, key_value, value_field) -}}
{%- endmacro %}
{% macro duckdb__json_lookup(expr, array_path, key_field, key_value, value_field) -%}
    json_extract_string({{ expr }}, {{ sql_string(array_path ~ '[*].' ~ value_field) }})[
        list_position(json_extract_string({{ expr }}, {{ sql_string(array_path ~ '[*].' ~ key_field) }}), {{ sql_string(key_value) }})]
{%- endmacro %}
{% macro default__json_lookup(expr, array_path, key_field, key_value, value_field) %}{{ adapter_not_supported('json_lookup') }}{% endmacro %}
