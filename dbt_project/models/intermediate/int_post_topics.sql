{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    partition_by=build_partition(),
    pre_hook=['{{ delete_changed_posts() }}']
) }}
-- depends_on: {{ ref('stg_quarantine') }}
-- One row per (post, topic) where a post or comment is about a tracked topic: one of its
-- keywords (whole words, any case) or hashtags. A topic's exclusion phrases win.
-- matched_on is the strongest signal (hashtag > keyword).
-- Incremental: a build drops and recomputes the topics of the posts it changed (pre hook).
with posts as (
    select
        post_key,
        {{ words_padded('text_redacted') }} as text_words,
        hashtags
    from {{ ref('int_posts_unified') }}
    {{ changed_posts_only() }}
),

terms as (
    select
        topic_id,
        term_type,
        term_normalized,
        {{ words_padded('term_normalized') }} as term_words
    from {{ ref('stg_config__topic_terms') }}
),

phrase_hits as (
    -- whole words, any case: the padded word sequence of the phrase inside the post's
    select posts.post_key, terms.topic_id, terms.term_type, terms.term_normalized
    from posts
    inner join terms
        on terms.term_type in ('keyword', 'exclude')
        and contains(posts.text_words, terms.term_words)
),

hits as (
    select post_key, topic_id, 'keyword' as matched_on, term_normalized as matched_term
    from phrase_hits
    where term_type = 'keyword'

    union all

    select posts.post_key, terms.topic_id, 'hashtag' as matched_on, '#' || terms.term_normalized as matched_term
    from posts
    inner join terms
        on terms.term_type = 'hashtag'
        and array_contains(posts.hashtags, terms.term_normalized)
),

excluded as (
    select distinct post_key, topic_id
    from phrase_hits
    where term_type = 'exclude'
)

select
    hits.post_key || ':' || hits.topic_id as post_topic_key,
    hits.post_key,
    hits.topic_id,
    case min(case hits.matched_on when 'hashtag' then 1 else 2 end)
        when 1 then 'hashtag'
        else 'keyword'
    end as matched_on,
    {{ agg_sorted_list('hits.matched_term') }} as matched_terms,
    {{ sql_string(build_id()) }} as _loaded_in_build
from hits
left join excluded
    on excluded.post_key = hits.post_key
    and excluded.topic_id = hits.topic_id
where excluded.post_key is null
group by hits.post_key, hits.topic_id
