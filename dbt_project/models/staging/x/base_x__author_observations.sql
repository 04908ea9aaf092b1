{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database (see the staging README): one row per
    sighting of an X account (includes.users of every page), verbatim. stg_x__authors keeps the
    latest and applies the privacy rule. -#}
{%- set author = json_document('author') %}
with pages as (
    select * from {{ ref('src_x__pages') }}
    where endpoint = 'x.tweets.search.recent'
),

users as (
    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$.includes.users', '_item_index', 'author') }}
    from pages
)

select
    {{ json_str(author, '$.id') }} as native_author_id,
    {{ json_str(author, '$.username') }} as handle,
    {{ json_str(author, '$.name') }} as display_name,
    {{ json_str(author, '$.description') }} as description,
    {{ json_int(author, '$.public_metrics.followers_count') }} as followers_count,
    {{ json_int(author, '$.public_metrics.following_count') }} as following_count,
    {{ json_int(author, '$.public_metrics.tweet_count') }} as post_count,
    -- a paid blue check is not a public-figure signal: only business and government
    -- checks (or a legacy verified flag without a type) make an account public
    coalesce({{ json_bool(author, '$.verified') }}, false)
        and coalesce({{ json_str(author, '$.verified_type') }}, 'legacy') in ('business', 'government', 'legacy')
        as verified,
    {{ json_str(author, '$.verified_type') }} as verified_type,
    {{ iso_to_utc(json_str(author, '$.created_at')) }} as account_created_at,
    snapshot_date,
    _run_started_at,
    _item_index,
    {{ lineage_columns() }}
from {{ with_json_fields('users', [author]) }}
