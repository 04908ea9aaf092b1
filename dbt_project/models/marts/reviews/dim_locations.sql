-- One row per location (site) of a tracked brand, from the config: the organisation's sites
-- (their Google reviews are read when gbp_location is set) and any brand's sites with a CMS
-- certification number (public HCAHPS benchmarks).
select
    locations.location_id,
    locations.brand_id,
    brands.brand_name,
    locations.location_name,
    locations.city,
    locations.gbp_location,
    locations.cms_ccn,
    locations.is_own,
    locations.location_order
from {{ ref('stg_config__locations') }} as locations
inner join {{ ref('stg_config__brands') }} as brands on brands.brand_id = locations.brand_id
