{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per post on our Facebook Page's feed (ours, or a visitor's) or by someone tagging it
-- (its latest snapshot), text
-- redacted, tagged people's names removed, author pseudonymised unless public (our Page is).
-- Posts whose text still shows an identifier after redaction are not loaded (stg_quarantine).
with {{ privacy_screen_ctes('base_facebook__posts') }},

authors as (
    select * from {{ ref('stg_facebook__authors') }}
),

our_page as (
    select handle_normalized from {{ ref('stg_config__accounts') }}
    where platform = 'facebook' and is_owned
),

mention_rows as (
    -- the pages and people the post tags (their names are already out of the text) ...
    select screened.post_key, tag.t.id as handle, tag.t.id as native_id, cast(null as string) as text_handle
    from screened
    cross join {{ unnest_rows('screened.message_tags') }} as tag(t)

    union all

    -- ... and our Page for every post tagging it (a photo tag is not in the text) or written on
    -- its feed by someone else (a visitor's post: no `from` for a person)
    select screened.post_key, our_page.handle_normalized, our_page.handle_normalized, cast(null as string)
    from screened
    cross join our_page
    where screened.is_tagged or screened.native_author_id is distinct from our_page.handle_normalized
),

mentioned as (
    {{ label_mentions('facebook', 'mention_rows') }}
),

loaded as (
    select
        screened.post_key,
        'facebook' as platform,
        screened.native_post_id,
        -- the id form of the permalink: a person's post would otherwise spell out their profile
        'https://www.facebook.com/' || screened.native_post_id as post_url,
        screened.published_at,
        {{ author_key('facebook', 'screened.native_author_id') }} as author_key,
        authors.author_id,
        authors.author_handle,
        coalesce(authors.author_is_public, false) as author_is_public,
        cast(null as bigint) as author_followers_count,  -- Graph gives no follower count with a post
        screened.text_redacted_once as text_redacted,
        -- Graph API posts carry no language
        cast(null as string) as lang,
        {{ hashtags_in('screened.text_redacted_once') }} as hashtags,
        coalesce(mentioned.mentioned_handles, {{ empty_string_list() }}) as mentioned_handles,
        screened.is_tagged,
        screened.status_type,
        screened.content_type,
        screened.reaction_count,
        screened.comment_count,
        screened.share_count,
        screened.snapshot_date,
        {{ lineage_columns('screened') }},
        {{ batch_columns('screened') }}
    from screened
    left join authors on authors.author_key = {{ author_key('facebook', 'screened.native_author_id') }}
    left join mentioned on mentioned.post_key = screened.post_key
)

{{ merge_latest('loaded', 'post_key', 'facebook', 'post', ref('stg_facebook__authors')) }}
