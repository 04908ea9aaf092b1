{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database: one row per comment on a post of our Page
    (/{post-id}/comments, filter=stream: replies too, each naming its parent) per snapshot
    night, text verbatim (stg_facebook__comments redacts it). The post a comment belongs to is
    the one its page was requested for (the `post_id` of the request's params). -#}
{%- set comment = json_document('comment') %}
with pages as (
    select * from {{ ref('src_facebook__pages') }}
    where endpoint = 'facebook.post.comments'
),

comments as (
    select
        pages.*,
        {{ json_str('pages.request_params', '$.post_id') }} as post_id,
        {{ json_unnest_indexed('pages.body', '$.data', '_item_index', 'comment') }}
    from pages
),

parsed as (
    select
        'facebook:comment:' || {{ json_str(comment, '$.id') }} as comment_key,
        {{ json_str(comment, '$.id') }} as native_comment_id,
        post_id,
        {{ json_str(comment, '$.parent.id') }} as parent_comment_id,
        -- a person's comment may come without `from`; our Page's replies carry it
        {{ json_str(comment, '$.from.id') }} as native_author_id,
        {{ json_str(comment, '$.from.name') }} as author_name,
        {{ iso_to_utc(json_str(comment, '$.created_time')) }} as published_at,
        coalesce({{ json_str(comment, '$.message') }}, '') as message,
        {{ json_int(comment, '$.like_count') }} as like_count,
        {{ json_int(comment, '$.comment_count') }} as reply_count,
        comments.shard_kind,
        comments.snapshot_date,
        comments._run_started_at,
        comments._item_index,
        {{ lineage_columns('comments') }}
    from {{ with_json_fields('comments', [comment]) }}
),

ranked as (
    select
        *,
        row_number() over (partition by comment_key, snapshot_date order by {{ latest_run_first() }}) as rank_in_night
    from parsed
    where native_comment_id is not null
)

select
    * except (message),
    -- a reply greets the people of its thread by name: every commenter's name on the post goes
    without_reviewer_name(message,
        {{ distinct_joined_over('author_name', "' '", 'partition by post_id') }}) as text,
    row_number() over (partition by comment_key order by {{ latest_first() }}) = 1 as is_latest
from ranked
where rank_in_night = 1
