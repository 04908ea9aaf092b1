{#-
    ADAPTER-SPECIFIC helpers of the analysis marts: local time and links in text. DuckDB
    implementations; another engine adds `<adapter>__<name>` macros.
-#}

{#- A UTC TIMESTAMP (no zone) -> wall-clock TIMESTAMP in the IANA zone `tz` (an expression). -#}
{% macro utc_to_local(ts, tz) -%}
    {{- adapter.dispatch('utc_to_local', 'carepulse')(ts, tz) -}}
{%- endmacro %}
{% macro duckdb__utc_to_local(ts, tz) -%}
    timezone({{ tz }}, timezone('UTC', {{ ts }}))
{%- endmacro %}
{% macro default__utc_to_local(ts, tz) %}{{ adapter_not_supported('utc_to_local') }}{% endmacro %}


{#- Hour of week 0..167 of a wall-clock TIMESTAMP: Monday 00:00-00:59 is 0, Sunday 23:00 is 167. -#}
{% macro hour_of_week(local_ts) -%}
    {{- adapter.dispatch('hour_of_week', 'carepulse')(local_ts) -}}
{%- endmacro %}
{% macro duckdb__hour_of_week(local_ts) -%}
    ((isodow({{ local_ts }}) - 1) * 24 + hour({{ local_ts }}))
{%- endmacro %}
{% macro default__hour_of_week(local_ts) %}{{ adapter_not_supported('hour_of_week') }}{% endmacro %}


{#- Lower-case host names of the http(s) links in a text, without 'www.', distinct, sorted. -#}
{% macro link_hosts_in(expr) -%}
    {{- adapter.dispatch('link_hosts_in', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__link_hosts_in(expr) -%}
    list_sort(list_distinct(list_transform(
        regexp_extract_all(coalesce({{ expr }}, ''), 'https?://(?:www\.)?([A-Za-z0-9.-]+[A-Za-z0-9])', 1),
        lambda h: lower(h))))
{%- endmacro %}
{% macro default__link_hosts_in(expr) %}{{ adapter_not_supported('link_hosts_in') }}{% endmacro %}


{#- The host matches a listed domain exactly or is a subdomain of it. -#}
{% macro host_in_domain(host, domain) -%}
    ({{ host }} = {{ domain }} or {{ host }} like '%.' || {{ domain }})
{%- endmacro %}


{#- The median of an integer column as DECIMAL (the mean of the two middle values). -#}
{% macro exact_median(expr) -%}
    {{- adapter.dispatch('exact_median', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__exact_median(expr) -%}
    cast(median(cast({{ expr }} as decimal(18, 2))) as decimal(18, 2))
{%- endmacro %}
{% macro default__exact_median(expr) %}{{ adapter_not_supported('exact_median') }}{% endmacro %}
