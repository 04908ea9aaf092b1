-- One row per registered source (carepulse/sources.py), plus the unknown member ('unknown'): display
-- name, whether the platform reports views, and how `engagements` is computed from its
-- native metrics (each source's 'formula', macros/sources/<name>.sql).
with platforms as (
    {%- for source in registered_sources() %}
    {%- set engagement = source_entity(source.name, source.entities[0].name)['engagement'] %}
    select '{{ source.name }}' as platform, '{{ source.display_name }}' as platform_name,
           {{ 'true' if engagement.get('views') else 'false' }} as reports_views,
           '{{ engagement.formula }}' as engagement_formula, {{ loop.index }} as platform_order
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

unknown_member as (
    select 'unknown' as platform, 'Unknown' as platform_name, false as reports_views,
           cast(null as string) as engagement_formula, 99 as platform_order
)

select platform, platform_name, reports_views, engagement_formula, platform_order,
       false as is_unknown
from platforms
union all
select platform, platform_name, reports_views, engagement_formula, platform_order,
       true as is_unknown
from unknown_member
