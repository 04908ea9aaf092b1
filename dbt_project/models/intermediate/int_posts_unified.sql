{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=['{{ forget_held_back_posts() }}']
) }}
-- One row per post or comment on any platform (its latest snapshot), harmonised to one
-- schema: redacted text and its hash, public handle or pseudonym, owned/competitor account,
-- content type, and engagement mapped from each platform's native metrics (README.md,
-- "Engagement mapping"). What brand matching, sentiment and the marts read.
-- Incremental: a build rewrites the posts whose staged row it wrote and the posts of authors
-- whose followers, verification or account role it changed; posts the privacy screen held
-- back in this build leave (post hook).
-- depends_on: {{ ref('stg_quarantine') }}
with
{% if is_incremental() %}
batch_authors as (
    {%- for platform in ['youtube', 'reddit', 'mastodon', 'bluesky', 'x'] %}
    select author_key, author_verified, is_owned, account_brand_id
    from {{ ref('stg_' ~ platform ~ '__authors') }}
    where {{ in_batch() }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

author_changes as (
    -- an author's change reaches the posts it shows in: verification and account role (rare;
    -- followers are the ones captured with each post, so a profile seen again rewrites nothing)
    select stored.post_key
    from {{ this }} as stored
    inner join batch_authors on batch_authors.author_key = stored.author_key
    where stored.author_verified is distinct from coalesce(batch_authors.author_verified, false)
        or stored.is_owned is distinct from coalesce(batch_authors.is_owned, false)
        or stored.account_brand_id is distinct from batch_authors.account_brand_id
),
{% endif %}

youtube_videos as (
    select
        post_key, platform, 'post' as entity_type, native_post_id, post_url, published_at,
        author_key, author_handle, author_is_public, author_followers_count,
        text_redacted, lang, hashtags, mentioned_handles,
        cast(null as varchar) as in_reply_to_key,
        content_type,
        {{ engagement_mapping('youtube_video') }},
        snapshot_date,
        {{ lineage_columns() }}
    from {{ changed_rows(ref('stg_youtube__posts'), 'post_key') }} as staged
),

youtube_comments as (
    select
        comment_key as post_key, platform, 'comment' as entity_type, native_comment_id as native_post_id,
        comment_url as post_url, published_at,
        author_key, author_handle, author_is_public, cast(null as bigint) as author_followers_count,
        text_redacted, cast(null as varchar) as lang, hashtags, mentioned_handles,
        coalesce(parent_comment_key, video_post_key) as in_reply_to_key,
        'text' as content_type,
        {{ engagement_mapping('youtube_comment') }},
        snapshot_date,
        {{ lineage_columns() }}
    from {{ changed_rows(ref('stg_youtube__comments'), 'comment_key') }} as staged
),

reddit_posts as (
    select
        post_key, platform, 'post' as entity_type, native_post_id, post_url, published_at,
        author_key, author_handle, author_is_public, author_followers_count,
        text_redacted, lang, hashtags, mentioned_handles,
        cast(null as varchar) as in_reply_to_key,
        content_type,
        {{ engagement_mapping('reddit') }},
        snapshot_date,
        {{ lineage_columns() }}
    from {{ changed_rows(ref('stg_reddit__posts'), 'post_key') }} as staged
),

mastodon_posts as (
    select
        post_key, platform, 'post' as entity_type, native_post_id, post_url, published_at,
        author_key, author_handle, author_is_public, author_followers_count,
        text_redacted, lang, hashtags, mentioned_handles,
        in_reply_to_post_key as in_reply_to_key,
        content_type,
        {{ engagement_mapping('mastodon') }},
        snapshot_date,
        {{ lineage_columns() }}
    from {{ changed_rows(ref('stg_mastodon__posts'), 'post_key') }} as staged
),

bluesky_posts as (
    select
        post_key, platform, 'post' as entity_type, native_post_id, post_url, published_at,
        author_key, author_handle, author_is_public, author_followers_count,
        text_redacted, lang, hashtags, mentioned_handles,
        in_reply_to_post_key as in_reply_to_key,
        content_type,
        {{ engagement_mapping('bluesky') }},
        snapshot_date,
        {{ lineage_columns() }}
    from {{ changed_rows(ref('stg_bluesky__posts'), 'post_key') }} as staged
),

x_posts as (
    select
        post_key, platform, 'post' as entity_type, native_post_id, post_url, published_at,
        author_key, author_handle, author_is_public, author_followers_count,
        text_redacted, lang, hashtags, mentioned_handles,
        in_reply_to_post_key as in_reply_to_key,
        content_type,
        {{ engagement_mapping('x') }},
        snapshot_date,
        {{ lineage_columns() }}
    from {{ changed_rows(ref('stg_x__posts'), 'post_key') }} as staged
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
    select author_key, author_verified, is_owned, account_brand_id
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
    -- as captured with the post: embedded (X, Mastodon) or the profile its run fetched
    -- (Bluesky, YouTube videos, Reddit config accounts); NULL where neither says. Never the
    -- author's latest profile: that would rewrite every older post of the author each time
    -- the profile is seen again (dim_authors has the latest count).
    unioned.author_followers_count as author_followers,
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
    unioned._extracted_at,
    {{ sql_string(build_id()) }} as _loaded_in_build
from unioned
left join authors on authors.author_key = unioned.author_key
