-- One row per (brand location with a CMS certification number, HCAHPS measure): the public
-- patient-survey results CMS publishes quarterly (Hospital Consumer Assessment of Healthcare
-- Providers and Systems, Provider Data Catalog dataset dgck-syfz) for our hospitals and the
-- panel competitors', from the newest complete landing. Star ratings (H_STAR_RATING is the
-- summary star) and top-box percentages (measure ids ending _A_P, H_HSP_RATING_9_10,
-- H_RECMND_DY) sit beside review ratings and social sentiment on the dashboard.
-- Rebuilt every night from the one landing (a few hundred rows).
select
    locations.brand_id,
    brands.brand_name,
    locations.is_own,
    locations.location_id,
    locations.location_name,
    hcahps.ccn,
    hcahps.facility_name,
    hcahps.measure_id,
    hcahps.question,
    hcahps.answer_description,
    hcahps.star_rating,
    hcahps.answer_percent,
    hcahps.completed_surveys,
    hcahps.response_rate_percent,
    hcahps.measure_id = 'H_STAR_RATING' as is_summary_star,
    hcahps.measure_id like '%!_A!_P' escape '!' or hcahps.measure_id in ('H_HSP_RATING_9_10', 'H_RECMND_DY')
        as is_top_box,
    hcahps.period_start,
    hcahps.period_end,
    hcahps.fetched_on,
    hcahps._source_file
from {{ ref('stg_cms__hcahps') }} as hcahps
inner join {{ ref('stg_config__locations') }} as locations on locations.cms_ccn = hcahps.ccn
inner join {{ ref('stg_config__brands') }} as brands on brands.brand_id = locations.brand_id
