"""Every query the dashboard runs, and the only module that opens DuckDB.

Why it is shaped like this:

- The dashboard reads the *published* warehouse only, always `read_only=True` (one writer:
  the nightly build writes a candidate file and publish swaps it in).
- Publish replaces the file with `os.replace`, so the file's (inode, mtime_ns) names one
  published version. Results are cached on that key: a new publish is picked up on the next
  rerun without restarting the server, and an unchanged file costs no query at all.
- Each batch of queries opens a short-lived read-only connection and closes it at once. A
  handle kept across reruns would pin the replaced file and keep serving yesterday's data.
- Queries return pandas frames with plain dtypes (BIGINT / DOUBLE, not HUGEINT or DECIMAL);
  the ratio-of-sums maths on them lives in `dashboard.metrics`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from carepulse import paths
from carepulse.sources import SOCIAL, SOURCES
from transform.build import published_path

SOV_BASES = {  # sidebar basis -> numerator column of panel_daily()
    "mention": "mentions",
    "engagement": "engagements",
    "reach": "reach",
    "sentiment_weighted": "sentiment_weight",
}


class WarehouseUnreadable(RuntimeError):
    """The published file could not be queried (not a CarePulse warehouse, or damaged)."""


@dataclass(frozen=True)
class Snapshot:
    """One published version of the warehouse file: its path and (inode, mtime_ns)."""

    path: str
    inode: int
    mtime_ns: int


@dataclass(frozen=True)
class Scope:
    """What the sidebar selected: period (inclusive), platforms and the brand in focus."""

    start: date
    end: date
    platforms: tuple[str, ...]
    brand_id: str
    all_platforms: bool = True
    languages: tuple[str, ...] | None = None  # ISO 639-1 codes; None: every language, unfiltered

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Scope:
        """The period of the same length just before this one."""
        end = self.start - timedelta(days=1)
        return replace(self, start=end - timedelta(days=self.days - 1), end=end)

    def params(self) -> dict:
        return {"start": self.start, "end": self.end, "platforms": list(self.platforms),
                "brand": self.brand_id, "days": self.days, "languages": list(self.languages or ()),
                # fct_sentiment_alerts_daily has a cross-platform row ('all') per brand and day
                "alert_platforms": ["all"] if self.all_platforms else list(self.platforms)}


@dataclass(frozen=True)
class Catalog:
    """The published dimensions the sidebar offers, and the data's date bounds."""

    brands: pd.DataFrame
    platforms: pd.DataFrame
    first_day: date | None
    last_day: date | None
    first_night: date | None  # first and newest nights extracted (data health)
    latest_night: date | None
    languages: tuple[str, ...] = ()  # of the mentions, most mentioned first; () before detection

    def covers(self, scope: Scope) -> bool:
        """Every night of the period was extracted (so it can stand as a comparison)."""
        return self.first_night is not None and self.first_night <= scope.start


def snapshot(home: Path | None = None) -> Snapshot | None:
    """The published warehouse as it is now, or None when nothing was published yet."""
    path = published_path(home or paths.home())
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return Snapshot(str(path), stat.st_ino, stat.st_mtime_ns)


@st.cache_data(show_spinner=False, max_entries=512)
def _fetch(snap: Snapshot, queries: tuple[tuple[str, tuple], ...]) -> list[pd.DataFrame]:
    try:
        con = duckdb.connect(snap.path, read_only=True)
    except duckdb.Error as exc:
        raise WarehouseUnreadable(f"{snap.path}: {exc}") from exc
    try:
        return [con.execute(sql, dict(params)).df() for sql, params in queries]
    except duckdb.CatalogException as exc:
        raise WarehouseUnreadable(f"{snap.path}: {exc}") from exc
    finally:
        con.close()


def _run(snap: Snapshot, *queries: tuple[str, Scope | dict | None]) -> list[pd.DataFrame]:
    """Run (sql, scope) pairs on one connection; each query gets the parameters it names (from
    the scope, or a dict of them)."""
    batch = []
    for sql, scope in queries:
        available = scope.params() if isinstance(scope, Scope) else (scope or {})
        names = sorted(set(re.findall(r"\$(\w+)", sql)))
        batch.append((sql, tuple((name, available[name]) for name in names)))
    return _fetch(snap, tuple(batch))


def _day(value: object) -> date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


# -- catalog -------------------------------------------------------------------------------------

BRANDS_SQL = """
select brand_id, brand_name, brand_role, is_organisation, brand_order
from marts.dim_brands
where is_panel_member
order by brand_order
"""

# every platform (names for data health); the sidebar offers the social ones (is_social):
# review sources have their own page
PLATFORMS_SQL = f"""
select platform, platform_name, reports_views, engagement_formula,
       platform in ({", ".join(f"'{name}'" for name in SOCIAL)}) as is_social
from marts.dim_platforms
where not is_unknown
order by platform_order
"""

# articles, written by outlets rather than any brand's account: no owned posts, no engagement
NEWS_PLATFORMS = tuple(name for name in SOCIAL if SOURCES[name].reach == "news")
# read for the organisation's own Page or account only (Meta serves page owners, not the public)
OWNED_PLATFORMS = tuple(name for name in SOCIAL if SOURCES[name].reach == "owned")

BOUNDS_SQL = """
select
    (select min(date_day) from marts.dim_dates where not is_unknown) as first_day,
    (select max(date_day) from marts.dim_dates where not is_unknown) as last_day,
    (select min(night) from marts.fct_data_health_nightly) as first_night,
    (select max(night) from marts.fct_data_health_nightly) as latest_night
"""


