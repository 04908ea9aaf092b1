{#- Pre hooks of the incremental marts: the stored rows a build drops before it appends their
    rows anew. delete_rows (macros/intermediate.sql): DuckDB deletes them, Spark rewrites the
    partitions (`partition_by`) that hold them. The conditions are batch.sql's; the posts a
    build changed are intermediate.sql's delete_changed_posts. -#}

{% macro forget_rows(condition) -%}
    {%- if is_incremental() -%}
    {{ delete_rows(condition) }}
    {%- endif -%}
{%- endmacro %}


{#- The posts whose screening verdict this build changed. -#}
{% macro forget_rescreened_post_rows() -%}
    {{- forget_rows('post_key in (' ~ rescreened_posts() ~ ')') -}}
{%- endmacro %}

{#- Date-keyed marts: the dates in int_build_dates. -#}
{% macro forget_build_date_rows(column) -%}
    {{- forget_rows(column ~ ' in (select activity_date from ' ~ ref('int_build_dates') ~ ')') -}}
{%- endmacro %}

{#- Trailing-window marts: the days they rewrite (batch.sql, days_after_build_dates). -#}
{% macro forget_days_after_build_date_rows(column, days_setting) -%}
    {{- forget_rows(column ~ ' in (' ~ days_after_build_dates(days_setting) ~ ')') -}}
{%- endmacro %}

{#- fct_campaign_performance_daily: the campaigns it recomputes (batch.sql, campaigns_rebuilt). -#}
{% macro forget_campaign_rows() -%}
    {{- forget_rows('campaign_id in (' ~ campaigns_rebuilt() ~ ')') -}}
{%- endmacro %}

{#- fct_influencer_mentions_daily: the dates in int_build_dates, and every day of the authors
    this build changed who can no longer be named (their profile went private or joined a brand). -#}
{% macro forget_influencer_day_rows() -%}
    {{- forget_rows('mention_date in (select activity_date from ' ~ ref('int_build_dates') ~ ')'
        ~ ' or author_key in (select author_key from ' ~ ref('dim_authors')
        ~ ' where ' ~ in_batch() ~ ' and not (' ~ influencer_eligible() ~ '))') -}}
{%- endmacro %}


{#- A DOUBLE rounded half away from zero at its decimal spelling, the same on every engine.
    round() and casts to DECIMAL differ on a tie such as 10685.935 hours (38,469,366 s / 3600,
    stored in binary as 10685.93499...): DuckDB rounds the binary value down to 10685.93, Spark
    rounds the decimal spelling up to 10685.94. Through DECIMAL(38, 9) both give 10685.94. -#}
{% macro round_half_up(expression, scale, as_type='double') -%}
    cast(round(cast({{ expression }} as decimal(38, 9)), {{ scale }}) as {{ as_type }})
{%- endmacro %}
