{#- The source registry (carepulse/sources.py, generated into registry.sql) as models use it:
    loops over these instead of lists written out, so adding a source is one registry entry. -#}

{#- The registered source names: the platform column's values; of one kind when given
    ('social': the sources with authors, profiles and post snapshots; 'reviews'). -#}
{% macro source_names(kind=none) -%}
    {%- set chosen = registered_sources() if kind is none
        else registered_sources() | selectattr('kind', 'equalto', kind) | list -%}
    {{- return(chosen | map(attribute='name') | list) -}}
{%- endmacro %}


{#- Every entity a source stages, one row per item: (platform, entity, base model, staged
    model, key). stg_quarantine screens these; int_posts_unified unions them. -#}
{% macro source_entities() -%}
    {%- set models = [] -%}
    {%- for source in registered_sources() -%}
        {%- for entity in source.entities -%}
            {%- do models.append((source.name, entity.name, entity.base_model, entity.staged_model, entity.key)) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{- return(models) -}}
{%- endmacro %}


{#- What a source declares about one entity in its own macro file (macros/sources/<name>.sql,
    a macro named <source>__<entity>): 'unified', the int_posts_unified columns its staged
    model names differently from the default below, and 'engagement', its native counts
    (macros/engagement.sql). -#}
{% macro source_entity(platform, entity) -%}
    {%- set name = platform ~ '__' ~ entity -%}
    {%- if name not in context -%}
        {{- exceptions.raise_compiler_error("source " ~ platform ~ " stages " ~ entity ~ "s but declares no macro "
            ~ name ~ "() in dbt_project/macros/sources/" ~ platform ~ ".sql") -}}
    {%- endif -%}
    {{- return(context[name]()) -}}
{%- endmacro %}


{#- int_posts_unified's columns for one entity of a source, from its staged model's row:
    the default expression unless the source's 'unified' map names another. -#}
{% macro unified_columns(platform, entity) -%}
    {%- set defaults = {
        'post_key': 'post_key', 'platform': 'platform', 'entity_type': "'" ~ entity ~ "'",
        'native_post_id': 'native_post_id', 'post_url': 'post_url', 'published_at': 'published_at',
        'author_key': 'author_key', 'author_handle': 'author_handle',
        'author_is_public': 'author_is_public', 'author_followers_count': 'author_followers_count',
        'text_redacted': 'text_redacted', 'lang': 'lang', 'hashtags': 'hashtags',
        'mentioned_handles': 'mentioned_handles', 'in_reply_to_key': 'in_reply_to_post_key',
        'content_type': 'content_type',
        'search_brand_ids': 'cast(null as ' ~ string_list_type() ~ ')',
        'native_tone': 'cast(null as double)'} -%}
    {%- set overrides = source_entity(platform, entity).get('unified', {}) -%}
    {%- for column, expr in defaults.items() %}
        {{ overrides.get(column, expr) }} as {{ column }},
    {%- endfor %}
        {{ engagement_mapping(platform, entity) }}
{%- endmacro %}
