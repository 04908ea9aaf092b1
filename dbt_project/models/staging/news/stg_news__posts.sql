{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per news article (its latest snapshot): title and summary redacted, the outlet
-- (its domain) as author, the brands whose GDELT search found it on any night, GDELT's tone
-- bin of the first night it rated it. An article without a date keeps the first night it was
-- seen. All three hold whichever order the nights are built in: a backfilled older night's
-- copy does not replace the stored later one, but what it adds (a brand, an earlier tone or
-- first sighting) is written into it. Articles whose text still shows an identifier after
-- redaction are not loaded (stg_quarantine).
with {{ privacy_screen_ctes('base_news__articles') }},

authors as (
    select * from {{ ref('stg_news__authors') }}
),

batch_copies as (
    select
        screened.post_key,
        'news' as platform,
        screened.native_post_id,
        screened.canonical_link as post_url,
        {%- if is_incremental() %}
        coalesce(screened.published_at, least(stored.published_at, screened.first_seen_at)) as published_at,
        {%- else %}
        coalesce(screened.published_at, screened.first_seen_at) as published_at,
        {%- endif %}
        screened.published_at is null as undated,
        -- the date the stored row had when this one moves it (a backfill dates an undated item
        -- earlier): int_build_dates rebuilds that date too
        {%- if is_incremental() %}
        case when stored.published_at <> coalesce(screened.published_at,
                                                  least(stored.published_at, screened.first_seen_at))
             then stored.published_at end as _moved_from_published_at,
        {%- else %}
        cast(null as timestamp) as _moved_from_published_at,
        {%- endif %}
        {{ author_key('news', 'screened.source_domain') }} as author_key,
        authors.author_id,
        authors.author_handle,
        coalesce(authors.author_is_public, false) as author_is_public,
        cast(null as bigint) as author_followers_count,  -- an outlet's audience is not reported
        screened.text_redacted_once as text_redacted,
        screened.lang,
        {{ hashtags_in('screened.text_redacted_once') }} as hashtags,
        {{ empty_string_list() }} as mentioned_handles,
        screened.source_domain,
        screened.outlet,
        screened.source_country,
        {%- if is_incremental() %}
        -- what earlier builds found stays: the brands of every night, the first tone
        {{ list_clean(list_concat('coalesce(stored.query_brand_ids, ' ~ empty_string_list() ~ ')',
                                  'screened.query_brand_ids_seen')) }} as query_brand_ids,
        case when stored.gdelt_tone_night <= coalesce(screened.first_tone_night, stored.gdelt_tone_night)
             then stored.gdelt_tone else screened.first_tone end as gdelt_tone,
        least(stored.gdelt_tone_night, screened.first_tone_night) as gdelt_tone_night,
        {%- else %}
        screened.query_brand_ids_seen as query_brand_ids,
        screened.first_tone as gdelt_tone,
        screened.first_tone_night as gdelt_tone_night,
        {%- endif %}
        'link' as content_type,
        screened.snapshot_date,
        {{ lineage_columns('screened') }},
        {{ batch_columns('screened') }}
    from screened
    left join authors on authors.author_key = {{ author_key('news', 'screened.source_domain') }}
    {%- if is_incremental() %}
    left join {{ this }} as stored on stored.post_key = screened.post_key
    {%- endif %}
),

loaded as (
    select {{ star_replace(this) if is_incremental() else '*' }} from batch_copies
    {%- if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as stored
        where stored.post_key = batch_copies.post_key and {{ seen('stored') }} > {{ seen('batch_copies') }}
    )

    union all

    -- an older night's copy (a backfill): the stored later copy stays, with what the older
    -- night adds (its seen() is the stored one's, so merge_latest keeps it)
    select {{ star_replace(this, 'stored', {
        'published_at': 'case when stored.undated then least(stored.published_at, batch_copies.published_at)
             else stored.published_at end',
        '_moved_from_published_at': 'case when stored.undated and batch_copies.published_at < stored.published_at
             then stored.published_at end',
        'query_brand_ids': 'batch_copies.query_brand_ids',
        'gdelt_tone': 'batch_copies.gdelt_tone',
        'gdelt_tone_night': 'batch_copies.gdelt_tone_night',
        '_loaded_in_build': sql_string(build_id())}) }}
    from {{ this }} as stored
    inner join batch_copies
        on batch_copies.post_key = stored.post_key and {{ seen('stored') }} > {{ seen('batch_copies') }}
    {%- endif %}
)

{{ merge_latest('loaded', 'post_key', 'news', 'post', ref('stg_news__authors')) }}
