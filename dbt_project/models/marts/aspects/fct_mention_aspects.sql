{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=['{{ delete_changed_posts() }}', '{{ forget_rescreened_post_rows() }}'],
    partition_by=('mention_date' if target.type == 'spark' else none)
) }}
-- depends_on: {{ ref('stg_quarantine') }}
-- depends_on: {{ ref('int_post_screening') }}
-- One row per aspect occurrence in a mention (fct_mentions, per brand) or in a review of one
-- of our sites (fct_reviews, with its location): the aspect, the redacted clause it was found
-- in, the phrase, negation, the clause's compound and the aspect's polarity there
-- (int_text_aspects). Excluded mentions (copy-paste, bots) keep their rows, flagged.
-- Incremental: a build rewrites the rows of the posts it changed or re-screened.
with mentions as (
    select mention_key as source_key, post_key, brand_id, cast(null as string) as location_id,
           platform, entity_type, mention_date, text_hash, is_excluded
    from {{ ref('fct_mentions') }}
    where mention_date > cast('1900-01-01' as date)
    {{ changed_posts_only(keyword='and') }}
),

reviews as (
    -- the review's unified row carries its text hash; reviews are our sites' alone (small)
    select reviews.review_key as source_key, reviews.review_key as post_key, reviews.brand_id,
           reviews.location_id, reviews.platform, 'review' as entity_type,
           reviews.created_date as mention_date, posts.text_hash, false as is_excluded
    from {{ ref('int_posts_unified') }} as posts
    inner join {{ ref('fct_reviews') }} as reviews on reviews.review_key = posts.post_key
    where posts.entity_type = 'review' and reviews.has_comment
    {%- if is_incremental() %}
    and {{ in_batch('posts._loaded_in_build') }}
    {%- endif %}
),

sources as (
    select * from mentions
    union all
    select * from reviews
)

select
    sources.source_key || ':' || aspects.aspect_id || ':' || cast(aspects.clause_index as string)
        as mention_aspect_key,
    sources.source_key,
    sources.post_key,
    sources.brand_id,
    sources.location_id,
    aspects.aspect_id,
    sources.mention_date,
    sources.platform,
    sources.entity_type,
    aspects.clause_index,
    aspects.clause_redacted as sentence_redacted,
    aspects.matched_phrase,
    aspects.negated,
    aspects.clause_compound as sentence_compound,
    aspects.polarity,
    aspects.taxonomy_version,
    sources.is_excluded,
    {{ sql_string(build_id()) }} as _loaded_in_build
from sources
inner join {{ ref('int_text_aspects') }} as aspects on aspects.text_hash = sources.text_hash
