-- One row per campaign of the config, with its tracking terms (lower-case; hashtags without '#').
with config as (
    select * from {{ ref('src_config') }}
),

campaigns as (
    select config_sha256, {{ json_unnest('config', '$.campaigns') }} as campaign
    from config
)

select
    {{ json_str('campaign', '$.id') }} as campaign_id,
    {{ json_str('campaign', '$.name') }} as campaign_name,
    {{ json_str('campaign', '$.brand') }} as brand_id,
    cast({{ json_str('campaign', '$.start') }} as date) as start_date,
    cast({{ json_str('campaign', '$.end') }} as date) as end_date,
    cast({{ json_str('campaign', '$.budget') }} as decimal(18, 2)) as budget,
    {{ json_str('campaign', '$.currency') }} as currency,
    {{ list_clean(list_lower(json_str_list('campaign', '$.hashtags[*]'))) }} as hashtags,
    {{ list_clean(list_lower(json_str_list('campaign', '$.keywords[*]'))) }} as keywords,
    {{ list_clean(json_str_list('campaign', '$.owned_accounts[*]')) }} as owned_account_platforms,
    config_sha256
from campaigns
