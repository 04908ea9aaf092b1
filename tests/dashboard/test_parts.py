"""The dashboard's small parts on their own: page registry against the dbt exposures, the
serve command, number formatting and the ratio-of-sums maths."""

from __future__ import annotations

import sys
from datetime import date

import pandas as pd
import pytest
import yaml

from dashboard import format as fmt
from dashboard import metrics
from dashboard.data import Scope
from dashboard.launch import APP, command, streamlit_argv
from dashboard.views import PAGES
from tests.conftest import ROOT

EXPOSURES = ROOT / "dbt_project" / "models" / "marts" / "_marts__exposures.yml"


def test_pages_are_served_at_the_urls_the_exposures_name():
    exposures = yaml.safe_load(EXPOSURES.read_text())["exposures"]
    paths = {e["url"].split("8501", 1)[1].strip("/") for e in exposures if e["type"] == "dashboard"}
    assert {spec.url_path for spec in PAGES} == paths
    assert [spec.is_default for spec in PAGES].count(True) == 1
    assert all(spec.path.is_file() for spec in PAGES)


def test_launch_command_serves_the_entry_script_with_this_interpreter():
    argv = command(port=8765, address="0.0.0.0", headless=False)
    assert argv[:3] == [sys.executable, "-m", "dashboard.launch"]  # which execs `streamlit run`
    assert streamlit_argv(argv[3:], {})[:5] == [sys.executable, "-m", "streamlit", "run", str(APP)]
    options = dict(zip(argv[3::2], argv[4::2], strict=True))
    assert options["--server.port"] == "8765" and options["--server.address"] == "0.0.0.0"
    assert options["--server.headless"] == "false"
    assert options["--browser.gatherUsageStats"] == "false"
    assert dict(zip(command()[3::2], command()[4::2], strict=True))["--server.address"] == "127.0.0.1"


@pytest.mark.parametrize("call, expected", [
    (lambda: fmt.count(1234567), "1,234,567"),
    (lambda: fmt.count(None), "–"),
    (lambda: fmt.count(float("nan")), "–"),
    (lambda: fmt.percent(0.12345), "12.3%"),
    (lambda: fmt.percent(pd.NA), "–"),
    (lambda: fmt.signed(0.2), "+0.20"),
    (lambda: fmt.signed(-0.05), "-0.05"),
    (lambda: fmt.compact(2_500_000), "2.5M"),
    (lambda: fmt.money(1234.5, "USD"), "1,234.50 USD"),
    (lambda: fmt.change(150, 100), "+50.0%"),
    (lambda: fmt.change(150, 0), None),
    (lambda: fmt.point_change(0.30, 0.25), "+5.0 pp"),
    (lambda: fmt.duration(398), "6h 38m"),
    (lambda: fmt.duration(45), "45m"),
    (lambda: fmt.duration(3 * 1440 + 61), "3d 1h"),
    (lambda: fmt.period(date(2026, 11, 13), date(2026, 11, 26)), "13 Nov 2026 – 26 Nov 2026 (14 days)"),
    (lambda: fmt.instant("2026-11-28T04:40:27+00:00"), "28 Nov 2026 04:40 UTC"),
    (lambda: fmt.instant(None), "–"),
    (lambda: fmt.hours(30.5), "1d 6h"),
    (lambda: fmt.hours(None), "–"),
    (lambda: fmt.hours_between(10, 46), "between 10h 00m and 1d 22h"),
    (lambda: fmt.rating(4.256), "4.26 ★"),
    (lambda: fmt.rating(float("nan")), "–"),
])
def test_numbers_read_as_people_write_them(call, expected):
    assert call() == expected


def test_previous_period_has_the_same_length_and_ends_the_day_before():
    scope = Scope(date(2026, 11, 13), date(2026, 11, 26), ("x",), "lakemont")
    before = scope.previous()
    assert (before.start, before.end, before.days) == (date(2026, 10, 30), date(2026, 11, 12), 14)


def _panel() -> pd.DataFrame:
    return pd.DataFrame({
        "date_day": pd.to_datetime(["2026-11-01"] * 2 + ["2026-11-02"] * 2),
        "brand_id": ["a", "b", "a", "b"], "mentions": [3, 1, 0, 0], "engagements": [40, 0, 0, 0],
        "reach": [200, 200, 0, 0], "positive_mentions": [2, 0, 0, 0], "neutral_mentions": [0, 1, 0, 0],
        "negative_mentions": [1, 0, 0, 0], "sentiment_weight": [1.75, 0.5, 0.0, 0.0]})


