{#- News in the warehouse's shared shapes (macros/sources.sql reads these by name). An article
    has no engagement counts: it counts as a mention with zero engagements, so news share of
    voice is a share of articles (its own platform, never mixed into the social shares). -#}
{% macro news__post() -%}
    {{- return({
        'unified': {'in_reply_to_key': 'cast(null as string)', 'search_brand_ids': 'query_brand_ids',
                    'native_tone': 'gdelt_tone'},
        'engagement': {
            'formula': 'none (articles)',
            'note': 'News: articles carry no engagement counts',
            'engagements': 'cast(0 as bigint)'},
    }) -}}
{%- endmacro %}
