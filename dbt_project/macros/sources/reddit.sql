{#- Reddit in the warehouse's shared shapes (macros/sources.sql reads these by name). -#}
{% macro reddit__post() -%}
    {{- return({
        'unified': {'in_reply_to_key': 'cast(null as string)'},
        'engagement': {
            'likes': 'score', 'comments': 'num_comments',
            'formula': 'max(score, 0) + comments',
            'note': 'Reddit: score (net upvotes, floored at 0 so a downvoted post adds none) + comments',
            'engagements': 'greatest(coalesce(score, 0), 0) + coalesce(num_comments, 0)'},
    }) -}}
{%- endmacro %}
