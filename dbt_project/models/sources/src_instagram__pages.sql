{#- One row per committed page of instagram: the page files listed in a finished manifest (kind
    'page'; malformed responses are evidence only), body as JSON, with lineage. -#}
-- depends_on: {{ source('raw_zone', 'instagram_pages') }}
{{ raw_pages('instagram') }}
