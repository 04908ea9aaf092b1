-- One row per campaign of the config, plus the unknown member ('unknown'): window, budget,
-- daily spend (budget spread evenly over the window days), the same-length pre-window used
-- for lift, and the tracking terms.
with campaigns as (
    select * from {{ ref('stg_config__campaigns') }}
),

windows as (
    select
        campaigns.*,
        {{ dbt.datediff('start_date', 'end_date', 'day') }} + 1 as window_days
    from campaigns
)

select
    campaign_id,
    campaign_name,
    brand_id,
    start_date,
    end_date,
    window_days,
    cast({{ dbt.dateadd('day', '-window_days', 'start_date') }} as date) as pre_window_start_date,
    cast({{ dbt.dateadd('day', '-1', 'start_date') }} as date) as pre_window_end_date,
    budget,
    currency,
    cast(budget / window_days as decimal(18, 4)) as daily_spend,
    hashtags,
    keywords,
    owned_account_platforms,
    config_sha256,
    false as is_unknown
from windows

union all

select
    'unknown' as campaign_id,
    'Unknown' as campaign_name,
    'unknown' as brand_id,
    cast(null as date) as start_date,
    cast(null as date) as end_date,
    cast(null as integer) as window_days,
    cast(null as date) as pre_window_start_date,
    cast(null as date) as pre_window_end_date,
    cast(null as decimal(18, 2)) as budget,
    cast(null as string) as currency,
    cast(null as decimal(18, 4)) as daily_spend,
    cast(null as {{ string_list_type() }}) as hashtags,
    cast(null as {{ string_list_type() }}) as keywords,
    cast(null as {{ string_list_type() }}) as owned_account_platforms,
    (select max(config_sha256) from campaigns) as config_sha256,
    true as is_unknown
