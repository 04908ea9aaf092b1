{#- Bluesky in the warehouse's shared shapes (macros/sources.sql reads these by name). -#}
{% macro bluesky__post() -%}
    {{- return({
        'unified': {},
        'engagement': {
            'likes': 'like_count', 'comments': 'reply_count', 'shares': 'repost_count',
            'quotes': 'quote_count',
            'formula': 'likes + reposts + replies + quotes',
            'note': 'Bluesky: likes + reposts + replies + quotes',
            'engagements': 'coalesce(like_count, 0) + coalesce(repost_count, 0) + coalesce(reply_count, 0) + coalesce(quote_count, 0)'},
    }) -}}
{%- endmacro %}
