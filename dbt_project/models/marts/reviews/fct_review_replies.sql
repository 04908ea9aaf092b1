{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=['{{ forget_changed_reviews() }}']
) }}
-- depends_on: {{ review_inputs() }}
-- One row per review that has or had an owner reply: the night the reply was first read,
-- hours to reply, whether it was edited or deleted, and the standing reply's PHI-risk flags.
--
-- Hours to reply are bounded by the nightly reads, and stated as bounds: the reply came
-- after the last read without it (or the review's creation) and before the first read with
-- it. hours_to_reply is the reply's own updateTime at that first read, kept inside the
-- bounds (an edit before the first read would move it later, never earlier than the truth
-- by more than the bounds allow). answered_within_7d compares that estimate with 168 hours;
-- answered_within_7d_certain says the upper bound is within them too.
-- Incremental: a build recomputes the replies of the reviews it changed.
with observations as (
    select *
    from ({{ staged_reviews('review_observations') }}) as observed
    {{ changed_reviews_only() }}
),

first_reply as (
    select
        post_key,
        min(snapshot_date) as first_reply_night
    from observations
    where has_reply
    group by post_key
),

bounds as (
    select
        first_reply.post_key,
        first_reply.first_reply_night,
        any_value(observations.created_at) as review_created_at,
        max(case when observations.snapshot_date < first_reply.first_reply_night and not observations.has_reply
                 then observations._extracted_at end) as last_read_without_reply,
        max(case when observations.snapshot_date = first_reply.first_reply_night
                 then observations._extracted_at end) as first_read_with_reply,
        max(case when observations.snapshot_date = first_reply.first_reply_night
                 then observations.reply_updated_at end) as first_reply_updated_at,
        count(distinct observations.reply_md5) > 1 as reply_edited,
        max_by(observations.has_reply, observations.snapshot_date) as reply_stands
    from first_reply
    inner join observations on observations.post_key = first_reply.post_key
    group by first_reply.post_key, first_reply.first_reply_night
),

hours as (
    select
        *,
        greatest(0, {{ hours_between('review_created_at', 'coalesce(last_read_without_reply, review_created_at)') }})
            as hours_min,
        {{ hours_between('review_created_at', 'first_read_with_reply') }} as hours_max,
        {{ hours_between('review_created_at', 'first_reply_updated_at') }} as hours_stated
    from bounds
),

reviews as (
    select * from ({{ staged_reviews('reviews') }}) as staged
    {{ changed_reviews_only() }}
)

select
    hours.post_key as review_key,
    reviews.platform,
    reviews.location_id,
    reviews.brand_id,
    hours.review_created_at,
    reviews.star_rating,
    hours.first_reply_night,
    coalesce(reviews.reply_updated_at, hours.first_reply_updated_at) as reply_updated_at,
    {{ round_half_up('least(greatest(coalesce(hours.hours_stated, hours.hours_max), hours.hours_min), hours.hours_max)', 2) }}
        as hours_to_reply,
    {{ round_half_up('hours.hours_min', 2) }} as hours_to_reply_min,
    {{ round_half_up('hours.hours_max', 2) }} as hours_to_reply_max,
    least(greatest(coalesce(hours.hours_stated, hours.hours_max), hours.hours_min), hours.hours_max) <= 168
        as answered_within_7d,
    hours.hours_max <= 168 as answered_within_7d_certain,
    hours.reply_edited,
    not hours.reply_stands as reply_deleted,
    reviews.reply_text_redacted as reply_text,
    {{ list_len('reviews.reply_phi_flags') }} as phi_flag_count,
    coalesce(reviews.reply_phi_flags, {{ empty_string_list() }}) as phi_flags,
    reviews._source_file,
    reviews._source_sha256,
    reviews._run_id,
    {{ sql_string(build_id()) }} as _loaded_in_build
from hours
-- a review the privacy screen holds back has no row
inner join reviews on reviews.post_key = hours.post_key
