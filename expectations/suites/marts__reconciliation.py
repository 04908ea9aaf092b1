"""marts__reconciliation: one row per platform, counting the same things at each layer.

For the night being published (any night, also one backfilled after later ones):
- raw -> staging: distinct posts in the night's committed pages, as staging would key them,
  equal the staged snapshots of that night plus what the privacy screen held back (quarantine
  rows of that night); for a review source, distinct reviews equal that night's observations
  (which count held-back reviews too); every YouTube comment of the night's pages is staged or held back at
  its latest snapshot (comments have no per-night snapshots; marts_frames counts them);
- raw -> marts: the records the night's manifests count equal fct_data_health_nightly's
  records_fetched;
- staging -> marts: brand-matched mentions minus brands' own posts equal fct_mentions, and
  fct_mentions of panel brands equal the mentions plus the excluded mentions (copy-paste,
  bots) in fct_share_of_voice_daily (reviews are matched to their site's brand but have their
  own marts, not fct_mentions).
The frame holds counts only.
"""

from __future__ import annotations

from carepulse.config import LoadedConfig
from carepulse.sources import KIND_MODELS, SOURCES, entities
from expectations.suites import common as c

NAME = "marts__reconciliation"
COLUMNS = ["platform", "raw_posts", "staged_posts", "raw_comments", "staged_comments",
           "manifest_records", "health_records", "matched_mentions", "fct_mentions",
           "panel_fct_mentions", "sov_mentions"]
# one row per item per night it was read: post snapshots, review observations
SNAPSHOT_TABLES = {p: f"staging.stg_{p}__{KIND_MODELS[s.kind][0]}" for p, s in SOURCES.items()}
# the entity a source's "posts" are (marts_frames keys the raw pages' items by it)
PRIMARY_ENTITY = {p: s.entities[0].name for p, s in SOURCES.items()}
# comments are staged at their latest snapshot only (no snapshot model): counted from the model
COMMENT_TABLES = {source.name: f"staging.{entity.staged_model}" for source, entity in entities()
                  if entity.name == "comment"}  # (marts_frames counts each night's comment keys in them)
# $night: the reconciled night; $platforms: the platforms to report
SQL = f"""
with platforms as (select unnest($platforms::varchar[]) as platform),
snapshots as (
    {" union all ".join(f"select '{p}' as platform, count(*) as n from {t} where snapshot_date = $night"
                        for p, t in SNAPSHOT_TABLES.items())}
),
comments as (
    {" union all ".join(f"select '{p}' as platform, count(*) as n from {t} where snapshot_date = $night"
                        for p, t in COMMENT_TABLES.items())}
),
held as (
    select platform, count(*) filter (where entity = 'post') as posts,
           count(*) filter (where entity = 'comment') as comments
    from staging.stg_quarantine where snapshot_date = $night group by platform
),
health as (
    select platform, sum(records_fetched) as n from marts.fct_data_health_nightly
    where night = $night group by platform
),
matched as (
    select p.platform, count(*) as n
    from intermediate.int_mentions_matched as m
    join intermediate.int_posts_unified as p on p.post_key = m.post_key
    where p.account_brand_id is distinct from m.brand_id and p.entity_type is distinct from 'review'
    group by p.platform
),
facts as (
    select f.platform, count(*) as n,
           count(*) filter (where b.is_panel_member) as panel
    from marts.fct_mentions as f left join marts.dim_brands as b on b.brand_id = f.brand_id
    group by f.platform
),
sov as (
    select platform, sum(mentions + excluded_mentions) as n
    from marts.fct_share_of_voice_daily group by platform
)
select platforms.platform,
       coalesce(snapshots.n, 0) + coalesce(held.posts, 0) as staged_posts,
       coalesce(comments.n, 0) + coalesce(held.comments, 0) as staged_comments,
       cast(coalesce(health.n, 0) as bigint) as health_records,
       coalesce(matched.n, 0) as matched_mentions,
       coalesce(facts.n, 0) as fct_mentions,
       coalesce(facts.panel, 0) as panel_fct_mentions,
       cast(coalesce(sov.n, 0) as bigint) as sov_mentions
from platforms
left join snapshots using (platform)
left join comments using (platform)
left join held using (platform)
left join health using (platform)
left join matched using (platform)
left join facts using (platform)
left join sov using (platform)
order by platforms.platform
"""


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null(*COLUMNS),
        c.equal("raw_posts", "staged_posts"),
        c.equal("raw_comments", "staged_comments"),
        c.equal("manifest_records", "health_records"),
        c.equal("matched_mentions", "fct_mentions"),
        c.equal("panel_fct_mentions", "sov_mentions"),
    ]
