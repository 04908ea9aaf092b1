{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=['{{ delete_changed_posts() }}'],
    partition_by=('mention_date' if target.type == 'spark' else none)
) }}
-- depends_on: {{ ref('int_posts_unified') }}
-- depends_on: {{ ref('stg_quarantine') }}
-- One row per news article x brand it mentions (fct_mentions on the news platform) with what
-- a reader of the news panel needs: headline (redacted), outlet and its domain, the domain's
-- credibility (seed source_credibility), language, GDELT's tone beside the healthcare-adjusted
-- VADER score, how it matched, and its link. Incremental as fct_mentions: a build drops and
-- recomputes the articles it changed (pre hook).
with mentions as (
    select *
    from {{ ref('fct_mentions') }}
    where platform = 'news'
    {{ 'and ' ~ in_batch() if is_incremental() }}
),

articles as (
    -- only the articles of this build's mentions: a night reads its own, not the history
    select post_key, outlet, source_domain, source_country, lang, text_redacted, post_url,
           gdelt_tone, undated
    from {{ ref('stg_news__posts') }}
    where post_key in (select post_key from mentions)
),

credibility as (
    select articles.post_key, max(sources.credibility) as source_credibility
    from articles
    inner join {{ ref('source_credibility') }} as sources
        on {{ host_in_domain('articles.source_domain', 'sources.domain') }}
    group by articles.post_key
)

select
    mentions.mention_key,
    mentions.post_key,
    mentions.brand_id,
    mentions.mention_date,
    mentions.published_at,
    articles.undated,
    coalesce(articles.outlet, articles.source_domain) as outlet,
    articles.source_domain,
    coalesce(credibility.source_credibility, 'unknown') as source_credibility,
    articles.source_country,
    articles.lang,
    articles.text_redacted as headline,
    articles.post_url as article_url,
    mentions.matched_on,
    articles.gdelt_tone,
    mentions.adjusted_compound,
    mentions.adjusted_label,
    mentions.snapshot_date,
    mentions._source_file,
    mentions._source_sha256,
    mentions._run_id,
    {{ sql_string(build_id()) }} as _loaded_in_build
from mentions
inner join articles on articles.post_key = mentions.post_key
left join credibility on credibility.post_key = mentions.post_key
