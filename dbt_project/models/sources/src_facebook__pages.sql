{#- One row per committed page of facebook: the page files listed in a finished manifest (kind
    'page'; malformed responses are evidence only), body as JSON, with lineage. -#}
-- depends_on: {{ source('raw_zone', 'facebook_pages') }}
{{ raw_pages('facebook') }}
