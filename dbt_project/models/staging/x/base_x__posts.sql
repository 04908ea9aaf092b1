{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database (see the staging README): one row per tweet
    per snapshot night, parsed and typed, text still verbatim (only in the build's scratch
    database; stg_x__posts redacts it). Deduplicated within each night to the latest run;
    is_latest marks the copy stg_x__posts keeps. -#}
{%- set tweet = json_document('tweet') %}
with pages as (
    select * from {{ ref('src_x__pages') }}
    where endpoint = 'x.tweets.search.recent'
),

tweets as (
    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$.data', '_item_index', 'tweet') }}
    from pages
),

page_authors as (
    -- authors arrive only as includes.users of the same page (expansions=author_id): their
    -- follower count there is the one reported at fetch time
    select
        _source_file,
        {{ json_str('author', '$.id') }} as author_id,
        max({{ json_int('author', '$.public_metrics.followers_count') }}) as followers_count
    from (
        select _source_file, {{ json_unnest('body', '$.includes.users') }} as author
        from pages
    ) as users
    group by 1, 2
),

parsed as (
    select
        'x:tweet:' || {{ json_str(tweet, '$.id') }} as post_key,
        {{ json_str(tweet, '$.id') }} as native_post_id,
        {{ json_str(tweet, '$.author_id') }} as native_author_id,
        {{ iso_to_utc(json_str(tweet, '$.created_at')) }} as published_at,
        -- X v2 escapes &, < and > in text as HTML entities
        {{ decode_html_entities(json_str(tweet, '$.text')) }} as text,
        {{ normalize_lang(json_str(tweet, '$.lang')) }} as lang,
        {{ json_str(tweet, '$.conversation_id') }} as conversation_id,
        {{ json_lookup(tweet, '$.referenced_tweets', 'type', 'replied_to', 'id') }} as replied_to_tweet_id,
        {{ json_lookup(tweet, '$.referenced_tweets', 'type', 'quoted', 'id') }} as quoted_tweet_id,
        {{ json_str(tweet, '$.in_reply_to_user_id') }} as in_reply_to_user_id,
        {{ list_clean(list_lower(json_str_list(tweet, '$.entities.hashtags[*].tag'))) }} as hashtags,
        {{ json_records(tweet, '$.entities.mentions', {'username': 'VARCHAR', 'id': 'VARCHAR'}) }} as mentions,
        -- media keys from attachments, or from the media links of the url entities when the
        -- attachments field was not requested
        {{ list_clean(list_concat(json_str_list(tweet, '$.attachments.media_keys[*]'),
                                  json_str_list(tweet, '$.entities.urls[*].media_key'))) }} as media_keys,
        -- url entities that are not media links (a media link carries its media_key)
        {{ json_array_len(tweet, '$.entities.urls') }}
            - {{ list_len(json_str_list(tweet, '$.entities.urls[*].media_key')) }} as link_count,
        {{ json_int(tweet, '$.public_metrics.like_count') }} as like_count,
        {{ json_int(tweet, '$.public_metrics.retweet_count') }} as retweet_count,
        {{ json_int(tweet, '$.public_metrics.reply_count') }} as reply_count,
        {{ json_int(tweet, '$.public_metrics.quote_count') }} as quote_count,
        {{ json_int(tweet, '$.public_metrics.bookmark_count') }} as bookmark_count,
        {{ json_int(tweet, '$.public_metrics.impression_count') }} as impression_count,
        page_authors.followers_count as author_followers_count,
        tweets.shard_kind,
        tweets.snapshot_date,
        tweets._run_started_at,
        tweets._item_index,
        {{ lineage_columns('tweets') }}
    from {{ with_json_fields('tweets', [tweet]) }}
    left join page_authors
        on page_authors._source_file = tweets._source_file
        and page_authors.author_id = {{ json_str(tweet, '$.author_id') }}
),

ranked as (
    select
        *,
        row_number() over (partition by post_key, snapshot_date order by {{ latest_run_first() }}) as rank_in_night
    from parsed
    where native_post_id is not null
)

select
    *,
    -- media keys: 3_ photo, 7_ video, 16_ animated GIF
    case
        when {{ list_count_prefix('media_keys', '7_') }} + {{ list_count_prefix('media_keys', '16_') }} > 0 then 'video'
        when {{ list_count_prefix('media_keys', '3_') }} > 1 then 'carousel'
        when {{ list_count_prefix('media_keys', '3_') }} = 1 then 'image'
        when link_count > 0 then 'link'
        else 'text'
    end as content_type,
    row_number() over (partition by post_key order by {{ latest_first() }}) = 1 as is_latest
from ranked
where rank_in_night = 1
