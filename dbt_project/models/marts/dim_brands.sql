-- One row per tracked brand: the organisation and each competitor of the locked panel of
-- the current config version, plus the unknown member ('unknown').
with brands as (
    select * from {{ ref('stg_config__brands') }}
)

select
    brand_id,
    brand_name,
    brand_role,
    is_organisation,
    true as is_panel_member,
    brand_order,
    panel_version,
    config_sha256,
    false as is_unknown
from brands

union all

select
    'unknown' as brand_id,
    'Unknown' as brand_name,
    'unknown' as brand_role,
    false as is_organisation,
    false as is_panel_member,
    999 as brand_order,
    (select max(panel_version) from brands) as panel_version,
    (select max(config_sha256) from brands) as config_sha256,
    true as is_unknown
