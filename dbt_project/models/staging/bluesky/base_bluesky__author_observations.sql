{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database (see the staging README): one row per
    sighting of a Bluesky account: post authors (profileViewBasic: no follower counts) and
    getProfiles (with counts), verbatim. stg_bluesky__authors keeps the latest and applies the
    privacy rule. -#}
{%- set account = json_document('account') %}
with pages as (
    select * from {{ ref('src_bluesky__pages') }}
),

accounts as (
    -- post authors (profileViewBasic: no follower counts)
    select
        _source_file, _source_sha256, _source_line, _run_id, _extracted_at, _run_started_at, snapshot_date,
        _item_index,
        {{ json_obj('post', '$.author') }} as account
    from (
        select
            pages.*,
            {{ json_unnest_indexed('pages.body', '$.posts', '_item_index', 'post') }}
        from pages
        where pages.endpoint = 'bluesky.feed.searchPosts'
    ) as posts

    union all

    -- getProfiles (profileViewDetailed: with follower counts)
    select
        _source_file, _source_sha256, _source_line, _run_id, _extracted_at, _run_started_at, snapshot_date,
        {{ json_unnest_indexed('body', '$.profiles', '_item_index', 'account') }}
    from pages
    where pages.endpoint = 'bluesky.actor.getProfiles'
)

select
    {{ json_str(account, '$.did') }} as native_author_id,
    {{ json_str(account, '$.handle') }} as handle,
    {{ json_str(account, '$.displayName') }} as display_name,
    {{ json_str(account, '$.description') }} as description,
    {{ json_int(account, '$.followersCount') }} as followers_count,
    {{ json_int(account, '$.followsCount') }} as following_count,
    {{ json_int(account, '$.postsCount') }} as post_count,
    {{ json_str(account, '$.verification.verifiedStatus') }} = 'valid' as verified,
    {{ json_str(account, '$.verification.verifiedStatus') }} as verified_type,
    {{ iso_to_utc(json_str(account, '$.createdAt')) }} as account_created_at,
    snapshot_date,
    _run_started_at,
    _item_index,
    {{ lineage_columns() }}
from {{ with_json_fields('accounts', [account]) }}