# the languages the sidebar offers: most mentioned first, undetermined last
LANGUAGES_SQL = """
with languages as (
    select coalesce(language, 'und') as code, count(*) as mentions
    from marts.fct_mentions
    group by code
)

select code as language, mentions
from languages
order by code = 'und', mentions desc, code
"""


def catalog(snap: Snapshot) -> Catalog:
    brands, platforms, bounds = _run(snap, (BRANDS_SQL, None), (PLATFORMS_SQL, None),
                                     (BOUNDS_SQL, None))
    row = bounds.iloc[0]
    languages = (tuple(_run(snap, (LANGUAGES_SQL, None))[0].language)
                 if screened_mentions(snap) else ())
    return Catalog(brands, platforms, _day(row.first_day), _day(row.last_day), _day(row.first_night),
                   _day(row.latest_night), languages)


# -- share of voice and sentiment ----------------------------------------------------------------

# fct_mentions columns of language detection and screening, and what fct_share_of_voice_daily
# counts of them; a warehouse published before them has neither
MENTION_SCREENING_COLUMNS = ("language", "not_scored_reason", "is_excluded")
SOV_SCREENING_COLUMNS = ("not_scored_mentions", "excluded_mentions")

# Per day x panel brand, from the share-of-voice mart. `{screening}` adds its not-scored and
# excluded counts (NULL before a build had them). The mart publishes sentiment-weighted SoV only
# as a per-platform ratio; to add platforms and days up, `weights` sums each mention's weight as
# the mart does (`{weight}`, over `{kept}` mentions).
PANEL_DAILY_SQL = """
with sov as (
    select
        mention_date as date_day,
        brand_id,
        sum(mentions)::bigint as mentions,
        sum(engagements)::bigint as engagements,
        sum(reach)::bigint as reach,
        sum(positive_mentions)::bigint as positive_mentions,
        sum(neutral_mentions)::bigint as neutral_mentions,
        sum(negative_mentions)::bigint as negative_mentions,
        {screening}
    from marts.fct_share_of_voice_daily
    where mention_date between $start and $end and list_contains($platforms, platform)
    group by all
),

weights as (
    select
        mentions.mention_date as date_day,
        mentions.brand_id,
        coalesce(sum({weight}) filter (where {kept}), 0)::double as sentiment_weight
    from marts.fct_mentions as mentions
    inner join marts.dim_brands as brands
        on brands.brand_id = mentions.brand_id and brands.is_panel_member
    where mentions.mention_date between $start and $end
        and list_contains($platforms, mentions.platform)
    group by all
)

select sov.*, coalesce(weights.sentiment_weight, 0) as sentiment_weight
from sov
left join weights using (date_day, brand_id)
order by date_day, brand_id
"""

# The same figures for the chosen languages only, from fct_mentions row by row as the
# share-of-voice mart counts them (that mart has no language): kept mentions count, excluded
# ones apart, and every panel brand has a row on each day with a panel mention.
PANEL_DAILY_LANGUAGES_SQL = """
with panel as (
    select brand_id
    from marts.dim_brands
    where is_panel_member
),

mentions as (
    select
        mentions.mention_date as date_day, mentions.brand_id, mentions.engagements, mentions.reach,
        mentions.adjusted_label, mentions.adjusted_compound, mentions.is_excluded
    from marts.fct_mentions as mentions
    inner join panel on panel.brand_id = mentions.brand_id
    where mentions.mention_date between $start and $end
        and list_contains($platforms, mentions.platform)
        and list_contains($languages, coalesce(mentions.language, 'und'))
),

counts as (
    select
        date_day,
        brand_id,
        count(*) filter (where not is_excluded) as mentions,
        coalesce(sum(engagements) filter (where not is_excluded), 0) as engagements,
        coalesce(sum(reach) filter (where not is_excluded), 0) as reach,
        count(*) filter (where not is_excluded and adjusted_label = 'positive') as positive_mentions,
        count(*) filter (where not is_excluded and adjusted_label = 'neutral') as neutral_mentions,
        count(*) filter (where not is_excluded and adjusted_label = 'negative') as negative_mentions,
        count(*) filter (where not is_excluded and adjusted_label = 'not_scored') as not_scored_mentions,
        count(*) filter (where is_excluded) as excluded_mentions,
        coalesce(sum(cast((1 + adjusted_compound) / 2 as decimal(18, 6))) filter (where not is_excluded), 0)
            as sentiment_weight
    from mentions
    group by all
)

select
    days.date_day,
    panel.brand_id,
    coalesce(counts.mentions, 0)::bigint as mentions,
    coalesce(counts.engagements, 0)::bigint as engagements,
    coalesce(counts.reach, 0)::bigint as reach,
    coalesce(counts.positive_mentions, 0)::bigint as positive_mentions,
    coalesce(counts.neutral_mentions, 0)::bigint as neutral_mentions,
    coalesce(counts.negative_mentions, 0)::bigint as negative_mentions,
    coalesce(counts.not_scored_mentions, 0)::bigint as not_scored_mentions,
    coalesce(counts.excluded_mentions, 0)::bigint as excluded_mentions,
    coalesce(counts.sentiment_weight, 0)::double as sentiment_weight
from (select distinct date_day from mentions) as days
cross join panel
left join counts on counts.date_day = days.date_day and counts.brand_id = panel.brand_id
order by days.date_day, panel.brand_id
"""

