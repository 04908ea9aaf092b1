{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database (see the staging README): one row per
    Bluesky post per snapshot night, parsed and typed, text still verbatim (only in the build's
    scratch database; stg_bluesky__posts redacts it). Deduplicated within each night to the
    latest run; is_latest marks the copy stg_bluesky__posts keeps. The post's at-uri
    (at://<did>/app.bsky.feed.post/<rkey>) names its author's DID, which resolves to the
    account: the key therefore uses the author's pseudonym instead
    (bluesky:post:<pseudonym(did)>/<rkey>), stable and unique like the uri. -#}
{%- set post = json_document('post') %}
with pages as (
    select * from {{ ref('src_bluesky__pages') }}
    where endpoint = 'bluesky.feed.searchPosts'
),

posts as (
    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$.posts', '_item_index', 'post') }}
    from pages
),

parsed as (
    select
        {{ json_str(post, '$.uri') }} as at_uri,
        {{ json_str(post, '$.author.did') }} as native_author_id,
        {{ json_str(post, '$.author.handle') }} as author_handle_raw,
        {{ bluesky_rkey(json_str(post, '$.uri')) }} as rkey,
        -- indexedAt is when the network saw the post; createdAt is the client's claim and can
        -- be hours off (a wrong device clock), so it is kept aside, not used for dating
        {{ iso_to_utc(json_str(post, '$.indexedAt')) }} as published_at,
        {{ iso_to_utc(json_str(post, '$.record.createdAt')) }} as created_at_claimed,
        {{ json_str(post, '$.record.text') }} as text,
        {{ normalize_lang(json_str(post, '$.record.langs[0]')) }} as lang,
        {{ json_str(post, '$.record.reply.parent.uri') }} as reply_parent_uri,
        {{ list_clean(list_lower(list_concat(
            json_str_list(post, '$.record.facets[*].features[*].tag'),
            json_str_list(post, '$.record.tags[*]')))) }} as hashtags,
        -- the embed as recorded; recordWithMedia carries its media one level down
        coalesce({{ json_str(post, '$.record.embed.media."$type"') }},
                 {{ json_str(post, '$.record.embed."$type"') }}) as embed_type,
        coalesce({{ json_array_len(post, '$.record.embed.media.images') }},
                 0) + {{ json_array_len(post, '$.record.embed.images') }} as image_count,
        {{ json_int(post, '$.likeCount') }} as like_count,
        {{ json_int(post, '$.repostCount') }} as repost_count,
        {{ json_int(post, '$.replyCount') }} as reply_count,
        {{ json_int(post, '$.quoteCount') }} as quote_count,
        {{ json_int(post, '$.bookmarkCount') }} as bookmark_count,
        posts.shard_kind,
        posts.snapshot_date,
        posts._run_started_at,
        posts._item_index,
        {{ lineage_columns('posts') }}
    from {{ with_json_fields('posts', [post]) }}
),

keyed as (
    select
        *,
        {{ bluesky_post_key('native_author_id', 'rkey') }} as post_key,
        {{ bluesky_post_key(bluesky_did('reply_parent_uri'), bluesky_rkey('reply_parent_uri')) }}
            as in_reply_to_post_key
    from parsed
    where at_uri is not null and native_author_id is not null
),

ranked as (
    select
        *,
        row_number() over (partition by post_key, snapshot_date order by {{ latest_run_first() }}) as rank_in_night
    from keyed
)

select
    *,
    case
        when embed_type like 'app.bsky.embed.video%' then 'video'
        when embed_type like 'app.bsky.embed.images%' and image_count > 1 then 'carousel'
        when embed_type like 'app.bsky.embed.images%' then 'image'
        when embed_type like 'app.bsky.embed.external%' then 'link'
        else 'text'
    end as content_type,
    row_number() over (partition by post_key order by {{ latest_first() }}) = 1 as is_latest
from ranked
where rank_in_night = 1
