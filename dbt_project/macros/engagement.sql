{#- The engagement mapping (docs/architecture.md, "Engagement mapping"): each source's native
    counts as likes, comments, shares, quotes, views and engagements, declared once in the
    source's own macro file (macros/sources/<name>.sql, its 'engagement' map; a count it does
    not report is NULL). int_posts_unified applies it to the latest copy of each post,
    fct_post_engagement_daily to every nightly snapshot; both read the staging columns of the
    same names. -#}
{% macro engagement_mapping(platform, entity='post') -%}
    {%- set m = source_entity(platform, entity)['engagement'] -%}
    {%- for column in ['likes', 'comments', 'shares', 'quotes', 'views'] %}
        {{ m.get(column) or 'cast(null as bigint)' }} as {{ column }},
    {%- endfor %}
        -- {{ m['note'] }}
        {{ m['engagements'] }} as engagements
{%- endmacro %}
