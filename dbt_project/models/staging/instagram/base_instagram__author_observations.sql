{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database: one row per sighting of an Instagram
    account: our own (the author of /media, known by its id, which handles.instagram names),
    accounts tagging us (by username) and commenters ({id, username}). No counts or profile. -#}
{%- for model in ['base_instagram__media', 'base_instagram__comments'] %}
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
from {{ ref(model) }}
where native_author_id is not null
{{ 'union all' if not loop.last }}
{%- endfor %}
