{%- set posts = source_entities() %}
{%- set platforms = source_names('social') %}
{{ config(
    materialized='incremental',
    unique_key='quarantine_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=['{{ quarantine_cleanup() }}']
) }}
-- One row per record held back by the privacy screen: a post or comment whose text still
-- looks like it holds an identifier after redaction (not loaded at all), or a public
-- profile whose name or bio does (loaded as a private, pseudonymised author instead).
-- Never the text: platform, what it was, its key, where it came from and why.
--
-- A post's latest copy (is_latest in its base model) is left out of stg_<platform>__posts
-- by the privacy screen and by nothing else, so the held-back posts are exactly the latest
-- copies of this build's batch with no loaded copy as late as them: an anti-join, which spares
-- running the redaction a second time. Incremental, like the posts it sits beside: an earlier
-- held-back copy gives way to a later loaded one and the other way round (the post hook).

with held_back as (
    {%- for platform, entity, base, staged, key in posts %}
    select
        '{{ platform }}' as platform,
        '{{ entity }}' as entity,
        latest.{{ key }} as natural_key,
        latest.snapshot_date,
        'phi_residue' as reason,
        {{ lineage_columns('latest') }},
        latest._run_started_at,
        latest._item_index
    from {{ ref(base) }} as latest
    where latest.is_latest
        and not exists (
            select 1 from {{ ref(staged) }} as loaded
            where loaded.{{ key }} = latest.{{ key }} and {{ seen('loaded') }} >= {{ seen('latest') }}
        )
        {%- if is_incremental() %}
        and not exists (
            select 1 from {{ this }} as held
            where held.platform = '{{ platform }}' and held.entity = '{{ entity }}'
                and held.natural_key = latest.{{ key }} and {{ seen('held') }} > {{ seen('latest') }}
        )
        {%- endif %}

    union all
    {%- endfor %}

    {%- for platform in platforms %}
    select
        '{{ platform }}' as platform,
        'author_profile' as entity,
        author_key as natural_key,
        snapshot_date,
        'phi_residue' as reason,
        {{ lineage_columns() }},
        _run_started_at,
        _item_index
    from {{ ref('stg_' ~ platform ~ '__authors') }}
    where profile_quarantined and {{ in_batch() }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select
    platform || ':' || entity || ':' || natural_key as quarantine_key,
    platform,
    entity,
    natural_key,
    snapshot_date,
    reason,
    {{ lineage_columns() }},
    _run_started_at,
    _item_index,
    {{ sql_string(build_id()) }} as _loaded_in_build
from held_back
