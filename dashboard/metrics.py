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
    """The brand's daily positive / neutral / negative / not-scored mentions and net sentiment."""
    mine = panel[panel.brand_id == brand_id]
    out = mine[["date_day", "mentions", "positive_mentions", "neutral_mentions",
                "negative_mentions", "not_scored_mentions"]].reset_index(drop=True)
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


# -- reviews and reputation ----------------------------------------------------------------------

STARS = (1, 2, 3, 4, 5)
REPLY_TARGET_HOURS = 7 * 24  # reply to every review within 7 days


def _median(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.median()) if len(values) else None


def average_rating(star_counts: pd.DataFrame) -> float | None:
    """Mean stars from the rating_1..rating_5 counts (a ratio of sums: unrated reviews left
    out), None without a rated review."""
    rated = sum(star_counts[f"rating_{k}"].sum() for k in STARS)
    return ratio(sum(k * star_counts[f"rating_{k}"].sum() for k in STARS), rated)


@dataclass(frozen=True)
class ReviewSummary:
    """The period's reviews of the brand's locations and how they were answered.

    `replied` counts the reviews with a reply standing now (a deleted reply leaves the review
    unanswered); reply times and the 7-day target count every first reply (fct_review_replies),
    as the daily mart's 30-day shares do. Each reply time lies between a minimum and a maximum
    set by the nightly reads, so the median of the minimums and of the maximums bound the
    median. `within_target` is the mart's flag (the estimate within 7 days);
    `within_target_certain` / `_possible` count replies whose maximum / minimum is within it.
    Shares are of all the period's reviews.
    """

    reviews: int
    rated: int
    average_rating: float | None
    replied: int
    replied_share: float | None
    replies_deleted: int  # answered, the reply deleted since
    within_target: int
    within_target_share: float | None
    within_target_certain_share: float | None
    within_target_possible_share: float | None
    median_hours: float | None
    median_hours_min: float | None
    median_hours_max: float | None
    unanswered_negative: int


def review_summary(daily: pd.DataFrame, reviews: pd.DataFrame,
                   unanswered_negative: pd.DataFrame) -> ReviewSummary:
    """Headline figures: volumes and stars from the daily mart, replies from the period's
    reviews, the negative backlog as listed."""
    replied = int(reviews.has_reply.astype(bool).sum())
    timed = answered(reviews)
    count = len(reviews)
    return ReviewSummary(
        reviews=int(daily.reviews.sum()),
        rated=int(sum(daily[f"rating_{k}"].sum() for k in STARS)),
        average_rating=average_rating(daily),
        replied=replied, replied_share=ratio(replied, count),
        replies_deleted=int(timed.reply_deleted.sum()),
        within_target=int(timed.answered_within_7d.sum()),
        within_target_share=ratio(timed.answered_within_7d.sum(), count),
        within_target_certain_share=ratio((timed.hours_to_reply_max <= REPLY_TARGET_HOURS).sum(), count),
        within_target_possible_share=ratio((timed.hours_to_reply_min <= REPLY_TARGET_HOURS).sum(), count),
        median_hours=_median(timed.hours_to_reply),
        median_hours_min=_median(timed.hours_to_reply_min),
        median_hours_max=_median(timed.hours_to_reply_max),
        unanswered_negative=len(unanswered_negative))


def answered(reviews: pd.DataFrame) -> pd.DataFrame:
    """The reviews of period_reviews() that were answered (a first reply was read), whether or
    not the reply still stands."""
    return reviews[reviews.first_reply_night.notna()]


def star_distribution(daily: pd.DataFrame) -> pd.DataFrame:
    """Reviews per location x star (1-5) over the frame's days, from the daily star counts."""
    sums = daily.groupby("location_name", as_index=False, sort=False)[
        [f"rating_{k}" for k in STARS]].sum()
    out = sums.melt(id_vars="location_name", var_name="stars", value_name="reviews")
    out["stars"] = out.stars.str.removeprefix("rating_").astype(int)
    out["reviews"] = out.reviews.astype(int)
    return out.sort_values(["location_name", "stars"], ignore_index=True, kind="stable")


