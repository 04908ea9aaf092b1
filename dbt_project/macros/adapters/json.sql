{#-
    ADAPTER-SPECIFIC: JSON access for parsing raw page bodies.

    Models call these macros with SQL/JSON paths ('$.a.b', '$.items[*].id'); the DuckDB
    implementations are below and another engine adds its own `<adapter>__json_*` macro
    (adapter.dispatch picks it). Values that do not cast come back NULL rather than failing
    the night: a malformed field is visible as a NULL, the raw page keeps what was sent.
-#}

{#- A JSON column read field by field, each item parsed once. The scalar readers below
    (json_str, json_int, json_float, json_bool) given a document read its fields from one
    list that `from {{ with_json_fields(relation, [doc]) }}` extracts in a single parse; read
    one by one, a post of twenty fields was parsed twenty times (1.7x slower on Reddit pages).

        {%- set post = json_document('post') %}
        select {{ json_str(post, '$.name') }} as name, {{ json_int(post, '$.score') }} as score
        from {{ with_json_fields('submissions', [post]) }}
        where {{ json_str(post, '$.kind') }} = 't3'

    Paths are collected while the select list renders, so a path first read after the FROM
    (in a WHERE or a later CTE) must be declared up front: json_document('post', ['$.kind']);
    otherwise the model fails to compile, naming the path. The other json_* macros given a
    document read its column as they read any JSON expression. -#}
{% macro json_document(column, paths=[]) -%}
    {{- return({'column': column, 'paths': paths | list, 'sealed': false}) -}}
{%- endmacro %}

{#- The relation with each document's field list beside it (the same alias). -#}
{% macro with_json_fields(relation, docs) -%}
    (select *
        {%- for doc in docs %}, {{ json_fields(doc.column, doc.paths) }} as {{ doc.column }}__fields
        {%- do doc.update({'sealed': true}) %}{% endfor %}
     from {{ relation }}) as {{ relation }}
{%- endmacro %}

{#- The JSON expression a macro reads: a document's column, or the expression itself. -#}
{% macro json_expr(expr) -%}
    {{- return(expr.column if expr is mapping else expr) -}}
{%- endmacro %}

{% macro json_document_field(doc, path) -%}
    {%- if path not in doc.paths -%}
        {%- if doc.sealed -%}
            {{- exceptions.raise_compiler_error(
                "json path " ~ path ~ " of document " ~ doc.column ~ " is read after its fields were "
                ~ "extracted; declare it: json_document('" ~ doc.column ~ "', ['" ~ path ~ "'])") -}}
        {%- endif -%}
        {%- do doc.paths.append(path) -%}
    {%- endif -%}
    {{- json_field_at(doc.column ~ '__fields', doc.paths.index(path)) -}}
{%- endmacro %}

{#- The values at `paths` as one list of strings, the document parsed once. -#}
{% macro json_fields(expr, paths) -%}
    {{- adapter.dispatch('json_fields', 'carepulse')(expr, paths) -}}
{%- endmacro %}
{% macro duckdb__json_fields(expr, paths) -%}
    json_extract_string({{ expr }}, [{% for path in paths %}{{ sql_string(path) }}{{ ', ' if not loop.last }}{% endfor %}])
{%- endmacro %}

{#- Element `index` (0-based) of a list made by json_fields. -#}
{% macro json_field_at(fields, index) -%}
    {{- adapter.dispatch('json_field_at', 'carepulse')(fields, index) -}}
{%- endmacro %}
{% macro duckdb__json_field_at(fields, index) -%}
    {{ fields }}[{{ index + 1 }}]
{%- endmacro %}


{% macro json_str(expr, path) -%}
    {%- if expr is mapping -%}{{ json_document_field(expr, path) }}
    {%- else -%}{{- adapter.dispatch('json_str', 'carepulse')(expr, path) -}}{%- endif -%}
{%- endmacro %}
{% macro duckdb__json_str(expr, path) -%}
    json_extract_string({{ expr }}, {{ sql_string(path) }})
{%- endmacro %}


{#- Accepts JSON numbers and numeric strings alike (YouTube sends counts as strings). -#}
{% macro json_int(expr, path) -%}
    {{- adapter.dispatch('json_int', 'carepulse')(expr, path) -}}
{%- endmacro %}
{% macro duckdb__json_int(expr, path) -%}
    try_cast({{ json_str(expr, path) }} as bigint)
{%- endmacro %}


{% macro json_float(expr, path) -%}
    {{- adapter.dispatch('json_float', 'carepulse')(expr, path) -}}
{%- endmacro %}
{% macro duckdb__json_float(expr, path) -%}
    try_cast({{ json_str(expr, path) }} as double)
{%- endmacro %}


{% macro json_bool(expr, path) -%}
    {{- adapter.dispatch('json_bool', 'carepulse')(expr, path) -}}
{%- endmacro %}
{% macro duckdb__json_bool(expr, path) -%}
    try_cast({{ json_str(expr, path) }} as boolean)
{%- endmacro %}


{#- A JSON sub-document (object or array), still JSON. -#}
{% macro json_obj(expr, path) -%}
    {{- adapter.dispatch('json_obj', 'carepulse')(json_expr(expr), path) -}}
{%- endmacro %}
{% macro duckdb__json_obj(expr, path) -%}
    json_extract({{ expr }}, {{ sql_string(path) }})
{%- endmacro %}


{#- A list of strings from a wildcard path ('$.tags[*].name'); empty when absent. -#}
{% macro json_str_list(expr, path) -%}
    {{- adapter.dispatch('json_str_list', 'carepulse')(json_expr(expr), path) -}}
{%- endmacro %}
{% macro duckdb__json_str_list(expr, path) -%}
    coalesce(json_extract_string({{ expr }}, {{ sql_string(path) }}), cast([] as varchar[]))
{%- endmacro %}


{% macro json_array_len(expr, path) -%}
    {{- adapter.dispatch('json_array_len', 'carepulse')(json_expr(expr), path) -}}
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
    {{- adapter.dispatch('json_unnest', 'carepulse')(json_expr(expr), path) -}}
{%- endmacro %}
{% macro duckdb__json_unnest(expr, path) -%}
    unnest(json_extract({{ expr }}, {{ sql_string(path ~ '[*]') }}))
{%- endmacro %}

{% macro json_unnest_index(expr, path) -%}
    {{- adapter.dispatch('json_unnest_index', 'carepulse')(json_expr(expr), path) -}}
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
{% macro default__json_fields(expr, paths) %}{{ adapter_not_supported('json_fields') }}{% endmacro %}
{% macro default__json_field_at(fields, index) %}{{ adapter_not_supported('json_field_at') }}{% endmacro %}


{% macro adapter_not_supported(name) -%}
    {{- exceptions.raise_compiler_error(
        "macro " ~ name ~ " has no implementation for adapter '" ~ adapter.type()
        ~ "'; add " ~ adapter.type() ~ "__" ~ name ~ " in dbt_project/macros/adapters/") -}}
{%- endmacro %}


{#- A typed list of records from a JSON array of objects, e.g.
    json_records('tweet', '$.entities.mentions', {'username': 'VARCHAR', 'id': 'VARCHAR'});
    empty when absent. Unnest it with `cross join unnest(<list>) as m(mention)`. -#}
{% macro json_records(expr, path, fields) -%}
    {{- adapter.dispatch('json_records', 'carepulse')(json_expr(expr), path, fields) -}}
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
    {{- adapter.dispatch('json_lookup', 'carepulse')(json_expr(expr), array_path, key_field, key_value, value_field) -}}
{%- endmacro %}
{% macro duckdb__json_lookup(expr, array_path, key_field, key_value, value_field) -%}
    json_extract_string({{ expr }}, {{ sql_string(array_path ~ '[*].' ~ value_field) }})[
        list_position(json_extract_string({{ expr }}, {{ sql_string(array_path ~ '[*].' ~ key_field) }}), {{ sql_string(key_value) }})]
{%- endmacro %}
{% macro default__json_lookup(expr, array_path, key_field, key_value, value_field) %}{{ adapter_not_supported('json_lookup') }}{% endmacro %}
