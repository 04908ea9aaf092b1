{{ config(materialized='table', **scratch_relation()) }}
{#- Parsed once per build into the scratch database: one row per news article per snapshot
    night, from every page that showed it: the configured feeds (title + summary, the feed's
    date) and GDELT's article search per brand (title only, the time GDELT saw it, its domain,
    language and country). An article is keyed by the hash of its canonical link
    (carepulse/urls.py: the feed connector wrote it beside each entry; `article_id()` keys
    GDELT's), so a feed item and a GDELT hit of the same story are one article. Per night the
    copies merge: text, date and evidence from a feed copy where there is one (a fuller text),
    the brands whose GDELT query found it (GDELT searched the full text, which the title may
    not show) and GDELT's tone bin (ToneChart's top articles per bin) from the GDELT copies;
    the brands of every night and the first tone are carried to each copy, so the copy
    stg_news__posts keeps (the latest, often from a feed alone) still has them. -#}
{%- set entry = json_document('entry') %}
{%- set article = json_document('article') %}
with pages as (
    select * from {{ ref('src_news__pages') }}
),

entries as (
    select
        pages.*,
        {{ json_str('pages.body', '$.feed.title') }} as feed_title,
        {{ json_str('pages.body', '$.feed.language') }} as feed_language,
        {{ json_unnest_indexed('pages.body', '$.entries', '_item_index', 'entry') }}
    from pages
    where pages.endpoint = 'news.feed'
),

feed_copies as (
    select
        {{ json_str(entry, '$.article_id') }} as article_id,
        {{ json_str(entry, '$.canonical_link') }} as canonical_link,
        concat_ws(chr(10), {{ json_str(entry, '$.title') }}, {{ json_str(entry, '$.summary') }}) as text,
        {{ iso_to_utc(json_str(entry, '$.published')) }} as published_at,
        coalesce({{ json_str(entry, '$.language') }}, feed_language) as language,
        feed_title as outlet,
        cast(null as string) as gdelt_domain,
        cast(null as string) as source_country,
        cast(null as string) as query_brand_id,
        0 as copy_rank,  -- a feed copy is the evidence when there is one
        entries.shard_kind,
        entries.snapshot_date,
        entries._run_started_at,
        entries._item_index,
        {{ lineage_columns('entries') }}
    from {{ with_json_fields('entries', [entry]) }}
),

hits as (
    select
        pages.*,
        {{ json_unnest_indexed('pages.body', '$.articles', '_item_index', 'article') }}
    from pages
    where pages.endpoint = 'news.gdelt.artlist'
),

gdelt_copies as (
    select
        article_id({{ json_str(article, '$.url') }}) as article_id,
        canonical_link({{ json_str(article, '$.url') }}) as canonical_link,
        {{ json_str(article, '$.title') }} as text,
        {{ compact_utc_to_ts(json_str(article, '$.seendate')) }} as published_at,
        {{ json_str(article, '$.language') }} as language,
        cast(null as string) as outlet,
        lower({{ json_str(article, '$.domain') }}) as gdelt_domain,
        {{ json_str(article, '$.sourcecountry') }} as source_country,
        hits.shard_key as query_brand_id,
        1 as copy_rank,
        hits.shard_kind,
        hits.snapshot_date,
        hits._run_started_at,
        hits._item_index,
        {{ lineage_columns('hits') }}
    from {{ with_json_fields('hits', [article]) }}
),

tones as (
    -- GDELT's tone bin of each article ToneChart lists among a bin's top articles
    select snapshot_date, article_id({{ json_str('part', '$.url') }}) as article_id, avg(bin) as gdelt_tone
    from (
        select snapshot_date,
               {{ json_int('b', '$.bin') }} as bin,
               {{ json_unnest('b', '$.toparts') }} as part
        from (
            select snapshot_date, {{ json_unnest('body', '$.tonechart') }} as b
            from pages
            where endpoint = 'news.gdelt.tonechart'
        ) as listed
    ) as parts
    group by 1, 2
),

copies as (
    select * from feed_copies
    union all
    select * from gdelt_copies
),

ranked as (
    select
        *,
        row_number() over (partition by article_id, snapshot_date
                           order by copy_rank, {{ latest_run_first() }}) as rank_in_night,
        -- without the NULLs of the feed copies
        {{ sorted_list_over('query_brand_id', 'partition by article_id, snapshot_date') }} as query_brand_ids,
        max(gdelt_domain) over (partition by article_id, snapshot_date) as any_gdelt_domain,
        max(source_country) over (partition by article_id, snapshot_date) as any_source_country,
        -- an undated feed item counts from the first night it was seen
        min(snapshot_date) over (partition by article_id) as first_seen_date
    from copies
    where article_id is not null
),

merged as (
    select ranked.* except (rank_in_night), tones.gdelt_tone
    from ranked
    left join tones on tones.article_id = ranked.article_id and tones.snapshot_date = ranked.snapshot_date
    where ranked.rank_in_night = 1
)

select
    'news:article:' || article_id as post_key,
    article_id as native_post_id,
    canonical_link,
    -- the outlet's domain: GDELT's, else the link's host
    coalesce(any_gdelt_domain, regexp_extract(canonical_link, '^https://([^/:]+)', 1)) as source_domain,
    text,
    published_at,
    cast(first_seen_date as timestamp) as first_seen_at,
    {{ news_language('language') }} as lang,
    outlet,
    any_source_country as source_country,
    query_brand_ids,
    gdelt_tone,
    -- over every night of the batch: the brands any GDELT search found it for, and the tone of
    -- the first night GDELT rated it (an article's tone is computed once, from its text)
    {{ sorted_list_over('query_brand_ids', 'partition by article_id', flatten=true) }} as query_brand_ids_seen,
    {{ first_non_null_over('gdelt_tone', 'partition by article_id order by snapshot_date
        rows between unbounded preceding and unbounded following') }} as first_tone,
    min(case when gdelt_tone is not null then snapshot_date end) over (partition by article_id)
        as first_tone_night,
    shard_kind,
    snapshot_date,
    _run_started_at,
    _item_index,
    {{ lineage_columns() }},
    row_number() over (partition by article_id order by {{ latest_first() }}) = 1 as is_latest
from merged
