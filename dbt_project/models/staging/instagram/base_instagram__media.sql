{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database: one row per media of our Instagram
    account (/media) or by someone tagging it (/tags) per snapshot night, caption verbatim
    (stg_instagram__media redacts it). Our media name no owner id, so the account a page was
    requested for (`ig_user_id` of the request's params) is its author; a tagging account is
    known by its username only. -#}
{%- set media = json_document('media') %}
with pages as (
    select * from {{ ref('src_instagram__pages') }}
    where endpoint in ('instagram.user.media', 'instagram.user.tags')
),

media as (
    select
        pages.*,
        {{ json_str('pages.request_params', '$.ig_user_id') }} as ig_user_id,
        {{ json_unnest_indexed('pages.body', '$.data', '_item_index', 'media') }}
    from pages
),

parsed as (
    select
        'instagram:media:' || {{ json_str(media, '$.id') }} as post_key,
        {{ json_str(media, '$.id') }} as native_post_id,
        case when media.endpoint = 'instagram.user.media' then media.ig_user_id
             else 'username:' || lower({{ json_str(media, '$.username') }}) end as native_author_id,
        case when media.endpoint = 'instagram.user.media' then media.ig_user_id
             else {{ json_str(media, '$.username') }} end as handle,
        {{ iso_to_utc(json_str(media, '$.timestamp')) }} as published_at,
        coalesce({{ json_str(media, '$.caption') }}, '') as text,
        -- instagram.com/p/<shortcode>/: names the media, not its owner
        {{ json_str(media, '$.permalink') }} as permalink,
        {{ json_str(media, '$.media_type') }} as media_type,
        {{ json_str(media, '$.media_product_type') }} as media_product_type,
        -- absent when the owner hides like counts
        {{ json_int(media, '$.like_count') }} as like_count,
        {{ json_int(media, '$.comments_count') }} as comment_count,
        media.endpoint = 'instagram.user.tags' as is_tagged,
        media.shard_kind,
        media.snapshot_date,
        media._run_started_at,
        media._item_index,
        {{ lineage_columns('media') }}
    from {{ with_json_fields('media', [media]) }}
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
    case
        when media_product_type = 'REELS' then 'short'
        when media_type = 'VIDEO' then 'video'
        when media_type = 'CAROUSEL_ALBUM' then 'carousel'
        else 'image'
    end as content_type,
    row_number() over (partition by post_key order by {{ latest_first() }}) = 1 as is_latest
from ranked
where rank_in_night = 1
