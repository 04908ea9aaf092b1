{#-
    ADAPTER-SPECIFIC helpers of the marts that DuckDB and Spark spell differently: local time,
    day of week, links in text, list literals and types, hours between timestamps, a list's
    elements as rows.
-#}

{#- A UTC TIMESTAMP (no zone) -> wall-clock TIMESTAMP in the IANA zone `tz` (an expression). -#}
{% macro utc_to_local(ts, tz) -%}
    {{- adapter.dispatch('utc_to_local', 'carepulse')(ts, tz) -}}
{%- endmacro %}
{% macro duckdb__utc_to_local(ts, tz) -%}
    timezone({{ tz }}, timezone('UTC', {{ ts }}))
{%- endmacro %}
{% macro spark__utc_to_local(ts, tz) -%}
    from_utc_timestamp({{ ts }}, {{ tz }})
{%- endmacro %}
{% macro default__utc_to_local(ts, tz) %}{{ adapter_not_supported('utc_to_local') }}{% endmacro %}


{#- ISO day of week of a date or timestamp: Monday 1 .. Sunday 7. -#}
{% macro iso_day_of_week(expr) -%}
    {{- adapter.dispatch('iso_day_of_week', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__iso_day_of_week(expr) -%}
    isodow({{ expr }})
{%- endmacro %}
{#- weekday(): Monday 0 -#}
{% macro spark__iso_day_of_week(expr) -%}
    (weekday({{ expr }}) + 1)
{%- endmacro %}
{% macro default__iso_day_of_week(expr) %}{{ adapter_not_supported('iso_day_of_week') }}{% endmacro %}


{#- Hour of week 0..167 of a wall-clock TIMESTAMP: Monday 00:00-00:59 is 0, Sunday 23:00 is 167. -#}
{% macro hour_of_week(local_ts) -%}
    (({{ iso_day_of_week(local_ts) }} - 1) * 24 + hour({{ local_ts }}))
{%- endmacro %}


{#- Lower-case host names of the http(s) links in a text, without 'www.', distinct, sorted. -#}
{% macro link_hosts_in(expr) -%}
    {{- adapter.dispatch('link_hosts_in', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__link_hosts_in(expr) -%}
    list_sort(list_distinct(list_transform(
        regexp_extract_all(coalesce({{ expr }}, ''), 'https?://(?:www\.)?([A-Za-z0-9.-]+[A-Za-z0-9])', 1),
        lambda h: lower(h))))
{%- endmacro %}
{% macro spark__link_hosts_in(expr) -%}
    array_sort(array_distinct(transform(
        regexp_extract_all(coalesce({{ expr }}, ''), {{ regex_literal('https?://(?:www\.)?([A-Za-z0-9.-]+[A-Za-z0-9])') }}, 1),
        h -> lower(h))))
{%- endmacro %}
{% macro default__link_hosts_in(expr) %}{{ adapter_not_supported('link_hosts_in') }}{% endmacro %}


{#- The host matches a listed domain exactly or is a subdomain of it. -#}
{% macro host_in_domain(host, domain) -%}
    ({{ host }} = {{ domain }} or {{ host }} like '%.' || {{ domain }})
{%- endmacro %}


{#- The type of a list of strings (for a typed NULL). -#}
{% macro string_list_type() -%}
    {{- adapter.dispatch('string_list_type', 'carepulse')() -}}
{%- endmacro %}
{% macro duckdb__string_list_type() %}varchar[]{% endmacro %}
{% macro spark__string_list_type() %}array<string>{% endmacro %}
{% macro default__string_list_type() %}{{ adapter_not_supported('string_list_type') }}{% endmacro %}


{#- A list of the non-NULL values of the expressions `items` (a Python list of SQL strings). -#}
{% macro list_of_non_null(items) -%}
    {{- adapter.dispatch('list_of_non_null', 'carepulse')(items) -}}
{%- endmacro %}
{% macro duckdb__list_of_non_null(items) -%}
    list_filter([{{ items | join(', ') }}], lambda item: item is not null)
{%- endmacro %}
{% macro spark__list_of_non_null(items) -%}
    filter(array({{ items | join(', ') }}), item -> item is not null)
{%- endmacro %}
{% macro default__list_of_non_null(items) %}{{ adapter_not_supported('list_of_non_null') }}{% endmacro %}


{#- Hours from timestamp `start` to timestamp `end`, fractional (DOUBLE). -#}
{% macro hours_between(start, end) -%}
    {{- adapter.dispatch('hours_between', 'carepulse')(start, end) -}}
{%- endmacro %}
{% macro duckdb__hours_between(start, end) -%}
    epoch({{ end }} - {{ start }}) / 3600.0
{%- endmacro %}
{% macro spark__hours_between(start, end) -%}
    cast(unix_micros({{ end }}) - unix_micros({{ start }}) as double) / 1000000 / 3600.0
{%- endmacro %}
{% macro default__hours_between(start, end) %}{{ adapter_not_supported('hours_between') }}{% endmacro %}


{#- One row per element of the list `arr` (`alias`.`column`), as a join to the row it belongs
    to (`cross join {{ list_elements(...) }}`); a NULL or empty list gives no row. -#}
{% macro list_elements(arr, alias, column) -%}
    {{- adapter.dispatch('list_elements', 'carepulse')(arr, alias, column) -}}
{%- endmacro %}
{% macro duckdb__list_elements(arr, alias, column) -%}
    unnest({{ arr }}) as {{ alias }}({{ column }})
{%- endmacro %}
{% macro spark__list_elements(arr, alias, column) -%}
    lateral explode({{ arr }}) as {{ alias }}({{ column }})
{%- endmacro %}
{% macro default__list_elements(arr, alias, column) %}{{ adapter_not_supported('list_elements') }}{% endmacro %}


{#- Hour boundaries between two timestamps (DuckDB's date_diff: 10:59 to 11:01 is 1, 10:01 to
    10:59 is 0). dbt-spark's datediff rounds the seconds between them up instead. -#}
{% macro hours_crossed(first_ts, second_ts) -%}
    {{- adapter.dispatch('hours_crossed', 'carepulse')(first_ts, second_ts) -}}
{%- endmacro %}
{% macro default__hours_crossed(first_ts, second_ts) -%}
    {{ dbt.datediff(first_ts, second_ts, 'hour') }}
{%- endmacro %}
{% macro spark__hours_crossed(first_ts, second_ts) -%}
    timestampdiff(HOUR, date_trunc('HOUR', {{ first_ts }}), date_trunc('HOUR', {{ second_ts }}))
{%- endmacro %}


{#- In a select list: one row per day from `first_day` to `last_day` (dates), both included;
    no row when either is NULL. -#}
{% macro each_day(first_day, last_day) -%}
    {{- adapter.dispatch('each_day', 'carepulse')(first_day, last_day) -}}
{%- endmacro %}
{% macro duckdb__each_day(first_day, last_day) -%}
    unnest(generate_series({{ first_day }}, {{ last_day }}, interval 1 day))
{%- endmacro %}
{% macro spark__each_day(first_day, last_day) -%}
    explode(sequence({{ first_day }}, {{ last_day }}, interval 1 day))
{%- endmacro %}
{% macro default__each_day(first_day, last_day) %}{{ adapter_not_supported('each_day') }}{% endmacro %}
