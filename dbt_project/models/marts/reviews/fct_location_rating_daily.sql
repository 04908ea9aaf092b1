{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=['{{ forget_rating_days() }}'],
    partition_by=('date_day' if target.type == 'spark' else none)
) }}
-- depends_on: {{ review_inputs() }}
-- One row per location of ours with reviews x day, from its first review to the latest
-- night read: the reviews created that day (count, average rating, 1-5 star distribution),
-- rolling 30 and 90 days (count, average rating), the share of the 30 days' reviews with a
-- reply standing now (response_rate_30d) and answered within 7 days (by the estimate of
-- fct_review_replies), and the running totals. Ratings are the reviews' current ratings;
-- a rating-only review counts, STAR_RATING_UNSPECIFIED counts in reviews but in no average.
-- Incremental: a build rewrites the days from the earliest creation date of a review it
-- changed (or the day after the last stored day), the running totals continuing from the
-- stored day before.
with days_from as (
    select {{ rating_days_from() }} as first_day
),

reviews as (
    select
        fct_reviews.review_key,
        fct_reviews.location_id,
        fct_reviews.brand_id,
        fct_reviews.created_date,
        fct_reviews.star_rating,
        fct_reviews.has_reply,
        coalesce(replies.answered_within_7d, false) as answered_within_7d
    from {{ ref('fct_reviews') }} as fct_reviews
    left join {{ ref('fct_review_replies') }} as replies on replies.review_key = fct_reviews.review_key
    where fct_reviews.created_date >= (select first_day from days_from) - 89
),

last_night as (
    select max(snapshot_date) as last_day
    from ({{ staged_reviews('review_observations') }}) as observations
),

spine as (
    select location_id, brand_id, cast(day_start as date) as date_day
    from (
        select
            locations.location_id,
            locations.brand_id,
            {{ each_day('days_from.first_day', 'last_night.last_day') }} as day_start
        from {{ ref('dim_locations') }} as locations
        cross join days_from
        cross join last_night
        where locations.gbp_location is not null
    ) as days
),

daily as (
    select
        spine.location_id,
        spine.brand_id,
        spine.date_day,
        count(reviews.review_key) as reviews,
        count(reviews.star_rating) as rated,
        coalesce(sum(reviews.star_rating), 0) as rating_sum,
        {%- for stars in range(1, 6) %}
        count(*) filter (where reviews.star_rating = {{ stars }}) as rating_{{ stars }},
        {%- endfor %}
        count(*) filter (where reviews.has_reply) as replied,
        count(*) filter (where reviews.answered_within_7d) as answered_7d
    from spine
    left join reviews on reviews.location_id = spine.location_id and reviews.created_date = spine.date_day
    group by spine.location_id, spine.brand_id, spine.date_day
),

{%- if is_incremental() %}
carried as (
    select location_id, total_reviews, rated_reviews_all, rating_sum_all
    from {{ this }}
    where date_day = (select first_day from days_from) - 1
),
{%- endif %}

windowed as (
    select
        daily.*,
        {%- for days in (30, 90) %}
        sum(reviews) over w{{ days }} as reviews_{{ days }}d,
        sum(rated) over w{{ days }} as rated_{{ days }}d,
        sum(rating_sum) over w{{ days }} as rating_sum_{{ days }}d,
        {%- endfor %}
        sum(replied) over w30 as replied_30d,
        sum(answered_7d) over w30 as answered_7d_30d,
        sum(reviews) over running as new_reviews_running,
        sum(rated) over running as new_rated_running,
        sum(rating_sum) over running as new_rating_sum_running
    from daily
    window
        w30 as (partition by location_id order by date_day range between interval 29 day preceding and current row),
        w90 as (partition by location_id order by date_day range between interval 89 day preceding and current row),
        running as (partition by location_id order by date_day rows between unbounded preceding and current row)
),

{#- the windows reach back before the first day rewritten: those days' reviews, from fct_reviews -#}
before as (
    select
        spine.location_id,
        spine.date_day,
        {%- for days in (30, 90) %}
        count(reviews.review_key) filter (where reviews.created_date > spine.date_day - {{ days }}) as reviews_{{ days }}d,
        count(reviews.star_rating) filter (where reviews.created_date > spine.date_day - {{ days }}) as rated_{{ days }}d,
        coalesce(sum(reviews.star_rating) filter (where reviews.created_date > spine.date_day - {{ days }}), 0)
            as rating_sum_{{ days }}d,
        {%- endfor %}
        count(*) filter (where reviews.created_date > spine.date_day - 30 and reviews.has_reply) as replied_30d,
        count(*) filter (where reviews.created_date > spine.date_day - 30 and reviews.answered_within_7d)
            as answered_7d_30d
    from spine
    inner join reviews
        on reviews.location_id = spine.location_id
        and reviews.created_date < (select first_day from days_from)
        and reviews.created_date > spine.date_day - 90
    group by spine.location_id, spine.date_day
),

totals as (
    select
        windowed.*,
        {%- for column in ('reviews_30d', 'rated_30d', 'rating_sum_30d', 'reviews_90d', 'rated_90d',
                           'rating_sum_90d', 'replied_30d', 'answered_7d_30d') %}
        windowed.{{ column }} + coalesce(before.{{ column }}, 0) as all_{{ column }},
        {%- endfor %}
        {%- if is_incremental() %}
        coalesce(carried.total_reviews, 0) + windowed.new_reviews_running as total_reviews,
        coalesce(carried.rated_reviews_all, 0) + windowed.new_rated_running as rated_reviews_all,
        coalesce(carried.rating_sum_all, 0) + windowed.new_rating_sum_running as rating_sum_all
        {%- else %}
        windowed.new_reviews_running as total_reviews,
        windowed.new_rated_running as rated_reviews_all,
        windowed.new_rating_sum_running as rating_sum_all
        {%- endif %}
    from windowed
    left join before on before.location_id = windowed.location_id and before.date_day = windowed.date_day
    {%- if is_incremental() %}
    left join carried on carried.location_id = windowed.location_id
    {%- endif %}
)

select
    location_id || '@' || cast(date_day as string) as location_day_key,
    location_id,
    brand_id,
    date_day,
    cast(reviews as integer) as reviews,
    {{ round_half_up('rating_sum / nullif(rated, 0)', 3) }} as avg_rating,
    {%- for stars in range(1, 6) %}
    cast(rating_{{ stars }} as integer) as rating_{{ stars }},
    {%- endfor %}
    cast(all_reviews_30d as integer) as reviews_30d,
    {{ round_half_up('all_rating_sum_30d / nullif(all_rated_30d, 0)', 3) }} as avg_rating_30d,
    cast(all_reviews_90d as integer) as reviews_90d,
    {{ round_half_up('all_rating_sum_90d / nullif(all_rated_90d, 0)', 3) }} as avg_rating_90d,
    {{ round_half_up('all_replied_30d / nullif(all_reviews_30d, 0)', 4) }} as response_rate_30d,
    {{ round_half_up('all_answered_7d_30d / nullif(all_reviews_30d, 0)', 4) }} as answered_within_7d_share_30d,
    cast(total_reviews as integer) as total_reviews,
    cast(rated_reviews_all as integer) as rated_reviews_all,
    cast(rating_sum_all as bigint) as rating_sum_all,
    {{ round_half_up('rating_sum_all / nullif(rated_reviews_all, 0)', 3) }} as avg_rating_all,
    {{ sql_string(build_id()) }} as _loaded_in_build
from totals
