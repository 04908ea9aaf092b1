-- One row per tracked brand: the organisation and each competitor of the locked panel.
with config as (
    select * from {{ ref('src_config') }}
),

competitors as (
    select
        {{ json_unnest_indexed('config', '$.panel.competitors', 'competitor_index', 'brand') }}
    from config
),

brands as (
    select {{ json_obj('config', '$.organisation') }} as brand, 'organisation' as brand_role, 0 as brand_order
    from config

    union all

    select brand, 'competitor' as brand_role, competitor_index + 1 as brand_order
    from competitors
)

select
    {{ json_str('brands.brand', '$.id') }} as brand_id,
    {{ json_str('brands.brand', '$.name') }} as brand_name,
    brands.brand_role,
    brands.brand_role = 'organisation' as is_organisation,
    brands.brand_order,
    {{ json_str('config.config', '$.panel.version') }} as panel_version,
    config.config_sha256
from brands
cross join config