def test_shares_are_ratios_of_sums_and_none_without_a_panel_total():
    daily = metrics.shares(_panel(), "engagement", by_day=True)
    assert daily.share.tolist()[:2] == [1.0, 0.0]
    assert daily.share.isna().tolist()[2:] == [True, True]
    period = metrics.shares(_panel(), "sentiment_weighted", by_day=False).set_index("brand_id")
    assert period.share["a"] == pytest.approx(1.75 / 2.25)


def test_brand_totals_give_net_sentiment_and_mention_share():
    totals = metrics.brand_totals(_panel(), "a")
    assert (totals.mentions, totals.net_sentiment, totals.mention_sov) == (3, pytest.approx(1 / 3), 0.75)
    assert metrics.brand_totals(_panel().iloc[0:0], "a").net_sentiment is None


def test_campaign_lift_adds_platforms_of_the_last_day():
    daily = pd.DataFrame({
        "campaign_id": ["c", "c"], "campaign_name": ["C", "C"], "brand_name": ["A", "A"],
        "start_date": pd.to_datetime(["2026-11-10"] * 2), "end_date": pd.to_datetime(["2026-11-11"] * 2),
        "currency": ["USD", "USD"], "date_day": pd.to_datetime(["2026-11-10", "2026-11-11"]),
        "owned_posts": [1, 0], "mentions": [2, 3], "user_generated_mentions": [1, 0], "reach": [1000, 0],
        "engagements": [25, 0], "spend": [50.0, 50.0], "lift_window_mentions": [2, 5],
        "lift_pre_window_mentions": [1, 2]})
    row = metrics.campaign_table(daily).iloc[0]
    assert (row.mention_lift, row.engagement_rate, row.cost_per_engagement) == (1.5, 0.025, 4.0)


def _period_reviews() -> pd.DataFrame:
    """Four reviews of one site: two answered (one reply deleted since), two not."""
    return pd.DataFrame({
        "location_name": ["A"] * 4, "has_reply": [True, False, False, False],
        "first_reply_night": pd.to_datetime(["2026-11-02", "2026-11-09", None, None]),
        "hours_to_reply": [20.0, 190.0, None, None], "hours_to_reply_min": [4.0, 170.0, None, None],
        "hours_to_reply_max": [28.0, 194.0, None, None],
        "answered_within_7d": [True, False, False, False],
        "reply_deleted": [False, True, False, False]})


def test_review_summary_bounds_reply_times_by_the_nightly_reads():
    daily = pd.DataFrame({"reviews": [3, 1], **{f"rating_{k}": [0, 0] for k in range(1, 6)}})
    daily.loc[0, "rating_5"], daily.loc[0, "rating_1"] = 2, 1  # one review without stars
    summary = metrics.review_summary(daily, _period_reviews(), pd.DataFrame({"x": [1]}))
    assert (summary.reviews, summary.rated, summary.average_rating) == (4, 3, pytest.approx(11 / 3))
    assert (summary.replied, summary.replied_share) == (1, 0.25)  # the deleted reply does not stand
    assert summary.replies_deleted == 1
    assert (summary.median_hours, summary.median_hours_min, summary.median_hours_max) == (105, 87, 111)
    assert (summary.within_target_share, summary.within_target_certain_share,
            summary.within_target_possible_share) == (0.25, 0.25, 0.25)
    assert summary.unanswered_negative == 1
    by_location = metrics.replies_by_location(_period_reviews()).iloc[0]
    assert (by_location.reviews, by_location.replied, by_location.median_hours) == (4, 1, 105)


def test_star_distribution_adds_the_days_per_location_and_star():
    daily = pd.DataFrame({"location_name": ["A", "A", "B"], "rating_1": [1, 0, 0], "rating_2": [0, 0, 0],
                          "rating_3": [0, 0, 2], "rating_4": [0, 1, 0], "rating_5": [2, 3, 0]})
    stars = metrics.star_distribution(daily)
    assert stars[stars.location_name == "A"].reviews.tolist() == [1, 0, 0, 1, 5]
    assert stars[stars.location_name == "B"].reviews.tolist() == [0, 0, 2, 0, 0]
