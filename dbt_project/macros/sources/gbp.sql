{#- Google Business Profile reviews in the warehouse's shared shapes (macros/sources.sql reads
    these by name). A review carries a star rating, not engagement counts; the review marts,
    not fct_mentions, report it. -#}
{% macro gbp__review() -%}
    {{- return({
        'unified': {'in_reply_to_key': 'cast(null as string)'},
        'engagement': {
            'formula': 'none (a review has a star rating, not engagement counts)',
            'note': 'Google reviews: no engagement counts (0)',
            'engagements': 'cast(0 as bigint)'},
    }) -}}
{%- endmacro %}
