{#- Google Business Profile reviews in the warehouse's shared shapes (macros/sources.sql reads
    these by name). A review is a mention of its location's brand (subject_brand_id); it
    carries a star rating, not engagement counts. -#}
{% macro gbp__review() -%}
    {{- return({
        'unified': {'in_reply_to_key': 'cast(null as varchar)', 'subject_brand_id': 'brand_id'},
        'engagement': {
            'formula': 'none (a review has a star rating, not engagement counts)',
            'note': 'Google reviews: no engagement counts (0)',
            'engagements': 'cast(0 as bigint)'},
    }) -}}
{%- endmacro %}
