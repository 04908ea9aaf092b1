{{ config(materialized='view') }}
-- Every social account's latest profile counts and creation day, across platforms: what the
-- bot screening (int_post_screening) reads for the authors of the posts it judges. A view:
-- the screening reads a few thousand authors by key, never the whole union.
{%- for platform in source_names('social') %}
select
    author_key,
    platform,
    followers_count,
    following_count,
    post_count,
    account_created_day,
    _counts_seen.snapshot_date as counts_seen_date
from {{ ref('stg_' ~ platform ~ '__authors') }}
{{ 'union all' if not loop.last }}
{%- endfor %}
