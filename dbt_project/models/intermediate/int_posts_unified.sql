{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    partition_by=build_partition(),
    post_hook=['{{ delete_held_back_posts() }}', '{{ delete_superseded_rows("post_key") }}']
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
    {%- for platform in source_names('social') %}
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

{%- for platform, entity, base, staged, key in source_entities() %}
{{ platform }}_{{ entity }}s as (
    select
        {{- unified_columns(platform, entity) }},
        snapshot_date,
        {{ lineage_columns() }}
    from {{ changed_rows(ref(staged), key) }} as staged
),
{% endfor %}
unioned as (
    {%- for platform, entity, base, staged, key in source_entities() %}
    select * from {{ platform }}_{{ entity }}s
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

authors as (
    {%- for platform in source_names('social') %}
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
    -- the brands whose platform search found the item though its text may not show the match
    -- (GDELT searches an article's full text; we keep its title)
    unioned.search_brand_ids,
    -- the platform's own tone score where it gives one (GDELT's tone bin), beside VADER's
    unioned.native_tone,
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
