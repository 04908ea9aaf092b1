-- One row per night x platform from the first to the last night extracted: whether the
-- night was extracted, how its latest extraction run ended for the platform (shards
-- complete / partial, the reasons), what was fetched over all runs of the night (pages,
-- records, malformed pages, requests are per run and not split by platform), what the
-- warehouse kept from it (posts staged, mentions) and what the privacy screen held back
-- (quarantined), the mentions screened out as copy-paste or bots and those in a language
-- sentiment does not score, and freshness (when the night was extracted, hours after its interval
-- closed). health_status: ok, partial (a shard did not complete), failed (nothing fetched
-- although planned) or missing (no run for the night).
with runs as (
    select run_id, night, status, finished_at, interval_end, is_latest_run_of_night
    from {{ ref('stg_raw__extraction_runs') }}
),

nights as (
    select date_day as night
    from {{ ref('dim_dates') }}
    where date_day between (select min(night) from runs) and (select max(night) from runs)
),

platforms as (
    select platform from {{ ref('dim_platforms') }} where not is_unknown
),

shards as (
    select
        shards.night,
        shards.platform,
        count(distinct shards.run_id) as runs,
        sum(shards.pages) as pages,
        sum(shards.records) as records,
        sum(shards.malformed_pages) as malformed_pages,
        -- the latest run of the night says how the night stands now
        count(*) filter (where runs.is_latest_run_of_night) as shards_latest_run,
        count(*) filter (where runs.is_latest_run_of_night and shards.status = 'complete') as shards_complete,
        count(*) filter (where runs.is_latest_run_of_night and shards.status <> 'complete') as shards_incomplete,
        {{ agg_sorted_list("case when runs.is_latest_run_of_night and shards.status <> 'complete' then shards.reason_kind end") }}
            as incomplete_reason_kinds,
        max(runs.finished_at) as last_extracted_at,
        max(runs.interval_end) as interval_end,
        max(case when runs.is_latest_run_of_night then runs.run_id end) as latest_run_id
    from {{ ref('stg_raw__extraction_shards') }} as shards
    inner join runs on runs.run_id = shards.run_id
    group by shards.night, shards.platform
),

posts as (
    select platform, snapshot_date as night, count(*) as posts_staged
    from {{ ref('int_posts_unified') }}
    group by platform, snapshot_date
),

mentions as (
    select
        platform, mention_date as night, count(*) as mentions,
        count(*) filter (where is_excluded) as excluded_mentions,
        count(*) filter (where exclusion_reason = 'copy_paste') as copy_paste_mentions,
        count(*) filter (where exclusion_reason = 'bot_account') as bot_mentions,
        count(*) filter (where not_scored_reason = 'language') as not_scored_mentions
    from {{ ref('fct_mentions') }}
    group by platform, mention_date
),

quarantined as (
    select platform, snapshot_date as night, count(*) as quarantined_records
    from {{ ref('stg_quarantine') }}
    group by platform, snapshot_date
)

select
    cast(nights.night as string) || ':' || platforms.platform as health_key,
    nights.night,
    platforms.platform,
    coalesce(shards.runs, 0) as runs,
    shards.latest_run_id,
    coalesce(shards.shards_latest_run, 0) as shards,
    coalesce(shards.shards_complete, 0) as shards_complete,
    coalesce(shards.shards_incomplete, 0) as shards_partial,
    coalesce(shards.incomplete_reason_kinds, {{ empty_string_list() }}) as partial_reason_kinds,
    coalesce(shards.pages, 0) as pages_fetched,
    coalesce(shards.records, 0) as records_fetched,
    coalesce(shards.malformed_pages, 0) as malformed_pages,
    coalesce(posts.posts_staged, 0) as posts_staged,
    coalesce(mentions.mentions, 0) as mentions,
    -- screened out of share of voice and sentiment (kept in fct_mentions with the reason)
    coalesce(mentions.excluded_mentions, 0) as excluded_mentions,
    coalesce(mentions.copy_paste_mentions, 0) as copy_paste_mentions,
    coalesce(mentions.bot_mentions, 0) as bot_mentions,
    -- in a language VADER does not score: counted, not in net sentiment
    coalesce(mentions.not_scored_mentions, 0) as not_scored_mentions,
    coalesce(quarantined.quarantined_records, 0) as quarantined_records,
    shards.last_extracted_at,
    cast({{ minutes_between('shards.interval_end', 'shards.last_extracted_at') }} / 60.0
        as decimal(18, 2)) as hours_after_interval,
    case
        when shards.runs is null then 'missing'
        when coalesce(shards.records, 0) = 0 and shards.shards_incomplete > 0 then 'failed'
        when shards.shards_incomplete > 0 then 'partial'
        else 'ok'
    end as health_status
from nights
cross join platforms
left join shards on shards.night = nights.night and shards.platform = platforms.platform
left join posts on posts.night = nights.night and posts.platform = platforms.platform
left join mentions on mentions.night = nights.night and mentions.platform = platforms.platform
left join quarantined on quarantined.night = nights.night and quarantined.platform = platforms.platform
