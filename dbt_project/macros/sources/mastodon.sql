{#- Mastodon in the warehouse's shared shapes (macros/sources.sql reads these by name). -#}
{% macro mastodon__post() -%}
    {{- return({
        'unified': {},
        'engagement': {
            'likes': 'favourites_count', 'comments': 'replies_count', 'shares': 'reblogs_count',
            'quotes': 'quotes_count',
            'formula': 'favourites + boosts + replies',
            'note': 'Mastodon: favourites + boosts + replies',
            'engagements': 'coalesce(favourites_count, 0) + coalesce(reblogs_count, 0) + coalesce(replies_count, 0)'},
    }) -}}
{%- endmacro %}
