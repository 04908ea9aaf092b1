{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database (see the staging README): one row per
    sighting of a Mastodon account (embedded in every status, and accounts/lookup), verbatim.
    stg_mastodon__authors keeps the latest and applies the privacy rule. -#}
{%- set account = json_document('account') %}
with pages as (
    select * from {{ ref('src_mastodon__pages') }}
),

statuses as (
    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$.statuses', '_item_index', 'status') }}
    from pages
    where pages.endpoint = 'mastodon.search'

    union all

    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$', '_item_index', 'status') }}
    from pages
    where pages.endpoint in ('mastodon.timelines.tag', 'mastodon.accounts.statuses')
),

accounts as (
    select statuses.*, {{ json_obj('status', '$.account') }} as account
    from statuses

    union all

    select pages.*, 0 as _item_index, {{ json_null() }} as status, pages.body as account
    from pages
    where pages.endpoint = 'mastodon.accounts.lookup'
)

select
    {{ json_str(account, '$.id') }} as native_author_id,
    -- acct is "user" for accounts of the instance, "user@domain" for remote ones
    {{ json_str(account, '$.acct') }} as handle,
    {{ json_str(account, '$.display_name') }} as display_name,
    {{ html_to_text(json_str(account, '$.note')) }} as description,
    {{ json_int(account, '$.followers_count') }} as followers_count,
    {{ json_int(account, '$.following_count') }} as following_count,
    {{ json_int(account, '$.statuses_count') }} as post_count,
    -- Mastodon's only verification is a profile link proven with rel=me (fields[].verified_at)
    {{ list_len(json_str_list(account, '$.fields[*].verified_at')) }} > 0 as verified,
    cast(null as string) as verified_type,
    {{ iso_to_utc(json_str(account, '$.created_at')) }} as account_created_at,
    snapshot_date,
    _run_started_at,
    _item_index,
    {{ lineage_columns() }}
from {{ with_json_fields('accounts', [account]) }}
