-- One row: the config version and the knobs staging needs (privacy threshold, lookback).
with config as (
    select * from {{ ref('src_config') }}
)

select
    config_sha256,
    config_path,
    {{ json_str('config', '$.panel.version') }} as panel_version,
    {{ json_str('config', '$.organisation.id') }} as organisation_brand_id,
    {{ json_int('config', '$.privacy.public_follower_threshold') }} as public_follower_threshold,
    {{ json_int('config', '$.privacy.raw_text_retention_days') }} as raw_text_retention_days,
    {{ json_int('config', '$.extraction.engagement_lookback_days') }} as engagement_lookback_days
from config
