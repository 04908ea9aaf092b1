{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database: one row per sighting of a news outlet,
    known by its domain. An outlet is a publication, never a private individual: it is
    public as a verified account is (verified_type 'news_outlet'). Bylines are not kept. -#}
select
    source_domain as native_author_id,
    source_domain as handle,
    coalesce(outlet, source_domain) as display_name,
    cast(null as string) as description,
    cast(null as bigint) as followers_count,
    cast(null as bigint) as following_count,
    cast(null as bigint) as post_count,
    true as verified,
    'news_outlet' as verified_type,
    cast(null as timestamp) as account_created_at,
    snapshot_date,
    _run_started_at,
    _item_index,
    {{ lineage_columns() }}
from {{ ref('base_news__articles') }}
where source_domain is not null
