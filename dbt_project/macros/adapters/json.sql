{#-
    ADAPTER-SPECIFIC: JSON access for parsing raw page bodies.

    Models call these macros with SQL/JSON paths ('$.a.b', '$.items[*].id'); each engine has
    its `<adapter>__json_*` macro (adapter.dispatch picks it). Values that do not cast come
    back NULL rather than failing the night: a malformed field is visible as a NULL, the raw
    page keeps what was sent.

    JSON is DuckDB's JSON type there and VARIANT on Spark (the raw zone readers parse each
    page once into it): a VARIANT is binary and field access does not parse text again, so
    on Spark a document's fields are read directly (no field list, see json_document).
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
    {{- adapter.dispatch('with_json_fields', 'carepulse')(relation, docs) -}}
{%- endmacro %}
{% macro spark__with_json_fields(relation, docs) -%}
    {{ relation }}
{%- endmacro %}
{% macro duckdb__with_json_fields(relation, docs) -%}
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
    {{- adapter.dispatch('json_document_field', 'carepulse')(doc, path) -}}
{%- endmacro %}
{% macro spark__json_document_field(doc, path) -%}
    {{- spark__json_str(doc.column, path) -}}
{%- endmacro %}
{% macro duckdb__json_document_field(doc, path) -%}
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
        select pages.*, {{ json_unnest_indexed('pages.body', '$.items', '_item_index', 'video') }}
        from pages
    gives one row per element of the array at `path` (JSON, column `value_alias`) with its
    0-based position (column `index_alias`); no row when the path is missing, null or not an
    array. ('$' for a document that is an array.) In DuckDB a select-list unnest avoids the
    lateral join a table function needs, which joins back on the whole page body; Spark's
    posexplode gives both columns from one generator (a select list may hold only one).
    json_unnest: the elements alone. -#}
{% macro json_unnest(expr, path) -%}
    {{- adapter.dispatch('json_unnest', 'carepulse')(json_expr(expr), path) -}}
{%- endmacro %}
{% macro duckdb__json_unnest(expr, path) -%}
    unnest(json_extract({{ expr }}, {{ sql_string(path ~ '[*]') }}))
{%- endmacro %}

{% macro json_unnest_indexed(expr, path, index_alias, value_alias) -%}
    {{- adapter.dispatch('json_unnest_indexed', 'carepulse')(json_expr(expr), path, index_alias, value_alias) -}}
{%- endmacro %}
{% macro duckdb__json_unnest_indexed(expr, path, index_alias, value_alias) -%}
    generate_subscripts(json_extract({{ expr }}, {{ sql_string(path ~ '[*]') }}), 1) - 1 as {{ index_alias }},
    unnest(json_extract({{ expr }}, {{ sql_string(path ~ '[*]') }})) as {{ value_alias }}
{%- endmacro %}
{% macro spark__json_unnest_indexed(expr, path, index_alias, value_alias) -%}
    posexplode({{ spark_json_array(expr, path) }}) as ({{ index_alias }}, {{ value_alias }})
{%- endmacro %}


{% macro default__json_str(expr, path) %}{{ adapter_not_supported('json_str') }}{% endmacro %}
{% macro default__json_int(expr, path) %}{{ adapter_not_supported('json_int') }}{% endmacro %}
{% macro default__json_float(expr, path) %}{{ adapter_not_supported('json_float') }}{% endmacro %}
{% macro default__json_bool(expr, path) %}{{ adapter_not_supported('json_bool') }}{% endmacro %}
{% macro default__json_obj(expr, path) %}{{ adapter_not_supported('json_obj') }}{% endmacro %}
{% macro default__json_str_list(expr, path) %}{{ adapter_not_supported('json_str_list') }}{% endmacro %}
{% macro default__json_array_len(expr, path) %}{{ adapter_not_supported('json_array_len') }}{% endmacro %}
{% macro default__json_unnest(expr, path) %}{{ adapter_not_supported('json_unnest') }}{% endmacro %}
{% macro default__json_unnest_indexed(expr, path, index_alias, value_alias) %}{{ adapter_not_supported('json_unnest_indexed') }}{% endmacro %}
{% macro default__json_fields(expr, paths) %}{{ adapter_not_supported('json_fields') }}{% endmacro %}
{% macro default__json_field_at(fields, index) %}{{ adapter_not_supported('json_field_at') }}{% endmacro %}


{% macro adapter_not_supported(name) -%}
    {{- exceptions.raise_compiler_error(
        "macro " ~ name ~ " has no implementation for adapter '" ~ adapter.type()
        ~ "'; add " ~ adapter.type() ~ "__" ~ name ~ " in dbt_project/macros/adapters/") -}}
{%- endmacro %}