ALERTS_SQL = """
select
    date_day, platform, mentions,
    net_sentiment::double as net_sentiment,
    baseline_net_sentiment::double as baseline_net_sentiment,
    net_sentiment_z::double as net_sentiment_z,
    negative_mentions::bigint as negative_mentions,
    negative_volume_z::double as negative_volume_z,
    alert_kind
from marts.fct_sentiment_alerts_daily
where brand_id = $brand and is_alert and date_day between $start and $end
    -- a news spike is judged on the news platform's row only, never on the cross-platform one
    and (list_contains($alert_platforms, platform)
         or (alert_kind = 'news_spike' and list_contains($platforms, platform)))
order by date_day, platform
"""

PLATFORM_MENTIONS_SQL = """
select platform, sum(mentions)::bigint as mentions
from marts.fct_share_of_voice_daily
where mention_date between $start and $end and list_contains($platforms, platform)
group by platform
"""

PLATFORM_MENTIONS_LANGUAGES_SQL = """
select mentions.platform, count(*) as mentions
from marts.fct_mentions as mentions
inner join marts.dim_brands as brands on brands.brand_id = mentions.brand_id and brands.is_panel_member
where mentions.mention_date between $start and $end and list_contains($platforms, mentions.platform)
    and list_contains($languages, coalesce(mentions.language, 'und')) and not mentions.is_excluded
group by mentions.platform
"""


def screened_mentions(snap: Snapshot) -> bool:
    """The warehouse has language detection and screening (fct_mentions' columns and the
    share-of-voice mart's counts of them)."""
    lacking = missing_columns(snap, ("fct_mentions", "fct_share_of_voice_daily"))
    return not lacking and not missing_marts(snap, ("fct_mentions", "fct_share_of_voice_daily"))


def _panel_daily_sql(screened: bool) -> str:
    if screened:
        return PANEL_DAILY_SQL.format(
            screening="sum(not_scored_mentions)::bigint as not_scored_mentions,\n"
                      "        sum(excluded_mentions)::bigint as excluded_mentions",
            # texts VADER does not score (another language) weigh nothing, as in the mart
            weight="cast((1 + mentions.adjusted_compound) / 2 as decimal(18, 6))",
            kept="not mentions.is_excluded")
    # a build before screening: unscored texts weighed 0.5, every mention counted
    return PANEL_DAILY_SQL.format(
        screening="null::bigint as not_scored_mentions, null::bigint as excluded_mentions",
        weight="cast((1 + coalesce(mentions.adjusted_compound, 0)) / 2 as decimal(18, 6))", kept="true")


