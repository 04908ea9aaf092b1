{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    partition_by=build_partition(),
    pre_hook=['{{ delete_changed_posts() }}'],
    post_hook=['{{ delete_superseded_rows("post_key") }}']
) }}
-- One row per question or complaint addressed to a panel brand (post or comment x brand):
-- the public or a patient naming the brand's @handle on that platform, replying to one of
-- its posts, or commenting on one of its videos. is_question: a '?' (or '¿') or a
-- question word first; is_complaint: a complaint phrase, or negative adjusted sentiment
-- in an item that is not a question.
-- Answered when an account of that brand replied to it; response time from the question to
-- the first reply. Text is the redacted text only; authors are public handles or pseudonyms.
-- fct_patient_questions adds how long each item has waited (a view: an open item ages every
-- night, so its age is computed when read, not stored).
-- Incremental: a build recomputes the posts it changed, the posts they reply to (an answer
-- arrives later) and the replies to them (a brand post arriving late makes replies addressed).
-- depends_on: {{ ref('stg_quarantine') }}
with
{% if is_incremental() %}
recompute as (
    {{ unified_changes() }}
    union
    select in_reply_to_key from {{ ref('int_posts_unified') }}
    where {{ in_batch() }} and in_reply_to_key is not null
    union
    select post_key from {{ ref('int_posts_unified') }}
    where in_reply_to_key in (select post_key from {{ ref('int_posts_unified') }} where {{ in_batch() }})
),
{% endif %}

-- int_posts_unified is read where each part needs it, not through one CTE: DuckDB would
-- materialise a CTE read several times, i.e. copy the whole history into memory.
posts as (
    select
        post_key, platform, entity_type, published_at, author_key, account_brand_id,
        text_redacted, text_hash, in_reply_to_key, engagements
    from {{ ref('int_posts_unified') }}
    {{ 'where post_key in (select post_key from recompute)' if is_incremental() }}
),

brand_accounts as (
    select post_key, account_brand_id as brand_id
    from {{ ref('int_posts_unified') }}
    where account_brand_id is not null
        and post_key in (select in_reply_to_key from posts)
),

handle_mentions as (
    select post_key, brand_id
    from {{ ref('int_mentions_matched') }}
    -- handle is the strongest signal, so matched_on says whether a handle matched
    where matched_on = 'handle' and post_key in (select post_key from posts)
),

addressed as (
    -- how each item addresses each brand: a reply in the brand's thread beats an @handle
    select
        post_key,
        brand_id,
        case min(case when via = 'handle' then 2 else 1 end)
            when 2 then 'handle'
            else min(via) filter (where via <> 'handle')
        end as addressed_via
    from (
        select post_key, brand_id, 'handle' as via from handle_mentions
        union all
        select posts.post_key, brand_accounts.brand_id,
               case when posts.entity_type = 'comment' then 'comment_on_brand_post'
                    else 'reply_to_brand_post' end as via
        from posts
        inner join brand_accounts on brand_accounts.post_key = posts.in_reply_to_key
    ) as ways
    group by post_key, brand_id
),

candidates as (
    select
        posts.*,
        addressed.brand_id,
        addressed.addressed_via,
        {{ words_padded('posts.text_redacted') }} as text_words,
        sentiment.adjusted_compound,
        sentiment.adjusted_label
    from posts
    inner join addressed on addressed.post_key = posts.post_key
    left join {{ ref('int_sentiment_scores') }} as sentiment on sentiment.text_hash = posts.text_hash
    -- brand accounts talking to each other are not patients
    where posts.account_brand_id is null
),

flagged as (
    select
        candidates.*,
        (
            contains(text_redacted, '?') or contains(text_redacted, '¿')
            {%- for word in ['how', 'what', 'when', 'where', 'why', 'who', 'which', 'can', 'could',
                             'do', 'does', 'is', 'are', 'will', 'should', 'anyone'] %}
            or ltrim(text_words) like '{{ word }} %'
            {%- endfor %}
        ) as is_question,
        (
            false
            {%- for phrase in ['waited', 'wait time', 'hours in the er', 'on hold', 'rude',
                               'billed me', 'billing error', 'refund', 'overcharged', 'cancelled',
                               'canceled', 'nobody answers', 'no one answers', 'unacceptable',
                               'misdiagnosed', 'never called back', 'lost my'] %}
            or contains(text_words, ' {{ phrase }} ')
            {%- endfor %}
        ) as has_complaint_phrase
    from candidates
),

classified as (
    -- a question in a negative tone ("...keeps failing, who do I call?") is still a question
    select
        flagged.*,
        has_complaint_phrase or (coalesce(adjusted_label = 'negative', false) and not is_question)
            as is_complaint
    from flagged
),

answers as (
    -- the first reply by an account of the addressed brand
    select
        classified.post_key,
        classified.brand_id,
        min(reply.published_at) as answered_at,
        min(reply.post_key) filter (where reply.published_at is not null) as answer_post_key
    from classified
    inner join {{ ref('int_posts_unified') }} as reply
        on reply.in_reply_to_key = classified.post_key
        and reply.account_brand_id = classified.brand_id
        and reply.published_at >= classified.published_at
    group by classified.post_key, classified.brand_id
),

topics as (
    select post_key, {{ agg_sorted_list('topic_id') }} as topic_ids
    from {{ ref('int_post_topics') }}
    where post_key in (select post_key from posts)
    group by post_key
)

select
    classified.post_key || ':' || classified.brand_id as patient_question_key,
    classified.post_key,
    classified.brand_id,
    classified.platform,
    classified.entity_type,
    classified.addressed_via,
    case when classified.is_complaint then 'complaint' else 'question' end as item_kind,
    classified.is_question,
    classified.is_complaint,
    classified.published_at as asked_at,
    cast(classified.published_at as date) as asked_date,
    coalesce(classified.author_key, 'unknown') as author_key,
    classified.text_redacted,
    coalesce(topics.topic_ids, {{ empty_string_list() }}) as topic_ids,
    classified.adjusted_compound,
    classified.adjusted_label,
    classified.engagements,
    answers.answered_at is not null as is_answered,
    answers.answered_at,
    answers.answer_post_key,
    {{ minutes_between('classified.published_at', 'answers.answered_at') }} as response_minutes,
    {{ sql_string(build_id()) }} as _loaded_in_build
from classified
left join answers
    on answers.post_key = classified.post_key
    and answers.brand_id = classified.brand_id
left join topics on topics.post_key = classified.post_key
where classified.is_question or classified.is_complaint
