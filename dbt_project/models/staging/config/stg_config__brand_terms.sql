-- One row per term that identifies a brand in text: its name and aliases (alias), hashtags
-- (hashtag, without '#'), account handles per platform (handle, without '@'), and the
-- exclusion phrases that veto a match (exclude). term_normalized is what matching compares.
with config as (
    select * from {{ ref('src_config') }}
),

brands as (
    select {{ json_obj('config', '$.organisation') }} as brand from config
    union all
    select {{ json_unnest('config', '$.panel.competitors') }} as brand from config
),

terms as (
    -- the brand name is always an alias (Brand.terms in carepulse/config.py)
    select {{ json_str('brand', '$.id') }} as brand_id, 'alias' as term_type,
           cast(null as string) as platform, {{ json_str('brand', '$.name') }} as term
    from brands

    {% for json_key, term_type in [('aliases', 'alias'), ('hashtags', 'hashtag'), ('exclude', 'exclude')] %}
    union all

    select brand_id, '{{ term_type }}', null, {{ json_str('term', '$') }}
    from (
        select
            {{ json_str('brand', '$.id') }} as brand_id,
            {{ json_unnest('brand', '$.' ~ json_key) }} as term
        from brands
    ) as listed
    {% endfor %}

    {% for platform in source_names('social') %}
    union all

    select {{ json_str('brand', '$.id') }}, 'handle', '{{ platform }}',
           {{ json_str('brand', '$.handles.' ~ platform) }}
    from brands
    where {{ json_str('brand', '$.handles.' ~ platform) }} is not null
    {% endfor %}
),

normalized as (
    select
        brand_id,
        term_type,
        platform,
        term,
        case
            when term_type = 'handle' then {{ normalize_handle('term') }}
            else lower(trim(term))
        end as term_normalized
    from terms
    where term is not null and trim(term) <> ''
)

select distinct
    brand_id || ':' || term_type || ':' || coalesce(platform, '*') || ':' || term_normalized as brand_term_key,
    brand_id,
    term_type,
    platform,
    term,
    term_normalized
from normalized