def rating_by_location(daily: pd.DataFrame) -> pd.DataFrame:
    """Per location: the period's reviews and mean stars (ratio of sums), and the rolling and
    all-time figures as of the period's last day."""
    keys = ["location_id", "location_name"]
    rows = []
    for (location_id, name), days in daily.groupby(keys, sort=False):
        last = days.sort_values("date_day").iloc[-1]
        rows.append({
            "location_id": location_id, "location_name": name, "reviews": int(days.reviews.sum()),
            "unrated": int(days.reviews.sum() - sum(days[f"rating_{k}"].sum() for k in STARS)),
            "average_rating": average_rating(days), "as_of": last.date_day,
            "reviews_30d": last.reviews_30d, "avg_rating_30d": last.avg_rating_30d,
            "reviews_90d": last.reviews_90d, "avg_rating_90d": last.avg_rating_90d,
            "total_reviews": last.total_reviews, "avg_rating_all": last.avg_rating_all,
            "response_rate_30d": last.response_rate_30d,
            "answered_within_7d_share_30d": last.answered_within_7d_share_30d})
    return pd.DataFrame(rows, columns=[
        "location_id", "location_name", "reviews", "unrated", "average_rating", "as_of",
        "reviews_30d", "avg_rating_30d", "reviews_90d", "avg_rating_90d", "total_reviews",
        "avg_rating_all", "response_rate_30d", "answered_within_7d_share_30d"])


def replies_by_location(reviews: pd.DataFrame) -> pd.DataFrame:
    """Per location, as review_summary(): the period's reviews, those with a reply standing,
    the share answered within the 7-day target, the median reply time with its bounds."""
    rows = []
    for name, mine in reviews.groupby("location_name", sort=False):
        replied, timed = int(mine.has_reply.astype(bool).sum()), answered(mine)
        rows.append({
            "location_name": name, "reviews": len(mine), "replied": replied,
            "replied_share": ratio(replied, len(mine)), "replies_deleted": int(timed.reply_deleted.sum()),
            "within_target": int(timed.answered_within_7d.sum()),
            "within_target_share": ratio(timed.answered_within_7d.sum(), len(mine)),
            "median_hours": _median(timed.hours_to_reply),
            "median_hours_min": _median(timed.hours_to_reply_min),
            "median_hours_max": _median(timed.hours_to_reply_max)})
    return pd.DataFrame(rows, columns=[
        "location_name", "reviews", "replied", "replied_share", "replies_deleted", "within_target",
        "within_target_share", "median_hours", "median_hours_min", "median_hours_max"])


# -- patient-experience aspects ------------------------------------------------------------------


def aspect_changes(aspects: pd.DataFrame, period_days: int, baseline_days: int) -> pd.DataFrame:
    """aspect_period() with net sentiment now and over the baseline window (ratios of sums), its
    change in points, and negative mentions per day now against the window's (days without any
    count as zero, as in the mart's spike test), as a relative change; None without a baseline
    (a window before the aspect data starts, or without a negative mention)."""
    out = aspects.copy()
    out["net_sentiment"] = [net_sentiment(p, n) for p, n in
                            zip(out.positive_mentions, out.negative_mentions, strict=True)]
    out["baseline_net_sentiment"] = [net_sentiment(p, n) for p, n in
                                     zip(out.baseline_positive, out.baseline_negative, strict=True)]
    out["net_sentiment_change"] = [None if now is None or before is None else now - before for now, before
                                   in zip(out.net_sentiment, out.baseline_net_sentiment, strict=True)]
    out["negative_per_day"] = out.negative_mentions / period_days
    out["baseline_negative_per_day"] = [ratio(n, baseline_days) if days else None for n, days in
                                        zip(out.baseline_negative, out.data_days, strict=True)]
    out["negative_change"] = [None if before is None else ratio(now - before, before) for now, before
                              in zip(out.negative_per_day, out.baseline_negative_per_day, strict=True)]
    return out
