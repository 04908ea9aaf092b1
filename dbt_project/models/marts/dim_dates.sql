-- One row per calendar day from the earliest publication or snapshot date in the data to
-- the latest, plus the unknown member (1900-01-01, is_unknown) that facts use instead of a
-- NULL date.
with posts as (
    select published_date, snapshot_date from {{ ref('int_posts_unified') }}
),

bounds as (
    select
        coalesce(least(min(published_date), min(snapshot_date)), current_date) as first_day,
        coalesce(greatest(max(published_date), max(snapshot_date)), current_date) as last_day
    from posts
),

digits as (
    select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
),

day_offsets as (
    -- 0 .. 9999 days (27 years) without an engine-specific series function
    select thousands.d * 1000 + hundreds.d * 100 + tens.d * 10 + units.d as day_offset
    from digits as thousands
    cross join digits as hundreds
    cross join digits as tens
    cross join digits as units
),

spine as (
    select cast({{ dbt.dateadd('day', 'day_offsets.day_offset', 'bounds.first_day') }} as date) as date_day
    from bounds
    cross join day_offsets
    where day_offsets.day_offset <= {{ dbt.datediff('bounds.first_day', 'bounds.last_day', 'day') }}
)

select
    date_day,
    cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
    cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
    cast(extract(year from date_day) as integer) as year_number,
    cast(extract(month from date_day) as integer) as month_number,
    cast({{ iso_day_of_week('date_day') }} as integer) as iso_day_of_week,
    cast({{ iso_day_of_week('date_day') }} as integer) in (6, 7) as is_weekend,
    false as is_unknown
from spine

union all

select
    cast('1900-01-01' as date) as date_day,
    cast('1900-01-01' as date) as week_start,
    cast('1900-01-01' as date) as month_start,
    1900 as year_number,
    1 as month_number,
    1 as iso_day_of_week,
    false as is_weekend,
    true as is_unknown
