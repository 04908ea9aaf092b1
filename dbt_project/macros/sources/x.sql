{#- X in the warehouse's shared shapes (macros/sources.sql reads these by name). -#}
{% macro x__post() -%}
    {{- return({
        'unified': {},
        'engagement': {
            'likes': 'like_count', 'comments': 'reply_count', 'shares': 'retweet_count',
            'quotes': 'quote_count', 'views': 'impression_count',
            'formula': 'likes + reposts + replies + quotes',
            'note': 'X: likes + reposts + replies + quotes',
            'engagements': 'coalesce(like_count, 0) + coalesce(retweet_count, 0) + coalesce(reply_count, 0) + coalesce(quote_count, 0)'},
    }) -}}
{%- endmacro %}
