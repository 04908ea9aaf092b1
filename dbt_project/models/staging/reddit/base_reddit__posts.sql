{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database (see the staging README): one row per Reddit
    submission (t3) per snapshot night, parsed and typed, text decoded from Reddit's default
    HTML escaping but otherwise verbatim (never stored; stg_reddit__posts redacts it).
    Deduplicated within each night to the latest run; is_latest marks the copy stg_reddit__posts
    keeps. -#}
{%- set post = json_document('post') %}
with pages as (
    select * from {{ ref('src_reddit__pages') }}
    where endpoint = 'reddit.search'
),

children as (
    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$.data.children', '_item_index', 'child') }}
    from pages
),

submissions as (
    select children.*, {{ json_obj('child', '$.data') }} as post
    from children
    -- search returns links (t3) only; anything else is not a post
    where {{ json_str('child', '$.kind') }} = 't3'
),

parsed as (
    select
        'reddit:post:' || {{ json_str(post, '$.name') }} as post_key,
        {{ json_str(post, '$.name') }} as native_post_id,
        {{ json_str(post, '$.id') }} as reddit_id,
        -- "[deleted]" authors have no fullname: no author
        {{ json_str(post, '$.author_fullname') }} as native_author_id,
        {{ epoch_to_utc(json_float(post, '$.created_utc')) }} as published_at,
        -- edited is false or an epoch float
        case when {{ json_float(post, '$.edited') }} is not null
             then {{ epoch_to_utc(json_float(post, '$.edited')) }} end as edited_at,
        -- Reddit escapes &, < and > in every string unless raw_json=1 was sent (it is not)
        {{ decode_html_entities(json_str(post, '$.title')) }} as title,
        {{ decode_html_entities(json_str(post, '$.selftext')) }} as selftext,
        {{ decode_html_entities(json_str(post, '$.subreddit')) }} as subreddit,
        {{ decode_html_entities(json_str(post, '$.link_flair_text')) }} as link_flair_text,
        {{ decode_html_entities(json_str(post, '$.url')) }} as link_url,
        {{ json_str(post, '$.domain') }} as link_domain,
        {{ json_bool(post, '$.is_self') }} as is_self,
        {{ json_bool(post, '$.is_video') }} as is_video,
        {{ json_bool(post, '$.is_gallery') }} as is_gallery,
        {{ json_str(post, '$.post_hint') }} as post_hint,
        {{ json_bool(post, '$.over_18') }} as is_nsfw,
        {{ json_int(post, '$.score') }} as score,
        {{ json_int(post, '$.ups') }} as ups,
        {{ json_float(post, '$.upvote_ratio') }} as upvote_ratio,
        {{ json_int(post, '$.num_comments') }} as num_comments,
        {{ json_int(post, '$.num_crossposts') }} as num_crossposts,
        {{ json_int(post, '$.subreddit_subscribers') }} as subreddit_subscribers,
        submissions.shard_kind,
        submissions.snapshot_date,
        submissions._run_started_at,
        submissions._item_index,
        {{ lineage_columns('submissions') }}
    from {{ with_json_fields('submissions', [post]) }}
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
    -- the submission's full text: title, then the self text when there is one
    title || case when coalesce(selftext, '') <> '' then chr(10) || chr(10) || selftext else '' end as text,
    case
        when coalesce(is_self, false) then 'text'
        when coalesce(is_video, false) or post_hint in ('hosted:video', 'rich:video') then 'video'
        when coalesce(is_gallery, false) then 'carousel'
        when post_hint = 'image' or link_domain in ('i.redd.it', 'i.imgur.com') then 'image'
        else 'link'
    end as content_type,
    row_number() over (partition by post_key order by {{ latest_first() }}) = 1 as is_latest
from ranked
where rank_in_night = 1
