-- One row per location (site) of a tracked brand: the organisation's sites, whose Google
-- reviews are read when they name a Business Profile location, and any brand's sites with a
-- CMS certification number (public HCAHPS benchmarks).
with config as (
    select * from {{ ref('src_config') }}
),

competitors as (
    select {{ json_unnest('config', '$.panel.competitors') }} as brand
    from config
),

brands as (
    select {{ json_obj('config', '$.organisation') }} as brand, true as is_own
    from config

    union all

    select brand, false as is_own
    from competitors
),

locations as (
    select
        {{ json_str('brand', '$.id') }} as brand_id,
        is_own,
        {{ json_unnest_indexed('brand', '$.locations', 'location_order', 'location') }}
    from brands
)

select
    {{ json_str('location', '$.id') }} as location_id,
    brand_id,
    is_own,
    {{ json_str('location', '$.name') }} as location_name,
    {{ json_str('location', '$.city') }} as city,
    {{ json_str('location', '$.gbp_location') }} as gbp_location,
    {{ json_str('location', '$.ccn') }} as cms_ccn,
    location_order
from locations
