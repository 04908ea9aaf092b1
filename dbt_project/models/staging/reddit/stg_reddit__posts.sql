{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per Reddit submission (its latest snapshot): title and self text decoded and
-- redacted, author pseudonymised unless public. Submissions whose text still shows an
-- identifier after redaction are not loaded (stg_quarantine).
with {{ privacy_screen_ctes('base_reddit__posts', ['title', 'text']) }},

authors as (
    select * from {{ ref('stg_reddit__authors') }}
),

run_followers as (
    {{ followers_in_run('base_reddit__author_observations') }}
),

mention_rows as (
    select
        screened.post_key,
        mentioned.handle,
        cast(null as string) as native_id,
        mentioned.handle as text_handle
    from screened
    cross join {{ unnest_rows(list_concat(reddit_users_in('screened.text_redacted_once'), at_handles_in('screened.text_redacted_once'))) }}
        as mentioned(handle)
),

mentioned as (
    {{ label_mentions('reddit', 'mention_rows') }}
),

loaded as (
    select
        screened.post_key,
        'reddit' as platform,
        screened.native_post_id,
        -- the short permalink: no subreddit, no title slug
        'https://www.reddit.com/comments/' || screened.reddit_id as post_url,
        screened.published_at,
        screened.edited_at,
        {{ author_key('reddit', 'screened.native_author_id') }} as author_key,
        authors.author_id,
        authors.author_handle,
        coalesce(authors.author_is_public, false) as author_is_public,
        run_followers.followers_count as author_followers_count,
        {{ mask_private_mentions('screened.title_redacted_once', 'mentioned.private_mentions') }} as title_redacted,
        {{ mask_private_mentions('screened.text_redacted_once', 'mentioned.private_mentions') }} as text_redacted,
        cast(null as string) as lang,
        {{ hashtags_in('screened.text_redacted_once') }} as hashtags,
        coalesce(mentioned.mentioned_handles, {{ empty_string_list() }}) as mentioned_handles,
        -- a user's profile subreddit (u_<name>) names them: kept for public authors only
        case when screened.subreddit like 'u!_%' escape '!' and not coalesce(authors.author_is_public, false)
             then null else screened.subreddit end as subreddit,
        screened.link_flair_text,
        case when not coalesce(screened.is_self, false) then screened.link_domain end as link_domain,
        screened.is_nsfw,
        screened.content_type,
        screened.score,
        screened.upvote_ratio,
        screened.num_comments,
        screened.num_crossposts,
        screened.snapshot_date,
        {{ lineage_columns('screened') }},
        {{ batch_columns('screened') }}
    from screened
    left join authors on authors.author_key = {{ author_key('reddit', 'screened.native_author_id') }}
    left join mentioned on mentioned.post_key = screened.post_key
    left join run_followers
        on run_followers.native_author_id = screened.native_author_id
        and run_followers._run_id = screened._run_id
)

{{ merge_latest('loaded', 'post_key', 'reddit', 'post', ref('stg_reddit__authors')) }}
