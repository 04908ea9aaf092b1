-- One row: the config version and the knobs staging and the analysis marts need.
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
    {{ json_int('config', '$.extraction.engagement_lookback_days') }} as engagement_lookback_days,
    {{ json_str('config', '$.analysis.timezone') }} as analysis_timezone,
    {{ json_int('config', '$.analysis.alert_baseline_days') }} as alert_baseline_days,
    {{ json_float('config', '$.analysis.alert_k_sigma') }} as alert_k_sigma,
    {{ json_int('config', '$.analysis.alert_min_mentions') }} as alert_min_mentions,
    {{ json_int('config', '$.analysis.alert_min_baseline_days') }} as alert_min_baseline_days,
    {{ json_int('config', '$.analysis.news_spike_baseline_days') }} as news_spike_baseline_days,
    {{ json_int('config', '$.analysis.news_spike_min_articles') }} as news_spike_min_articles,
    {{ json_int('config', '$.analysis.trending_baseline_days') }} as trending_baseline_days,
    {{ json_int('config', '$.analysis.trending_min_posts') }} as trending_min_posts,
    {{ json_int('config', '$.analysis.best_time_min_posts') }} as best_time_min_posts,
    {{ json_int('config', '$.analysis.micro_influencer_followers') }} as micro_influencer_followers,
    {{ json_int('config', '$.analysis.macro_influencer_followers') }} as macro_influencer_followers,
    {{ json_int('config', '$.analysis.mega_influencer_followers') }} as mega_influencer_followers
from config
