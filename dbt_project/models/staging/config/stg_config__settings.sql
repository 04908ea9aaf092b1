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
    {{ json_int('config', '$.analysis.mega_influencer_followers') }} as mega_influencer_followers,
    -- the languages the detector chooses among, as a JSON array of ISO 639-1 codes
    cast({{ json_obj('config', '$.analysis.languages') }} as string) as analysis_languages,
    {{ json_float('config', '$.analysis.language_min_distance') }} as language_min_distance,
    {{ json_int('config', '$.analysis.aspect_baseline_days') }} as aspect_baseline_days,
    {{ json_int('config', '$.analysis.aspect_spike_min_negative') }} as aspect_spike_min_negative,
    {{ json_float('config', '$.analysis.aspect_spike_ratio') }} as aspect_spike_ratio,
    {{ json_bool('config', '$.screening.copy_paste.enabled') }} as copy_paste_enabled,
    {{ json_float('config', '$.screening.copy_paste.similarity') }} as copy_paste_similarity,
    {{ json_int('config', '$.screening.copy_paste.window_minutes') }} as copy_paste_window_minutes,
    {{ json_int('config', '$.screening.copy_paste.min_accounts') }} as copy_paste_min_accounts,
    {{ json_int('config', '$.screening.copy_paste.min_words') }} as copy_paste_min_words,
    {{ json_bool('config', '$.screening.bots.enabled') }} as bots_enabled,
    {{ json_int('config', '$.screening.bots.new_account_days') }} as bot_new_account_days,
    {{ json_float('config', '$.screening.bots.max_posts_per_day') }} as bot_max_posts_per_day,
    {{ json_int('config', '$.screening.bots.min_following') }} as bot_min_following,
    {{ json_float('config', '$.screening.bots.max_follower_ratio') }} as bot_max_follower_ratio,
    {{ json_float('config', '$.screening.bots.duplicate_share') }} as bot_duplicate_share,
    {{ json_int('config', '$.screening.bots.min_signals') }} as bot_min_signals
from config
