{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database (see the staging README): one row per
    sighting of a Reddit account: submission authors (name and fullname only) and
    /user/<name>/about of tracked accounts (with follower counts). stg_reddit__authors keeps the
    latest and applies the privacy rule. -#}
with pages as (
    select * from {{ ref('src_reddit__pages') }}
),

children as (
    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$.data.children', '_item_index', 'child') }}
    from pages
    where pages.endpoint = 'reddit.search'
),

post_authors as (
    select
        children.*,
        {{ json_str('child', '$.data.author_fullname') }} as native_author_id,
        {{ json_str('child', '$.data.author') }} as handle
    from children
)

select
    native_author_id,
    handle,
    cast(null as string) as display_name,
    cast(null as string) as description,
    cast(null as bigint) as followers_count,
    cast(null as bigint) as following_count,
    cast(null as bigint) as post_count,
    cast(null as boolean) as verified,
    cast(null as string) as verified_type,
    cast(null as timestamp) as account_created_at,
    snapshot_date,
    _run_started_at,
    _item_index,
    {{ lineage_columns() }}
from post_authors

union all

select
    't2_' || {{ json_str('body', '$.data.id') }} as native_author_id,
    {{ json_str('body', '$.data.name') }} as handle,
    {{ decode_html_entities(json_str('body', '$.data.subreddit.title')) }} as display_name,
    {{ decode_html_entities(json_str('body', '$.data.subreddit.public_description')) }} as description,
    -- followers of a Reddit account are the subscribers of its profile subreddit
    {{ json_int('body', '$.data.subreddit.subscribers') }} as followers_count,
    cast(null as bigint) as following_count,
    cast(null as bigint) as post_count,
    -- Reddit's `verified` means a verified e-mail address, not a public figure: not used
    cast(null as boolean) as verified,
    cast(null as string) as verified_type,
    {{ epoch_to_utc(json_float('body', '$.data.created_utc')) }} as account_created_at,
    snapshot_date,
    _run_started_at,
    0 as _item_index,
    {{ lineage_columns() }}
from pages
where endpoint = 'reddit.user.about'
