{#- One row per committed page of news: the page files listed in a finished manifest (kind
    'page'; malformed responses are evidence only), body as JSON, with lineage. -#}
-- depends_on: {{ source('raw_zone', 'news_pages') }}
{{ raw_pages('news') }}