def panel_daily(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """One row per day x panel brand over the selected platforms (and languages): volumes,
    sentiment counts, the mentions not scored (another language) and excluded (copy-paste,
    bots; NULL before screening) and the numerator of each share-of-voice basis (`SOV_BASES`)."""
    screened = screened_mentions(snap)
    if scope.languages is not None and screened:
        return _run(snap, (PANEL_DAILY_LANGUAGES_SQL, scope))[0]
    return _run(snap, (_panel_daily_sql(screened), scope))[0]


def sentiment_alerts(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """Alert days of the brand in focus (its cross-platform row when every platform is on, and
    the news platform's news spikes)."""
    return _run(snap, (ALERTS_SQL, scope))[0]


def platform_mentions(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """Panel mentions per selected platform in the period, in the chosen languages (to name
    platforms without data)."""
    by_language = scope.languages is not None and screened_mentions(snap)
    return _run(snap, (PLATFORM_MENTIONS_LANGUAGES_SQL if by_language else PLATFORM_MENTIONS_SQL, scope))[0]


# -- engagement ----------------------------------------------------------------------------------

POST_ENGAGEMENT_SQL = """
with latest as (
    select *
    from marts.fct_post_engagement_daily
    where brand_id = $brand and entity_type = 'post'
        and published_date between $start and $end and list_contains($platforms, platform)
    qualify row_number() over (partition by post_key order by snapshot_date desc) = 1
)

select
    platform,
    content_type,
    count(*) as posts,
    sum(engagements)::bigint as engagements,
    coalesce(sum(engagements) filter (where engagement_rate_by_followers is not null), 0)::bigint
        as engagements_with_followers,
    coalesce(sum(followers_at_post_time) filter (where engagement_rate_by_followers is not null), 0)::bigint
        as followers,
    coalesce(sum(engagement_rate_by_followers), 0)::double as sum_rate_by_followers,
    count(engagement_rate_by_followers) as posts_with_rate,
    coalesce(sum(engagements) filter (where engagement_rate_by_views is not null), 0)::bigint
        as engagements_with_views,
    coalesce(sum(views) filter (where engagement_rate_by_views is not null), 0)::bigint as views
from latest
group by all
order by platform, content_type
"""

BEST_TIME_SQL = """
select
    platform, content_type, hour_of_week, iso_day_of_week, hour_of_day, posts,
    engagements::bigint as engagements,
    median_engagements::double as median_engagements,
    engagement_rate_by_followers::double as engagement_rate_by_followers,
    is_low_sample, rank_in_content_type, analysis_timezone, best_time_min_posts
from marts.fct_best_time_to_post
where brand_id = $brand and list_contains($platforms, platform)
order by platform, content_type, hour_of_week
"""


def post_engagement(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """Posts the brand in focus published in the period, by platform x content type, each at
    its latest snapshot (engagement keeps accruing after the period); sums kept so rates are
    ratios of sums."""
    return _run(snap, (POST_ENGAGEMENT_SQL, scope))[0]


def best_time(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """The hour-of-week cells of the brand in focus (all history: the mart has no period)."""
    return _run(snap, (BEST_TIME_SQL, scope))[0]


# -- campaigns -----------------------------------------------------------------------------------

CAMPAIGN_DAILY_SQL = """
select
    perf.campaign_id,
    campaigns.campaign_name,
    brands.brand_name,
    campaigns.start_date,
    campaigns.end_date,
    campaigns.currency,
    perf.date_day,
    sum(perf.owned_posts)::bigint as owned_posts,
    sum(perf.mentions)::bigint as mentions,
    sum(perf.user_generated_mentions)::bigint as user_generated_mentions,
    sum(perf.reach)::bigint as reach,
    sum(perf.engagements)::bigint as engagements,
    sum(perf.daily_spend)::double as spend,
    sum(perf.window_mentions_to_date) filter (where perf.pre_window_mentions is not null)::bigint
        as lift_window_mentions,
    sum(perf.pre_window_mentions)::bigint as lift_pre_window_mentions
from marts.fct_campaign_performance_daily as perf
inner join marts.dim_campaigns as campaigns on campaigns.campaign_id = perf.campaign_id
inner join marts.dim_brands as brands on brands.brand_id = campaigns.brand_id
where perf.date_day between $start and $end and list_contains($platforms, perf.platform)
group by all
order by min(brands.brand_order), campaigns.start_date, perf.campaign_id, perf.date_day
"""


def campaign_daily(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """One row per campaign x day of the period inside its window, summed over platforms."""
    return _run(snap, (CAMPAIGN_DAILY_SQL, scope))[0]


# -- community -----------------------------------------------------------------------------------

INFLUENCERS_SQL = """
select
    authors.author_handle,
    authors.platform,
    authors.followers_count,
    authors.author_tier,
    authors.is_verified,
    authors.is_healthcare_professional,
    authors.influence_score::double as influence_score,
    sum(daily.mentions)::bigint as mentions,
    sum(daily.engagements)::bigint as engagements,
    sum(daily.reach)::bigint as reach,
    sum(daily.positive_mentions)::bigint as positive_mentions,
    sum(daily.negative_mentions)::bigint as negative_mentions
from marts.fct_influencer_mentions_daily as daily
inner join marts.dim_authors as authors on authors.author_key = daily.author_key
where daily.brand_id = $brand and daily.mention_date between $start and $end
    and list_contains($platforms, daily.platform)
group by all
order by influence_score desc, mentions desc, authors.author_handle
limit 25
"""

# text_redacted only: the warehouse never holds raw text, and neither does this page
PATIENT_QUESTIONS_SQL = """
select
    platform, item_kind, addressed_via, asked_at,
    text_redacted,
    array_to_string(topic_ids, ', ') as topics,
    adjusted_label, engagements, is_answered, response_minutes, hours_waiting, as_of_at,
    asked_date < $start as asked_before_period
from marts.fct_patient_questions
where brand_id = $brand and list_contains($platforms, platform)
    and (asked_date between $start and $end or (asked_date < $start and not is_answered))
order by is_answered, hours_waiting desc, asked_at
"""

TRENDING_HASHTAGS_SQL = """
select
    hashtag,
    count(*) filter (where is_trending) as days_trending,
    sum(posts)::bigint as posts,
    max(trend_score)::double as peak_trend_score,
    bool_or(is_tracked_hashtag) as is_tracked,
    array_to_string(list_sort(list_distinct(list(platform))), ', ') as platforms
from marts.fct_trending_hashtags_daily
where published_date between $start and $end and list_contains($platforms, platform)
group by hashtag
order by days_trending desc, posts desc, hashtag
limit 15
"""


def influencers(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """The 25 most influential public authors who mentioned the brand in focus."""
    return _run(snap, (INFLUENCERS_SQL, scope))[0]


def patient_questions(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """Questions and complaints addressed to the brand in focus: those asked in the period, and
    those asked before it that are still open (the longest-waiting ones matter most)."""
    return _run(snap, (PATIENT_QUESTIONS_SQL, scope))[0]


def trending_hashtags(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """Public hashtags of the period, those that trended on most days first."""
    return _run(snap, (TRENDING_HASHTAGS_SQL, scope))[0]


# -- misinformation and data health --------------------------------------------------------------

MISINFORMATION_SQL = """
select
    platform, published_at, risk_level, red_flags,
    text_redacted,
    array_to_string(brand_ids, ', ') as brands,
    list_contains(brand_ids, $brand) as mentions_brand_in_focus,
    array_to_string(claim_topics, ', ') as claim_topics,
    array_to_string(low_credibility_domains, ', ') as low_credibility_domains,
    evidence_link_count, author_is_verified, author_is_healthcare_professional, author_followers,
    is_recycled_text, cites_authoritative_source, uses_manipulative_rhetoric,
    fact_check_verdict, fact_check_reference, engagements
from marts.fct_misinformation_watch
where published_date between $start and $end and list_contains($platforms, platform)
order by case risk_level when 'high' then 0 when 'medium' then 1 else 2 end,
    red_flags desc, engagements desc, published_at
"""

DATA_HEALTH_SQL = """
select
    night, platform, health_status, shards, shards_complete, shards_partial,
    array_to_string(partial_reason_kinds, ', ') as partial_reasons,
    records_fetched::bigint as records_fetched,
    malformed_pages::bigint as malformed_pages,
    posts_staged, mentions, quarantined_records, last_extracted_at,
    hours_after_interval::double as hours_after_interval
from marts.fct_data_health_nightly
where night between $start and $end
    or night = (select max(night) from marts.fct_data_health_nightly)
order by night, platform
"""


def misinformation(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """Health claims published in the period, riskiest first, one column per signal."""
    return _run(snap, (MISINFORMATION_SQL, scope))[0]


# a platform stands in a comparison only with every night of the span extracted completely
COMPLETE_PLATFORMS_SQL = """
select platform
from marts.fct_data_health_nightly
where night between $start and $end and list_contains($platforms, platform) and health_status = 'ok'
group by platform
having count(distinct night) = $days
order by platform
"""


def complete_platforms(snap: Snapshot, scope: Scope) -> tuple[str, ...]:
    """The scope's platforms whose extraction was complete ('ok') on every night of it."""
    return tuple(_run(snap, (COMPLETE_PLATFORMS_SQL, scope))[0].platform)


def data_health(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """Per night x platform extraction health: the period's nights and the latest night."""
    return _run(snap, (DATA_HEALTH_SQL, scope))[0]


# -- reviews and reputation ----------------------------------------------------------------------

# The marts the reviews page reads, in the order the page names them when a warehouse published
# before they existed lacks them; the reviews sections need the first four, HCAHPS the last.
REVIEW_MARTS = ("dim_locations", "fct_reviews", "fct_review_replies", "fct_location_rating_daily")
HCAHPS_MART = "fct_hcahps_benchmarks"

MARTS_PRESENT_SQL = """
select distinct table_name
from information_schema.tables
where table_schema = 'marts'
order by table_name
"""

# the columns of each mart a page checks before reading it (its contract): a build that lacks
# one is named
MART_COLUMNS = {
    "dim_locations": ("location_id", "brand_id", "location_name", "city", "gbp_location", "cms_ccn",
                      "is_own"),
    "fct_reviews": ("review_key", "location_id", "brand_id", "created_at", "created_date", "star_rating",
                    "review_text", "reviewer", "is_anonymous", "sentiment_label", "has_reply",
                    "last_seen_night"),
    "fct_review_replies": ("review_key", "location_id", "brand_id", "review_created_at", "star_rating",
                           "first_reply_night", "hours_to_reply", "hours_to_reply_min", "hours_to_reply_max",
                           "answered_within_7d", "reply_edited", "reply_deleted", "reply_text",
                           "phi_flag_count", "phi_flags"),
    "fct_location_rating_daily": (
        "location_id", "brand_id", "date_day", "reviews", "avg_rating", "rating_1", "rating_2", "rating_3",
        "rating_4", "rating_5", "reviews_30d", "avg_rating_30d", "reviews_90d", "avg_rating_90d",
        "response_rate_30d", "answered_within_7d_share_30d", "total_reviews", "avg_rating_all"),
    "fct_hcahps_benchmarks": ("brand_id", "brand_name", "is_own", "location_id", "ccn", "facility_name",
                              "measure_id", "question", "answer_description", "star_rating",
                              "answer_percent", "completed_surveys", "period_start", "period_end"),
    "fct_mentions": MENTION_SCREENING_COLUMNS,
    "fct_share_of_voice_daily": SOV_SCREENING_COLUMNS,
    "dim_aspects": ("aspect_id", "aspect_name", "domain", "hcahps_measure_id", "definition"),
    "fct_aspect_sentiment_daily": (
        "aspect_day_key", "activity_date", "brand_id", "location_id", "aspect_id", "aspect_name", "domain",
        "mentions", "positive_mentions", "negative_mentions", "neutral_mentions", "net_sentiment",
        "baseline_days", "baseline_mentions_mean", "baseline_negative_mean", "baseline_net_sentiment",
        "net_sentiment_change", "is_spike", "aspect_baseline_days"),
    "fct_mention_aspects": (
        "mention_aspect_key", "post_key", "brand_id", "location_id", "aspect_id", "mention_date", "platform",
        "entity_type", "polarity", "sentence_compound", "matched_phrase", "negated", "sentence_redacted",
        "is_excluded"),
    "fct_news_articles": ("mention_key", "post_key", "brand_id", "mention_date", "published_at", "undated",
                          "outlet", "source_domain", "source_credibility", "source_country", "lang",
                          "headline", "article_url", "matched_on", "gdelt_tone", "adjusted_compound",
                          "adjusted_label"),
}

MART_COLUMNS_SQL = """
select table_name, column_name
from information_schema.columns
where table_schema = 'marts'
"""

LOCATIONS_SQL = """
select location_id, brand_id, location_name, city, gbp_location, cms_ccn, is_own
from marts.dim_locations
where brand_id = $brand
order by location_name, location_id
"""

# per location x day of the period: the mart's own counts and rolling figures
LOCATION_RATING_DAILY_SQL = """
select
    daily.date_day,
    daily.location_id,
    locations.location_name,
    daily.reviews::bigint as reviews,
    daily.avg_rating::double as avg_rating,
    daily.rating_1::bigint as rating_1,
    daily.rating_2::bigint as rating_2,
    daily.rating_3::bigint as rating_3,
    daily.rating_4::bigint as rating_4,
    daily.rating_5::bigint as rating_5,
    daily.reviews_30d::bigint as reviews_30d,
    daily.avg_rating_30d::double as avg_rating_30d,
    daily.reviews_90d::bigint as reviews_90d,
    daily.avg_rating_90d::double as avg_rating_90d,
    daily.response_rate_30d::double as response_rate_30d,
    daily.answered_within_7d_share_30d::double as answered_within_7d_share_30d,
    daily.total_reviews::bigint as total_reviews,
    daily.avg_rating_all::double as avg_rating_all
from marts.fct_location_rating_daily as daily
inner join marts.dim_locations as locations on locations.location_id = daily.location_id
where daily.brand_id = $brand and daily.date_day between $start and $end
order by daily.date_day, locations.location_name, daily.location_id
"""

# the period's reviews with their first reply, if any
PERIOD_REVIEWS_SQL = """
select
    reviews.review_key,
    reviews.location_id,
    locations.location_name,
    reviews.created_at,
    reviews.created_date,
    reviews.star_rating::integer as star_rating,
    reviews.has_reply,
    replies.first_reply_night,
    replies.hours_to_reply::double as hours_to_reply,
    replies.hours_to_reply_min::double as hours_to_reply_min,
    replies.hours_to_reply_max::double as hours_to_reply_max,
    coalesce(replies.answered_within_7d, false) as answered_within_7d,
    coalesce(replies.reply_edited, false) as reply_edited,
    coalesce(replies.reply_deleted, false) as reply_deleted
from marts.fct_reviews as reviews
inner join marts.dim_locations as locations on locations.location_id = reviews.location_id
left join marts.fct_review_replies as replies on replies.review_key = reviews.review_key
where reviews.brand_id = $brand and reviews.created_date between $start and $end
order by reviews.created_at, reviews.review_key
"""

# every 1-2 star review still without a reply, written up to the end of the period; it waits
# until the newest night reviews were read (a reply moves a review's updateTime, and the nightly
# walk reads every review updated since the night before, so an unread review is unchanged)
UNANSWERED_NEGATIVE_SQL = """
with newest as (
    select max(last_seen_night) as night
    from marts.fct_reviews
)

select
    locations.location_name,
    reviews.created_at,
    reviews.created_date,
    reviews.star_rating::integer as star_rating,
    reviews.review_text,
    reviews.reviewer,
    reviews.is_anonymous,
    reviews.sentiment_label,
    newest.night as as_of_night,
    date_diff('day', reviews.created_date, newest.night) as days_waiting,
    reviews.created_date < $start as before_period
from marts.fct_reviews as reviews
inner join marts.dim_locations as locations on locations.location_id = reviews.location_id
cross join newest
where reviews.brand_id = $brand and reviews.star_rating <= 2 and not reviews.has_reply
    and reviews.created_date <= $end
order by reviews.created_at, reviews.review_key
"""

# replies first seen in the period, and earlier ones still published (still a disclosure):
# newest first, deleted ones last
PHI_FLAGGED_REPLIES_SQL = """
select
    locations.location_name,
    replies.first_reply_night,
    replies.review_created_at,
    replies.star_rating::integer as star_rating,
    replies.phi_flag_count::integer as phi_flag_count,
    array_to_string(replies.phi_flags, '; ') as phi_reasons,
    replies.reply_text,
    replies.reply_edited,
    replies.reply_deleted,
    replies.first_reply_night < $start as before_period
from marts.fct_review_replies as replies
inner join marts.dim_locations as locations on locations.location_id = replies.location_id
where replies.brand_id = $brand and replies.phi_flag_count > 0
    and (replies.first_reply_night between $start and $end
         or (replies.first_reply_night < $start and not replies.reply_deleted))
order by replies.reply_deleted, replies.first_reply_night desc, replies.phi_flag_count desc,
    replies.review_key
"""

# each facility's latest survey period: the summary star and the top-box answers
HCAHPS_SQL = """
with latest as (
    select *
    from marts.fct_hcahps_benchmarks
    qualify period_end = max(period_end) over (partition by ccn)
)

select
    brand_id, brand_name, is_own, location_id, ccn, facility_name, measure_id, question,
    answer_description,
    star_rating::integer as star_rating,
    answer_percent::double / 100 as top_box_share,
    completed_surveys::bigint as completed_surveys,
    period_start, period_end
from latest
where measure_id in ('H_STAR_RATING', 'H_HSP_RATING_9_10', 'H_RECMND_DY')
    or ends_with(measure_id, '_A_P')
order by is_own desc, brand_name, facility_name, ccn, measure_id
"""


def _utc(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Instants as naive UTC timestamps, as the other marts hold them: a TIMESTAMPTZ column
    comes back in the reading machine's time zone, a TIMESTAMP one is UTC already."""
    for column in columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
    return frame


def missing_marts(snap: Snapshot, names: tuple[str, ...]) -> tuple[str, ...]:
    """Those of `names` the published warehouse has no `marts.<name>` table or view for (a
    warehouse published before they were added)."""
    present = set(_run(snap, (MARTS_PRESENT_SQL, None))[0].table_name)
    return tuple(name for name in names if name not in present)


def missing_columns(snap: Snapshot, names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """For each of the `names` marts (present ones), the MART_COLUMNS it lacks; {} when none."""
    columns = _run(snap, (MART_COLUMNS_SQL, None))[0]
    out = {}
    for name in names:
        have = set(columns.column_name[columns.table_name == name])
        lacking = tuple(c for c in MART_COLUMNS[name] if c not in have)
        if have and lacking:
            out[name] = lacking
    return out


def review_locations(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """The sites of the brand in focus; those with a gbp_location have their reviews read."""
    return _run(snap, (LOCATIONS_SQL, scope))[0]


def location_rating_daily(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """One row per location of the brand in focus x day of the period: new reviews and their
    stars that day, rolling 30 / 90-day and all-time ratings, 30-day reply shares."""
    return _run(snap, (LOCATION_RATING_DAILY_SQL, scope))[0]


def period_reviews(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """Reviews of the brand in focus written in the period, each with its reply's timing."""
    return _utc(_run(snap, (PERIOD_REVIEWS_SQL, scope))[0], "created_at")


def unanswered_negative_reviews(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """1-2 star reviews without a reply written up to the period's end, oldest first (text
    redacted, reviewer pseudonymised by the marts)."""
    return _utc(_run(snap, (UNANSWERED_NEGATIVE_SQL, scope))[0], "created_at")


def phi_flagged_replies(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """Replies screened as disclosing something about the patient, with the reasons: those
    first seen in the period and earlier ones still published, newest first, deleted ones last."""
    return _utc(_run(snap, (PHI_FLAGGED_REPLIES_SQL, scope))[0], "review_created_at")


def hcahps_benchmarks(snap: Snapshot) -> pd.DataFrame:
    """Every facility's latest HCAHPS period: summary star and top-box percentages (as shares;
    the mart's answer_percent is 0-100, as CMS publishes it). Not period-filtered: surveys
    cover CMS's own reporting periods."""
    return _run(snap, (HCAHPS_SQL, None))[0]


# -- news ----------------------------------------------------------------------------------------

NEWS_MART = "fct_news_articles"

# articles per day x panel brand (the mart has a row per article x brand it mentions)
NEWS_DAILY_SQL = """
select articles.mention_date as date_day, articles.brand_id, count(distinct articles.post_key) as articles
from marts.fct_news_articles as articles
inner join marts.dim_brands as brands on brands.brand_id = articles.brand_id and brands.is_panel_member
where articles.mention_date between $start and $end
group by all
order by date_day, articles.brand_id
"""

NEWS_BRANDS_SQL = """
select
    articles.brand_id,
    count(distinct articles.post_key) as articles,
    count(distinct articles.outlet) as outlets,
    count(distinct articles.post_key) filter (where articles.source_credibility = 'low_credibility')
        as low_credibility_articles
from marts.fct_news_articles as articles
inner join marts.dim_brands as brands on brands.brand_id = articles.brand_id and brands.is_panel_member
where articles.mention_date between $start and $end
group by all
"""

# every alert on the news platform (a news spike, or the day's articles moving net sentiment)
NEWS_ALERTS_SQL = """
select
    date_day, brand_id, mentions as articles,
    baseline_news_articles::double as baseline_news_articles,
    news_volume_z::double as news_volume_z,
    news_spike_baseline_days, alert_kind
from marts.fct_sentiment_alerts_daily
where is_alert and date_day between $start and $end and list_contains($platforms, platform)
order by date_day, brand_id
"""

# headline only: the mart holds the redacted title and summary, never the article's text
NEWS_ARTICLES_SQL = """
select
    articles.post_key, articles.brand_id, articles.mention_date, articles.published_at, articles.undated,
    articles.outlet,
    articles.source_domain, articles.source_credibility, articles.source_country, articles.lang,
    articles.headline, articles.article_url, articles.matched_on,
    articles.gdelt_tone::double as gdelt_tone,
    articles.adjusted_compound::double as adjusted_compound,
    articles.adjusted_label
from marts.fct_news_articles as articles
inner join marts.dim_brands as brands on brands.brand_id = articles.brand_id and brands.is_panel_member
where articles.mention_date between $start and $end
order by brands.brand_order, articles.published_at, articles.source_domain, articles.mention_key
"""

NEWS_EXTENT_SQL = """
select count(*) as articles, max(mention_date) as newest
from marts.fct_news_articles
"""


def news_scope(scope: Scope) -> Scope:
    """The scope on the news platforms alone, whatever the sidebar selects."""
    return Scope(scope.start, scope.end, NEWS_PLATFORMS, scope.brand_id, all_platforms=False)


def news_daily(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """Articles per day x panel brand in the period (days without articles have no row)."""
    return _run(snap, (NEWS_DAILY_SQL, scope))[0]


def news_by_brand(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """Per panel brand over the period: articles, distinct outlets, low-credibility articles."""
    return _run(snap, (NEWS_BRANDS_SQL, scope))[0]


def news_alerts(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """Alert days of every panel brand on the scope's platforms (news_scope: news spikes)."""
    return _run(snap, (NEWS_ALERTS_SQL, scope))[0]


def news_articles(snap: Snapshot, scope: Scope) -> pd.DataFrame:
    """The articles of the scope's days about panel brands, one row per article x brand."""
    return _run(snap, (NEWS_ARTICLES_SQL, scope))[0]


def news_extent(snap: Snapshot) -> tuple[int, date | None]:
    """How many article rows the warehouse holds, and the newest article date."""
    row = _run(snap, (NEWS_EXTENT_SQL, None))[0].iloc[0]
    return int(row.articles), _day(row.newest)


# -- patient-experience aspects ------------------------------------------------------------------

ASPECT_MARTS = ("dim_aspects", "fct_aspect_sentiment_daily", "fct_mention_aspects")
ALL_LOCATIONS = "all"  # the daily mart's row of a brand across every source (social and reviews)

# per aspect: the period's occurrences by polarity and spike days, and the same sums over the
# baseline window of the `baseline` days before the period; `data_days`: those of its days on or
# after the brand's first aspect data at that location (none: no change to show)
ASPECT_PERIOD_SQL = """
with daily as (
    select *
    from marts.fct_aspect_sentiment_daily
    where brand_id = $brand and location_id = $location and activity_date between $baseline_start and $end
),

first_day as (
    select min(activity_date) as day
    from marts.fct_aspect_sentiment_daily
    where brand_id = $brand and location_id = $location
),

sums as (
    select
        aspect_id,
        coalesce(sum(mentions) filter (where activity_date >= $start), 0) as mentions,
        coalesce(sum(positive_mentions) filter (where activity_date >= $start), 0) as positive_mentions,
        coalesce(sum(negative_mentions) filter (where activity_date >= $start), 0) as negative_mentions,
        coalesce(sum(neutral_mentions) filter (where activity_date >= $start), 0) as neutral_mentions,
        count(*) filter (where activity_date >= $start and is_spike) as spike_days,
        coalesce(sum(mentions) filter (where activity_date < $start), 0) as baseline_mentions,
        coalesce(sum(positive_mentions) filter (where activity_date < $start), 0) as baseline_positive,
        coalesce(sum(negative_mentions) filter (where activity_date < $start), 0) as baseline_negative
    from daily
    group by aspect_id
)

select
    aspects.aspect_id, aspects.aspect_name, aspects.domain, aspects.hcahps_measure_id, aspects.definition,
    coalesce(sums.mentions, 0)::bigint as mentions,
    coalesce(sums.positive_mentions, 0)::bigint as positive_mentions,
    coalesce(sums.negative_mentions, 0)::bigint as negative_mentions,
    coalesce(sums.neutral_mentions, 0)::bigint as neutral_mentions,
    coalesce(sums.spike_days, 0)::bigint as spike_days,
    coalesce(sums.baseline_mentions, 0)::bigint as baseline_mentions,
    coalesce(sums.baseline_positive, 0)::bigint as baseline_positive,
    coalesce(sums.baseline_negative, 0)::bigint as baseline_negative,
    greatest(date_diff('day', greatest($baseline_start::date, first_day.day), $start::date), 0)
        as data_days
from marts.dim_aspects as aspects
cross join first_day
left join sums on sums.aspect_id = aspects.aspect_id
order by aspects.aspect_id
"""

ASPECT_DAILY_SQL = """
select
    activity_date, mentions::bigint as mentions, positive_mentions::bigint as positive_mentions,
    negative_mentions::bigint as negative_mentions, neutral_mentions::bigint as neutral_mentions,
    net_sentiment::double as net_sentiment, baseline_negative_mean::double as baseline_negative_mean,
    is_spike
from marts.fct_aspect_sentiment_daily
where brand_id = $brand and location_id = $location and aspect_id = $aspect
    and activity_date between $start and $end
order by activity_date
"""

# redacted sentences only (the mart never holds the raw text): negative first, newest first,
# each sentence once (short ones recur word for word: "Long wait.")
ASPECT_EXAMPLES_SQL = """
with found as (
    select
        mention_aspect_key, mention_date, platform, entity_type, location_id, polarity,
        sentence_compound::double as sentence_compound, matched_phrase, negated, sentence_redacted
    from marts.fct_mention_aspects
    where brand_id = $brand and aspect_id = $aspect and mention_date between $start and $end
        and not is_excluded and ($location = 'all' or location_id = $location)
    qualify row_number() over (
        partition by sentence_redacted
        order by polarity <> 'negative', mention_date desc, mention_aspect_key) = 1
)

select * exclude (mention_aspect_key)
from found
order by polarity <> 'negative', mention_date desc, sentence_compound, mention_aspect_key
limit $limit
"""

ASPECT_LOCATIONS_SQL = """
select distinct location_id
from marts.fct_aspect_sentiment_daily
where brand_id = $brand and location_id <> 'all'
order by location_id
"""

# the mart stores its baseline length on every row (analysis.aspect_baseline_days)
ASPECT_EXTENT_SQL = """
select count(*) as rows, max(activity_date) as newest, max(aspect_baseline_days) as baseline_days
from marts.fct_aspect_sentiment_daily
"""


@dataclass(frozen=True)
class AspectView:
    """Where the aspects page looks: the sidebar's scope, a location, the mart's baseline length."""

    scope: Scope
    location: str  # a location id, or ALL_LOCATIONS
    baseline_days: int

    def params(self, **extra: object) -> dict:
        return {**self.scope.params(), "location": self.location,
                "baseline_start": self.scope.start - timedelta(days=self.baseline_days), **extra}


def aspect_period(snap: Snapshot, view: AspectView) -> pd.DataFrame:
    """One row per aspect (every one in dim_aspects) for the brand in focus at the view's
    location: the period's occurrences by polarity and spike days, and the sums over the
    baseline window before it (`data_days` of its days after the aspect data starts)."""
    return _run(snap, (ASPECT_PERIOD_SQL, view.params()))[0]


def aspect_daily(snap: Snapshot, view: AspectView, aspect: str) -> pd.DataFrame:
    """The daily rows of one aspect in the period (days without an occurrence have none)."""
    return _run(snap, (ASPECT_DAILY_SQL, view.params(aspect=aspect)))[0]


def aspect_examples(snap: Snapshot, view: AspectView, aspect: str, limit: int = 8) -> pd.DataFrame:
    """Up to `limit` redacted sentences where the aspect was found, negative ones first; screened
    copies and bot posts left out."""
    return _run(snap, (ASPECT_EXAMPLES_SQL, view.params(aspect=aspect, limit=limit)))[0]


def aspect_locations(snap: Snapshot, scope: Scope) -> tuple[str, ...]:
    """The locations of the brand in focus with a row of their own (their reviews)."""
    return tuple(_run(snap, (ASPECT_LOCATIONS_SQL, scope))[0].location_id)


def aspect_extent(snap: Snapshot) -> tuple[int, date | None, int | None]:
    """How many daily aspect rows the warehouse holds, the newest day and the baseline length."""
    row = _run(snap, (ASPECT_EXTENT_SQL, None))[0].iloc[0]
    return int(row.rows), _day(row.newest), None if pd.isna(row.baseline_days) else int(row.baseline_days)
