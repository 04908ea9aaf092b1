"""Metric maths on the frames `dashboard.data` returns, as the DECISIONLOG defines them.

Shares, rates and net sentiment over a period or over several platforms are always ratios of
sums of the published numerators, never means of daily ratios. Keeping that arithmetic here
(pure pandas, no Streamlit) lets each page stay a layout and lets it be tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.data import SOV_BASES


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, None when the denominator is 0 or missing."""
    if denominator is None or pd.isna(denominator) or float(denominator) == 0:
        return None
    return float(numerator) / float(denominator)


def net_sentiment(positive: float, negative: float) -> float | None:
    """(positive - negative) / (positive + negative); None without polar mentions."""
    return ratio(positive - negative, positive + negative)


@dataclass(frozen=True)
class BrandTotals:
    """One brand's period totals from panel_daily()."""

    mentions: int
    engagements: int
    reach: int
    positive: int
    neutral: int
    negative: int
    net_sentiment: float | None
    mention_sov: float | None


def brand_totals(panel: pd.DataFrame, brand_id: str) -> BrandTotals:
    """Totals of one brand over the frame's days, with its mention share of the panel."""
    mine = panel[panel.brand_id == brand_id]
    positive, negative = int(mine.positive_mentions.sum()), int(mine.negative_mentions.sum())
    return BrandTotals(
        mentions=int(mine.mentions.sum()), engagements=int(mine.engagements.sum()),
        reach=int(mine.reach.sum()), positive=positive,
        neutral=int(mine.neutral_mentions.sum()), negative=negative,
        net_sentiment=net_sentiment(positive, negative),
        mention_sov=ratio(mine.mentions.sum(), panel.mentions.sum()))


def shares(panel: pd.DataFrame, basis: str, *, by_day: bool) -> pd.DataFrame:
    """Each brand's share of the panel on one basis, per day or over the whole period.

    Columns: [date_day,] brand_id, value (the brand's numerator), panel_total, share (None
    where the panel total is 0, e.g. a day without engagements).
    """
    column = SOV_BASES[basis]
    keys = ["date_day", "brand_id"] if by_day else ["brand_id"]
    out = panel.groupby(keys, as_index=False)[column].sum().rename(columns={column: "value"})
    out["value"] = out["value"].astype(float)
    totals = out.groupby("date_day")["value"].transform("sum") if by_day else out["value"].sum()
    out["panel_total"] = totals
    out["share"] = [ratio(v, t) for v, t in zip(out["value"], out["panel_total"], strict=True)]
    return out


def daily_sentiment(panel: pd.DataFrame, brand_id: str) -> pd.DataFrame:
    """The brand's daily positive / neutral / negative mentions and net sentiment."""
    mine = panel[panel.brand_id == brand_id]
    out = mine[["date_day", "mentions", "positive_mentions", "neutral_mentions",
                "negative_mentions"]].reset_index(drop=True)
    out["net_sentiment"] = [net_sentiment(p, n) for p, n in
                            zip(out.positive_mentions, out.negative_mentions, strict=True)]
    return out


def engagement_by(posts: pd.DataFrame, key: str) -> pd.DataFrame:
    """post_engagement() rolled up by 'platform' or 'content_type' as ratios of sums."""
    sums = posts.groupby(key, as_index=False)[[
        "posts", "engagements", "engagements_with_followers", "followers", "sum_rate_by_followers",
        "posts_with_rate", "engagements_with_views", "views"]].sum()
    sums["engagements_per_post"] = [ratio(e, p) for e, p in zip(sums.engagements, sums.posts, strict=True)]
    sums["rate_by_followers"] = [ratio(e, f) for e, f in
                                 zip(sums.engagements_with_followers, sums.followers, strict=True)]
    sums["mean_rate_by_followers"] = [ratio(s, n) for s, n in
                                      zip(sums.sum_rate_by_followers, sums.posts_with_rate, strict=True)]
    sums["rate_by_views"] = [ratio(e, v) for e, v in
                             zip(sums.engagements_with_views, sums.views, strict=True)]
    return sums.sort_values("engagements", ascending=False, ignore_index=True)


