-- One row per post or comment on any platform (its latest snapshot), harmonised to one
-- schema: redacted text and its hash, public handle or pseudonym, owned/competitor account,
-- content type, and engagement mapped from each platform's native metrics (README.md,
-- "Engagement mapping"). What brand matching, sentiment and the marts read.
with youtube_videos as (
    select
        post_key, platform, 'post' as entity_type, native_post_id, post_url, published_at,
        author_key, author_handle, author_is_public, author_followers_count,
        text_redacted, lang, hashtags, mentioned_handles,
        cast(null as varchar) as in_reply_to_key,
        content_type,
        like_count as likes,
        comment_count as comments,
        cast(null as bigint) as shares,
        cast(null as bigint) as quotes,
        view_count as views,
        -- YouTube: likes + comments (likeCount is absent when likes are hidden: counts as 0)
        coalesce(like_count, 0) + coalesce(comment_count, 0) as engagements,
        snapshot_date,
        {{ lineage_columns() }}
    from {{ ref('stg_youtube__posts') }}
),

youtube_comments as (
    select
        comment_key as post_key, platform, 'comment' as entity_type, native_comment_id as native_post_id,
        comment_url as post_url, published_at,
        author_key, author_handle, author_is_public, cast(null as bigint) as author_followers_count,
        text_redacted, cast(null as varchar) as lang, hashtags, mentioned_handles,
        coalesce(parent_comment_key, video_post_key) as in_reply_to_key,
        'text' as content_type,
        like_count as likes,
        total_reply_count as comments,
        cast(null as bigint) as shares,
        cast(null as bigint) as quotes,
        cast(null as bigint) as views,
        -- a comment's likes + the replies in its thread
        coalesce(like_count, 0) + coalesce(total_reply_count, 0) as engagements,
        snapshot_date,
        {{ lineage_columns() }}
    from {{ ref('stg_youtube__comments') }}
),

reddit_posts as (
    select
        post_key, platform, 'post' as entity_type, native_post_id, post_url, published_at,
        author_key, author_handle, author_is_public, author_followers_count,
        text_redacted, lang, hashtags, mentioned_handles,
        cast(null as varchar) as in_reply_to_key,
        content_type,
        score as likes,
        num_comments as comments,
        cast(null as bigint) as shares,
        cast(null as bigint) as quotes,
        cast(null as bigint) as views,
        -- Reddit: score (net upvotes, floored at 0 so a downvoted post adds none) + comments
        greatest(coalesce(score, 0), 0) + coalesce(num_comments, 0) as engagements,
        snapshot_date,
        {{ lineage_columns() }}
    from {{ ref('stg_reddit__posts') }}
),

mastodon_posts as (
    select
        post_key, platform, 'post' as entity_type, native_post_id, post_url, published_at,
        author_key, author_handle, author_is_public, author_followers_count,
        text_redacted, lang, hashtags, mentioned_handles,
        in_reply_to_post_key as in_reply_to_key,
        content_type,
        favourites_count as likes,
        replies_count as comments,
        reblogs_count as shares,
        quotes_count as quotes,
        cast(null as bigint) as views,
        -- Mastodon: favourites + boosts + replies
        coalesce(favourites_count, 0) + coalesce(reblogs_count, 0) + coalesce(replies_count, 0) as engagements,
        snapshot_date,
        {{ lineage_columns() }}
    from {{ ref('stg_mastodon__posts') }}
),

bluesky_posts as (
    select
        post_key, platform, 'post' as entity_type, native_post_id, post_url, published_at,
        author_key, author_handle, author_is_public, author_followers_count,
        text_redacted, lang, hashtags, mentioned_handles,
        in_reply_to_post_key as in_reply_to_key,
        content_type,
        like_count as likes,
        reply_count as comments,
        repost_count as shares,
        quote_count as quotes,
        cast(null as bigint) as views,
        -- Bluesky: likes + reposts + replies + quotes
        coalesce(like_count, 0) + coalesce(repost_count, 0) + coalesce(reply_count, 0)
            + coalesce(quote_count, 0) as engagements,
        snapshot_date,
        {{ lineage_columns() }}
    from {{ ref('stg_bluesky__posts') }}
),

x_posts as (
    select
        post_key, platform, 'post' as entity_type, native_post_id, post_url, published_at,
        author_key, author_handle, author_is_public, author_followers_count,
        text_redacted, lang, hashtags, mentioned_handles,
        in_reply_to_post_key as in_reply_to_key,
        content_type,
        like_count as likes,
        reply_count as comments,
        retweet_count as shares,
        quote_count as quotes,
        impression_count as views,
        -- X: likes + reposts + replies + quotes
        coalesce(like_count, 0) + coalesce(retweet_count, 0) + coalesce(reply_count, 0)
            + coalesce(quote_count, 0) as engagements,
        snapshot_date,
        {{ lineage_columns() }}
    from {{ ref('stg_x__posts') }}
),

unioned as (
    select * from youtube_videos
    union all
    select * from youtube_comments
    union all
    select * from reddit_posts
    union all
    select * from mastodon_posts
    union all
    select * from bluesky_posts
    union all
    select * from x_posts
),

authors as (
    {%- for platform in ['youtube', 'reddit', 'mastodon', 'bluesky', 'x'] %}
    select author_key, followers_count, author_verified, is_owned, account_brand_id
    from {{ ref('stg_' ~ platform ~ '__authors') }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select
    unioned.post_key,
    unioned.platform,
    unioned.entity_type,
    unioned.native_post_id,
    unioned.post_url,
    unioned.published_at,
    cast(unioned.published_at as date) as published_date,
    unioned.author_key,
    unioned.author_handle,
    unioned.author_is_public,
    -- as reported with the post where the platform embeds it (X, Mastodon), else the
    -- author's latest profile (YouTube channels, Bluesky getProfiles, Reddit /about)
    coalesce(unioned.author_followers_count, authors.followers_count) as author_followers,
    coalesce(authors.author_verified, false) as author_verified,
    unioned.text_redacted,
    {{ sha256_hex('unioned.text_redacted') }} as text_hash,
    unioned.lang,
    unioned.hashtags,
    unioned.mentioned_handles,
    unioned.in_reply_to_key,
    coalesce(authors.is_owned, false) as is_owned,
    authors.account_brand_id,
    unioned.content_type,
    case
        when coalesce(length(unioned.text_redacted), 0) = 0 then 'empty'
        when length(unioned.text_redacted) <= 80 then 'short'
        when length(unioned.text_redacted) <= 280 then 'medium'
        else 'long'
    end as caption_length_bucket,
    unioned.likes,
    unioned.comments,
    unioned.shares,
    unioned.quotes,
    unioned.views,
    unioned.engagements,
    unioned.snapshot_date,
    unioned._source_file,
    unioned._source_sha256,
    unioned._source_line,
    unioned._run_id,
    unioned._extracted_at
from unioned
left join authors on authors.author_key = unioned.author_key
