{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook=['{{ delete_changed_posts() }}'],
    partition_by=('published_date' if target.type == 'spark' else none)
) }}
-- One row per public post or comment that makes a health claim from the reference list
-- (seed health_claim_patterns) or links to a low-credibility source (seed
-- source_credibility), with one column per verification signal in the spirit of the WHO
-- seven steps: assess the source (linked domains and their credibility), go beyond the
-- headline (links to evidence at all), identify the author (public, verified, clinician,
-- followers), check the date (the same text seen before: recycled), examine the supporting
-- evidence (authoritative or fact-checker links), check biases (manipulative rhetoric), and
-- turn to fact-checkers (matching fact-checked claim, verdict, reference). red_flags counts
-- the signals that point to misinformation; risk_level combines them with reach.
-- Incremental: a build recomputes the posts it changed (read by their stamp, never by a join
-- over history). A stored row it did not rewrite changes in two ways only, both computed from
-- the row itself: a post of this build moved its text's first-seen date (a backfilled older
-- copy), or this build changed its author's public, verified or clinician flag.
-- depends_on: {{ ref('stg_quarantine') }}
with
posts as (
    select
        post_key, platform, entity_type, published_at, published_date, author_key, author_followers,
        text_redacted, text_hash, engagements, account_brand_id, post_url,
        {{ words_padded('text_redacted') }} as text_words,
        -- the hosts it links to; a news article's own outlet is its source
        {{ link_hosts_in("text_redacted || case when platform = 'news' then ' ' || coalesce(post_url, '') else '' end") }}
            as link_hosts
    from {{ ref('int_posts_unified') }}
    where account_brand_id is null
    {{ 'and ' ~ in_batch() if is_incremental() }}
),