{#- A typed list of records from a JSON array of objects, e.g.
    json_records('tweet', '$.entities.mentions', {'username': 'VARCHAR', 'id': 'VARCHAR'});
    empty when absent. Unnest it with `cross join {{ unnest_rows('<list>') }} as m(mention)`. -#}
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


{#- Spark: JSON values are VARIANT. A wildcard path ('$.tags[*].name') is an array read at
    its prefix whose elements are read at the rest of the path; a missing value is left out,
    as DuckDB's wildcard extraction leaves it out. -#}
{% macro spark__json_str(expr, path) -%}
    try_variant_get({{ expr }}, {{ sql_string(spark_json_path(path)) }}, 'string')
{%- endmacro %}

{#- A JSONPath as Spark's variant paths take it: a key that is not a plain name ('"$type"')
    in brackets (quoted keys hold no dot here). -#}
{% macro spark_json_path(path) -%}
    {%- set plain = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_' -%}
    {%- if path == '$' or path.startswith('$[') -%}{{- return(path) -}}{%- endif -%}
    {%- set out = ['$'] -%}
    {%- for segment in path[2:].split('.') -%}
        {%- set name = segment.split('[')[0] -%}
        {%- set rest = segment[name | length:] -%}
        {%- if name.startswith('"') and name.endswith('"') -%}{%- set name = name[1:-1] -%}{%- endif -%}
        {%- set ns = namespace(plain=name | length > 0) -%}
        {%- for c in name -%}{%- if c not in plain -%}{%- set ns.plain = false -%}{%- endif -%}{%- endfor -%}
        {%- do out.append(('.' ~ name if ns.plain else "['" ~ name ~ "']") ~ rest) -%}
    {%- endfor -%}
    {{- return(out | join('')) -}}
{%- endmacro %}

{% macro spark__json_int(expr, path) -%}
    try_cast({{ json_str(expr, path) }} as bigint)
{%- endmacro %}

{% macro spark__json_float(expr, path) -%}
    try_cast({{ json_str(expr, path) }} as double)
{%- endmacro %}

{% macro spark__json_bool(expr, path) -%}
    try_cast({{ json_str(expr, path) }} as boolean)
{%- endmacro %}

{% macro spark__json_obj(expr, path) -%}
    try_variant_get({{ expr }}, {{ sql_string(spark_json_path(path)) }}, 'variant')
{%- endmacro %}

{% macro spark_json_array(expr, path) -%}
    try_variant_get({{ expr }}, {{ sql_string(spark_json_path(path)) }}, 'array<variant>')
{%- endmacro %}

{% macro spark__json_str_list(expr, path) -%}
    {%- set parts = path.split('[*]') -%}
    {%- set ns = namespace(arrays=spark_json_array(expr, parts[0])) -%}
    {%- for part in parts[1:-1] -%}
        {%- set ns.arrays = 'flatten(transform(' ~ ns.arrays ~ ', e -> coalesce(' ~ spark_json_array('e', '$' ~ part)
                            ~ ', cast(array() as array<variant>))))' -%}
    {%- endfor -%}
    {#- a JSON null is kept (as NULL), a missing key is not, as DuckDB does -#}
    coalesce(transform(filter(transform({{ ns.arrays }},
                                        e -> try_variant_get(e, {{ sql_string(spark_json_path('$' ~ parts[-1])) }}, 'variant')),
                              v -> v is not null),
                       v -> try_variant_get(v, '$', 'string')),
             cast(array() as array<string>))
{%- endmacro %}

{% macro spark__json_array_len(expr, path) -%}
    coalesce(array_size({{ spark_json_array(expr, path) }}), 0)
{%- endmacro %}

{% macro spark__json_unnest(expr, path) -%}
    explode({{ spark_json_array(expr, path) }})
{%- endmacro %}

{% macro spark__json_records(expr, path, fields) -%}
    {%- set types = {'VARCHAR': 'string', 'BIGINT': 'bigint', 'INTEGER': 'int', 'DOUBLE': 'double', 'BOOLEAN': 'boolean'} -%}
    {%- set struct -%}
        array<struct<{%- for name, type in fields.items() -%}`{{ name }}`:{{ types[type | upper] }}{{ ',' if not loop.last }}{%- endfor -%}>>
    {%- endset -%}
    coalesce(try_variant_get({{ expr }}, {{ sql_string(spark_json_path(path)) }}, '{{ struct }}'), cast(array() as {{ struct }}))
{%- endmacro %}

{% macro spark__json_lookup(expr, array_path, key_field, key_value, value_field) -%}
    try_variant_get(get(filter(
            {{ spark_json_array(expr, array_path) }},
            e -> try_variant_get(e, {{ sql_string(spark_json_path('$.' ~ key_field)) }}, 'string') = {{ sql_string(key_value) }}
        ), 0), {{ sql_string(spark_json_path('$.' ~ value_field)) }}, 'string')
{%- endmacro %}


{#- A JSON value that is there and not JSON null. -#}
{% macro json_is_value(expr) -%}
    {{- adapter.dispatch('json_is_value', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__json_is_value(expr) -%}
    coalesce(json_type({{ expr }}), 'NULL') <> 'NULL'
{%- endmacro %}
{% macro spark__json_is_value(expr) -%}
    ({{ expr }} is not null and not is_variant_null({{ expr }}))
{%- endmacro %}


{#- A typed NULL JSON value. -#}
{% macro json_null() -%}
    {{- adapter.dispatch('json_null', 'carepulse')() -}}
{%- endmacro %}
{% macro duckdb__json_null() -%}
    cast(null as json)
{%- endmacro %}
{% macro spark__json_null() -%}
    cast(null as variant)
{%- endmacro %}
