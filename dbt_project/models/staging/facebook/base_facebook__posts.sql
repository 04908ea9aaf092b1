{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database (see the staging README): one row per post
    on our Page's feed (/feed: its own posts and visitors' posts on it) or by someone else
    tagging it (/tagged) per snapshot night, text still
    verbatim (stg_facebook__posts redacts it). Deduplicated within each night to the latest
    run; is_latest marks the copy stg_facebook__posts keeps. -#}
{%- set post = json_document('post') %}
with pages as (
    select * from {{ ref('src_facebook__pages') }}
    where endpoint in ('facebook.page.posts', 'facebook.page.tagged')
),

posts as (
    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$.data', '_item_index', 'post') }}
    from pages
),

parsed as (
    select
        'facebook:post:' || {{ json_str(post, '$.id') }} as post_key,
        {{ json_str(post, '$.id') }} as native_post_id,
        -- absent on a user's post the Page is tagged in (Graph returns `from` to its creator only)
        {{ json_str(post, '$.from.id') }} as native_author_id,
        {{ json_str(post, '$.from.name') }} as author_name,
        {{ iso_to_utc(json_str(post, '$.created_time')) }} as published_at,
        -- absent on a photo-only post
        coalesce({{ json_str(post, '$.message') }}, '') as message,
        {{ json_str(post, '$.permalink_url') }} as permalink_url,
        {{ json_str(post, '$.status_type') }} as status_type,
        {{ json_str(post, '$.attachments.data[0].media_type') }} as media_type,
        {{ json_records(post, '$.message_tags', {'id': 'VARCHAR', 'name': 'VARCHAR', 'type': 'VARCHAR'}) }}
            as message_tags,
        {{ json_int(post, '$.reactions.summary.total_count') }} as reaction_count,
        {{ json_int(post, '$.comments.summary.total_count') }} as comment_count,
        -- Graph leaves `shares` out when nobody shared the post (it is always requested)
        coalesce({{ json_int(post, '$.shares.count') }}, 0) as share_count,
        posts.endpoint = 'facebook.page.tagged' as is_tagged,
        posts.shard_kind,
        posts.snapshot_date,
        posts._run_started_at,
        posts._item_index,
        {{ lineage_columns('posts') }}
    from {{ with_json_fields('posts', [post]) }}
),

ranked as (
    select
        *,
        row_number() over (partition by post_key, snapshot_date order by {{ latest_run_first() }}) as rank_in_night
    from parsed
    where native_post_id is not null
)

select
    * except (message),
    -- the people a post tags are named in its text: their names go (pages keep theirs)
    without_reviewer_name(message,
        {{ list_joined_where('message_tags', 't', 't.name', "t.type = 'user'", "' '") }}) as text,
    case media_type
        when 'video' then 'video'
        when 'album' then 'carousel'
        when 'photo' then 'image'
        when 'link' then 'link'
        when 'share' then 'link'
        else 'text'
    end as content_type,
    row_number() over (partition by post_key order by {{ latest_first() }}) = 1 as is_latest
from ranked
where rank_in_night = 1