first_seen as (
    -- "check the date": when this exact (redacted) text was first seen in the warehouse, for
    -- the texts of the posts recomputed (incremental: of every post this build wrote, as a
    -- brand account's post counts too)
    select text_hash, min(published_at) as first_seen_at
    from {{ ref('int_posts_unified') }}
    where text_hash in (
        {%- if is_incremental() %}
        select text_hash from {{ ref('int_posts_unified') }} where {{ in_batch() }}
        {%- else %}
        select text_hash from posts
        {%- endif %}
    )
    group by text_hash
),

patterns as (
    select pattern_id, signal, claim_topic, fact_check_verdict, fact_check_reference,
           {{ words_padded('phrase') }} as phrase_words
    from {{ ref('health_claim_patterns') }}
),

pattern_hits as (
    select posts.post_key, patterns.*
    from posts
    inner join patterns on contains(posts.text_words, patterns.phrase_words)
),

link_hits as (
    select posts.post_key, link.host, sources.credibility
    from posts
    cross join {{ list_elements('posts.link_hosts', 'link', 'host') }}
    inner join {{ ref('source_credibility') }} as sources on {{ host_in_domain('link.host', 'sources.domain') }}
),

per_post as (
    select
        posts.post_key,
        {{ agg_sorted_list("case when pattern_hits.signal = 'health_claim' then pattern_hits.pattern_id end") }}
            as claim_pattern_ids,
        {{ agg_sorted_list('pattern_hits.claim_topic') }} as claim_topics,
        bool_or(pattern_hits.signal = 'rhetoric') as uses_manipulative_rhetoric,
        -- the strongest fact-check verdict among the matched claims (false beats unverified)
        min(pattern_hits.fact_check_verdict) as fact_check_verdict,
        min(pattern_hits.fact_check_reference) filter (where pattern_hits.fact_check_verdict = 'false')
            as fact_check_reference
    from posts
    left join pattern_hits on pattern_hits.post_key = posts.post_key
    group by posts.post_key
),

per_link as (
    select
        post_key,
        {{ agg_sorted_list("case when credibility = 'low_credibility' then host end") }} as low_credibility_domains,
        bool_or(credibility in ('authoritative', 'fact_checker')) as cites_authoritative_source
    from link_hits
    group by post_key
),

brands as (
    select post_key, {{ agg_sorted_list('brand_id') }} as brand_ids
    from {{ ref('int_mentions_matched') }}
    {%- if is_incremental() %}
    where {{ in_batch() }}
    {%- else %}
    where post_key in (select post_key from posts)
    {%- endif %}
    group by post_key
),

watched as (
    select
        posts.*,
        coalesce(per_post.claim_pattern_ids, {{ empty_string_list() }}) as claim_pattern_ids,
        coalesce(per_post.claim_topics, {{ empty_string_list() }}) as claim_topics,
        coalesce(per_post.uses_manipulative_rhetoric, false) as uses_manipulative_rhetoric,
        per_post.fact_check_verdict,
        per_post.fact_check_reference,
        coalesce(per_link.low_credibility_domains, {{ empty_string_list() }}) as low_credibility_domains,
        coalesce(per_link.cites_authoritative_source, false) as cites_authoritative_source
    from posts
    inner join per_post on per_post.post_key = posts.post_key
    left join per_link on per_link.post_key = posts.post_key
    where {{ list_len('per_post.claim_pattern_ids') }} > 0
       or {{ list_len('per_link.low_credibility_domains') }} > 0
),

signals as (
    select
        watched.post_key, watched.platform, watched.entity_type, watched.published_at,
        watched.published_date, watched.author_key, watched.author_followers, watched.text_redacted,
        watched.text_hash, watched.engagements, watched.link_hosts,
        watched.claim_pattern_ids, watched.claim_topics, watched.uses_manipulative_rhetoric,
        watched.fact_check_verdict, watched.fact_check_reference, watched.low_credibility_domains,
        watched.cites_authoritative_source,
        authors.is_public as author_is_public,
        authors.is_verified as author_is_verified,
        authors.is_healthcare_professional as author_is_healthcare_professional,
        first_seen.first_seen_at,
        coalesce(brands.brand_ids, {{ empty_string_list() }}) as brand_ids
    from watched
    left join {{ ref('dim_authors') }} as authors on authors.author_key = watched.author_key
    left join first_seen on first_seen.text_hash = watched.text_hash
    left join brands on brands.post_key = watched.post_key
    {%- if is_incremental() %}
    union all
    -- stored rows this build did not rewrite whose first-seen date or author flags moved
    select
        stored.post_key, stored.platform, stored.entity_type, stored.published_at,
        stored.published_date, stored.author_key, stored.author_followers, stored.text_redacted,
        stored.text_hash, stored.engagements, stored.linked_domains as link_hosts,
        stored.claim_pattern_ids, stored.claim_topics, stored.uses_manipulative_rhetoric,
        stored.fact_check_verdict, stored.fact_check_reference, stored.low_credibility_domains,
        stored.cites_authoritative_source,
        coalesce(authors.is_public, stored.author_is_public),
        coalesce(authors.is_verified, stored.author_is_verified),
        coalesce(authors.is_healthcare_professional, stored.author_is_healthcare_professional),
        coalesce(first_seen.first_seen_at, stored.first_seen_at),
        stored.brand_ids
    from {{ this }} as stored
    left join first_seen on first_seen.text_hash = stored.text_hash
    left join {{ ref('dim_authors') }} as authors
        on authors.author_key = stored.author_key and {{ in_batch('authors._loaded_in_build') }}
    where stored.post_key not in (select post_key from {{ ref('int_posts_unified') }} where {{ in_batch() }})
        and (
            first_seen.first_seen_at is distinct from stored.first_seen_at and first_seen.text_hash is not null
            or stored.author_is_public is distinct from coalesce(authors.is_public, stored.author_is_public)
            or stored.author_is_verified is distinct from coalesce(authors.is_verified, stored.author_is_verified)
            or stored.author_is_healthcare_professional
                is distinct from coalesce(authors.is_healthcare_professional, stored.author_is_healthcare_professional)
        )
    {%- endif %}
),

flagged as (
    select
        signals.*,
        (case when {{ list_len('low_credibility_domains') }} > 0 then 1 else 0 end
         + case when {{ list_len('link_hosts') }} = 0 then 1 else 0 end
         + case when not coalesce(author_is_verified, false)
                 and not coalesce(author_is_healthcare_professional, false) then 1 else 0 end
         + case when first_seen_at < published_at then 1 else 0 end
         + case when not cites_authoritative_source then 1 else 0 end
         + case when uses_manipulative_rhetoric then 1 else 0 end
         + case when fact_check_verdict = 'false' then 1 else 0 end) as red_flags
    from signals
)

select
    post_key,
    platform,
    entity_type,
    published_at,
    published_date,
    coalesce(author_key, 'unknown') as author_key,
    text_redacted,
    brand_ids,
    claim_pattern_ids,
    claim_topics,
    -- 1. assess the source
    link_hosts as linked_domains,
    low_credibility_domains,
    -- 2. go beyond the headline
    {{ list_len('link_hosts') }} as evidence_link_count,
    -- 3. identify the author
    coalesce(author_is_public, false) as author_is_public,
    coalesce(author_is_verified, false) as author_is_verified,
    coalesce(author_is_healthcare_professional, false) as author_is_healthcare_professional,
    coalesce(author_followers, 0) as author_followers,
    -- 4. check the date
    first_seen_at,
    coalesce(first_seen_at < published_at, false) as is_recycled_text,
    text_hash,
    -- 5. examine the supporting evidence
    cites_authoritative_source,
    -- 6. check biases
    uses_manipulative_rhetoric,
    -- 7. turn to fact-checkers
    fact_check_verdict is not null as has_fact_check_match,
    fact_check_verdict,
    fact_check_reference,
    red_flags,
    coalesce(engagements, 0) as engagements,
    case
        when red_flags >= 4 and (coalesce(author_followers, 0) >= 10000 or coalesce(engagements, 0) >= 100) then 'high'
        when red_flags >= 4 or fact_check_verdict = 'false' then 'medium'
        else 'low'
    end as risk_level,
    {{ sql_string(build_id()) }} as _loaded_in_build
from flagged
