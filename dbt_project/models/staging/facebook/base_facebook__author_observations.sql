{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database: one row per sighting of a Facebook
    account as the `from` of a post or comment ({id, name}: Graph gives no handle, so the id
    is the handle, as handles.facebook is in the config). No counts or profile: a person's
    name is kept here only for stg_facebook__authors to drop unless the account is public. -#}
{%- for model in ['base_facebook__posts', 'base_facebook__comments'] %}
select
    native_author_id,
    native_author_id as handle,
    author_name as display_name,
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