def hour_of_week_grid(cells: pd.DataFrame, platform: str, content_type: str | None) -> pd.DataFrame:
    """Best-time cells of one platform; every content type added up when content_type is None.

    Per hour of week: posts (sample size), engagements, engagements per post, low-sample flag
    (fewer posts than the mart's best_time_min_posts) and, for one content type, the mart's
    follower rate and rank. Added-up cells have no rank: the mart ranks within a content type.
    """
    mine = cells[cells.platform == platform]
    if content_type is not None:
        out = mine[mine.content_type == content_type].copy()
    else:
        keys = ["hour_of_week", "iso_day_of_week", "hour_of_day"]
        out = mine.groupby(keys, as_index=False)[["posts", "engagements"]].sum()
        out["engagement_rate_by_followers"] = None
        out["rank_in_content_type"] = pd.NA
    min_posts = int(mine.best_time_min_posts.max()) if len(mine) else 0
    out["is_low_sample"] = out.posts < min_posts
    out["engagements_per_post"] = [ratio(e, p) for e, p in zip(out.engagements, out.posts, strict=True)]
    return out.reset_index(drop=True)


def campaign_table(daily: pd.DataFrame) -> pd.DataFrame:
    """One row per campaign: period sums, ratio-of-sums rates, and lift as of its last day.

    Lift to date (DECISIONLOG: campaign lift) adds the platforms' window and pre-window
    mentions of the last day in the period; None where no platform had pre-window data.
    """
    keys = ["campaign_id", "campaign_name", "brand_name", "start_date", "end_date", "currency"]
    sums = daily.groupby(keys, as_index=False, sort=False).agg(
        days=("date_day", "nunique"), as_of=("date_day", "max"), owned_posts=("owned_posts", "sum"),
        mentions=("mentions", "sum"), user_generated_mentions=("user_generated_mentions", "sum"),
        reach=("reach", "sum"), engagements=("engagements", "sum"), spend=("spend", "sum"))
    last = daily.sort_values("date_day").groupby("campaign_id").tail(1).set_index("campaign_id")
    sums["mention_lift"] = [
        ratio(last.at[c, "lift_window_mentions"] - last.at[c, "lift_pre_window_mentions"],
              last.at[c, "lift_pre_window_mentions"])
        if not pd.isna(last.at[c, "lift_pre_window_mentions"]) else None
        for c in sums.campaign_id]
    sums["engagement_rate"] = [ratio(e, r) for e, r in zip(sums.engagements, sums.reach, strict=True)]
    sums["cost_per_engagement"] = [ratio(s, e) for s, e in zip(sums.spend, sums.engagements, strict=True)]
    return sums


@dataclass(frozen=True)
class QuestionSummary:
    items: int
    open: int
    answered: int
    answered_share: float | None
    median_response_minutes: float | None
    complaints: int


def question_summary(items: pd.DataFrame) -> QuestionSummary:
    """Counts of patient questions and complaints, and the median response time of answers."""
    answered = items[items.is_answered]
    median = answered.response_minutes.median() if len(answered) else None
    return QuestionSummary(
        items=len(items), open=int((~items.is_answered).sum()), answered=len(answered),
        answered_share=ratio(len(answered), len(items)),
        median_response_minutes=None if median is None or pd.isna(median) else float(median),
        complaints=int((items.item_kind == "complaint").sum()))


@dataclass(frozen=True)
class HealthSummary:
    latest_night: object
    not_ok_latest: pd.DataFrame  # platform, health_status, partial_reasons of the latest night
    not_ok_in_period: pd.DataFrame  # platform, nights not ok in the period


def health_summary(health: pd.DataFrame, scope_start, scope_end) -> HealthSummary:
    """Which platforms were partial / failed / missing on the latest night and in the period."""
    if health.empty:
        return HealthSummary(None, health, health)
    latest = health.night.max()
    last = health[(health.night == latest) & (health.health_status != "ok")]
    nights = health.night.dt.date
    period = health[(nights >= scope_start) & (nights <= scope_end) & (health.health_status != "ok")]
    per_platform = period.groupby("platform", as_index=False).agg(nights_not_ok=("night", "nunique"))
    return HealthSummary(latest, last[["platform", "health_status", "partial_reasons"]], per_platform)
