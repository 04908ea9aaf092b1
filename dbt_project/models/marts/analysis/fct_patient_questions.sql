{{ config(materialized='view') }}
-- One row per question or complaint addressed to a panel brand (int_patient_questions), with
-- how long it has waited: until the answer, or (open) until the end of the newest extracted
-- night (as_of_at, or the newest item when one arrived after it: a comment posted between
-- midnight and the extraction). A property of the data, not of when it was fetched, so a
-- rerun of a night gives the same figures. A view: an open item ages every night, and
-- storing its age would rewrite every open item of history each night.
with as_of as (
    select greatest(
        (select max(interval_end) from {{ ref('stg_raw__extraction_runs') }}),
        (select max(published_at) from {{ ref('int_posts_unified') }})
    ) as as_of_at
)

select
    questions.* except (_loaded_in_build),
    as_of.as_of_at,
    {{ hours_crossed('questions.asked_at', 'coalesce(questions.answered_at, as_of.as_of_at)') }}
        as hours_waiting,
    questions._loaded_in_build
from {{ ref('int_patient_questions') }} as questions
cross join as_of
