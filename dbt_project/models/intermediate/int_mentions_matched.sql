{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    partition_by=build_partition(),
    pre_hook=['{{ delete_changed_posts() }}']
) }}
-- depends_on: {{ ref('stg_quarantine') }}
-- One row per (post, brand) where a post or comment names a tracked brand (the
-- organisation or a panel competitor): by alias or name phrase (whole words, any case), by
-- the brand's @handle on that platform, by one of its hashtags, or by the platform's own
-- search for the brand (a news article GDELT found by its full text, of which we keep the
-- title). Exclusions win: a post containing an exclusion phrase of a brand does not match
-- that brand, however else it matched. matched_on is the strongest signal (handle > hashtag
-- > alias > query).
-- Incremental: a build drops and recomputes the mentions of the posts it changed (pre hook).
with posts as (
    select
        post_key,
        platform,
        {{ words_padded('text_redacted') }} as text_words,
        hashtags,
        mentioned_handles,
        search_brand_ids
    from {{ ref('int_posts_unified') }}
    {{ changed_posts_only() }}
),

terms as (
    select
        brand_id,
        term_type,
        platform,
        term_normalized,
        {{ words_padded('term_normalized') }} as term_words
    from {{ ref('stg_config__brand_terms') }}
),

phrase_hits as (
    -- whole words, any case: the padded word sequence of the phrase inside the post's
    select posts.post_key, terms.brand_id, terms.term_type, terms.term_normalized
    from posts
    inner join terms
        on terms.term_type in ('alias', 'exclude')
        and contains(posts.text_words, terms.term_words)
),

hits as (
    select post_key, brand_id, 'alias' as matched_on, term_normalized as matched_term
    from phrase_hits
    where term_type = 'alias'

    union all

    select posts.post_key, terms.brand_id, 'hashtag' as matched_on, '#' || terms.term_normalized as matched_term
    from posts
    inner join terms
        on terms.term_type = 'hashtag'
        and array_contains(posts.hashtags, terms.term_normalized)

    union all

    select posts.post_key, terms.brand_id, 'handle' as matched_on, '@' || terms.term_normalized as matched_term
    from posts
    inner join terms
        on terms.term_type = 'handle'
        and terms.platform = posts.platform
        and array_contains(posts.mentioned_handles, terms.term_normalized)

    union all

    select posts.post_key, searched.brand_id, 'query' as matched_on, 'query:' || searched.brand_id as matched_term
    from posts
    cross join {{ list_elements('posts.search_brand_ids', 'searched', 'brand_id') }}
),

excluded as (
    select distinct post_key, brand_id
    from phrase_hits
    where term_type = 'exclude'
),

kept as (
    select hits.*
    from hits
    left join excluded
        on excluded.post_key = hits.post_key
        and excluded.brand_id = hits.brand_id
    where excluded.post_key is null
)

select
    kept.post_key || ':' || kept.brand_id as mention_key,
    kept.post_key,
    kept.brand_id,
    case min(case kept.matched_on when 'handle' then 1 when 'hashtag' then 2 when 'alias' then 3 else 4 end)
        when 1 then 'handle'
        when 2 then 'hashtag'
        when 3 then 'alias'
        else 'query'
    end as matched_on,
    {{ agg_sorted_list('kept.matched_term') }} as matched_terms,
    {{ sql_string(build_id()) }} as _loaded_in_build
from kept
group by kept.post_key, kept.brand_id
