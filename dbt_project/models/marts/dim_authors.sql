{{ config(
    materialized='incremental',
    unique_key='author_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    partition_by=('platform' if target.type == 'spark' else none)
) }}
-- One row per author (account) on any platform, plus the unknown member ('unknown'): the
-- public handle or the keyed pseudonym of a private individual, public/verified flags, a
-- healthcare-professional flag from the public profile, followers, an influence score
-- (weights in docs: influence_score) and a follower tier. Authors seen only in posts (no
-- profile sighting) are kept with what the posts say.
-- Incremental: a build recomputes the authors whose profile it staged or whose posts it
-- changed, from all of their posts.
{% set platforms = source_names('social') %}
with
{% if is_incremental() %}
changed as (
    {%- for platform in platforms %}
    select author_key from {{ ref('stg_' ~ platform ~ '__authors') }} where {{ in_batch() }}
    union
    {%- endfor %}
    -- (a post held back after it was loaded leaves int_posts_unified with its author unknown
    -- here: that author's posts_seen counts it until the author changes again)
    select author_key from {{ ref('int_posts_unified') }} where {{ in_batch() }}
),
{% endif %}

profiles as (
    {%- for platform in platforms %}
    select
        author_key, platform, author_handle, author_is_public, author_verified,
        display_name, description_redacted, followers_count, is_owned, account_brand_id
    from {{ ref('stg_' ~ platform ~ '__authors') }}
    {{ 'where author_key in (select author_key from changed)' if is_incremental() }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

post_authors as (
    -- authors as posts carry them; also the engagement each author's posts earn
    select
        author_key,
        min(platform) as platform,
        min(author_handle) as author_handle,
        bool_or(coalesce(author_is_public, false)) as author_is_public,
        bool_or(coalesce(author_verified, false)) as author_verified,
        max(author_followers) as followers_count,
        count(*) as posts_seen,
        sum(coalesce(engagements, 0)) as engagements_seen
    from {{ ref('int_posts_unified') }}
    where author_key is not null
    {{ 'and author_key in (select author_key from changed)' if is_incremental() }}
    group by author_key
),

authors as (
    select
        coalesce(profiles.author_key, post_authors.author_key) as author_key,
        coalesce(profiles.platform, post_authors.platform) as platform,
        coalesce(profiles.author_handle, post_authors.author_handle) as author_handle,
        coalesce(profiles.author_is_public, post_authors.author_is_public, false) as is_public,
        coalesce(profiles.author_verified, post_authors.author_verified, false) as is_verified,
        coalesce(profiles.is_owned, false) as is_owned,
        profiles.account_brand_id,
        -- profile text exists for public accounts only (private ones lose it in staging)
        lower(coalesce(profiles.display_name, '') || ' ' || coalesce(profiles.description_redacted, '')) as profile_text,
        coalesce(profiles.followers_count, post_authors.followers_count) as followers_count,
        coalesce(post_authors.posts_seen, 0) as posts_seen,
        coalesce(post_authors.engagements_seen, 0) as engagements_seen
    from profiles
    full outer join post_authors on post_authors.author_key = profiles.author_key
),

flagged as (
    select
        authors.*,
        -- healthcare professional: a clinical title or role in the public display name / bio
        {{ words_padded('profile_text') }} as profile_words
    from authors
),

scored as (
    select
        flagged.*,
        (
            {%- for term in ['md', 'm d', 'do', 'rn', 'np', 'pa c', 'dnp', 'pharmd', 'mbbs', 'frcp',
                             'dr', 'doctor', 'physician', 'nurse', 'surgeon', 'pharmacist',
                             'paramedic', 'midwife', 'cardiologist', 'oncologist', 'pediatrician',
                             'paediatrician', 'radiologist', 'epidemiologist', 'dentist', 'clinician'] %}
            contains(profile_words, ' {{ term }} '){{ ' or' if not loop.last }}
            {%- endfor %}
        ) as is_healthcare_professional,
        case
            when posts_seen = 0 then cast(0 as double)
            else cast(engagements_seen as double) / posts_seen
        end as avg_engagements_per_post
    from flagged
)

select
    author_key,
    platform,
    author_handle,
    is_public,
    is_verified,
    is_owned,
    account_brand_id,
    is_healthcare_professional,
    followers_count,
    posts_seen,
    avg_engagements_per_post,
    -- docs: influence_score (weights 0.50 reach, 0.30 engagement, 0.10 verified, 0.10 HCP)
    cast(round(100 * (
        0.50 * least(log10(1 + coalesce(followers_count, 0)) / 7.0, 1.0)
        + 0.30 * least(log10(1 + cast(avg_engagements_per_post as double)) / 4.0, 1.0)
        + 0.10 * case when is_verified then 1 else 0 end
        + 0.10 * case when is_healthcare_professional then 1 else 0 end
    ), 2) as decimal(5, 2)) as influence_score,
    case
        when followers_count is null then 'unknown'
        when followers_count < 10000 then 'nano'
        when followers_count < 100000 then 'micro'
        when followers_count < 1000000 then 'macro'
        else 'mega'
    end as author_tier,
    false as is_unknown,
    {{ sql_string(build_id()) }} as _loaded_in_build
from scored

union all

select
    'unknown' as author_key,
    'unknown' as platform,
    'unknown' as author_handle,
    false as is_public,
    false as is_verified,
    false as is_owned,
    cast(null as string) as account_brand_id,
    false as is_healthcare_professional,
    cast(null as bigint) as followers_count,
    0 as posts_seen,
    cast(0 as double) as avg_engagements_per_post,
    cast(0 as decimal(5, 2)) as influence_score,
    'unknown' as author_tier,
    true as is_unknown,
    {{ sql_string(build_id()) }} as _loaded_in_build
