"""Every page, run by Streamlit's AppTest against the shared published world, shows the
warehouse's own figures (worked out independently by the oracle) for the sidebar's choices."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from dashboard import format as fmt
from dashboard.views import PAGES
from tests.dashboard.conftest import frame, metrics_of, page, texts
from tests.dashboard.oracle import Period

pytestmark = pytest.mark.slow  # needs the published_world fixture (one pipeline run per session)


def test_sidebar_defaults_to_the_last_7_days_and_the_organisation(app, oracle):
    at = app(page("overview"))
    period = oracle.default_period()
    assert at.date_input[0].value == (period.start, period.end)
    assert at.selectbox(key="brand").value == oracle.organisation()
    assert set(at.multiselect(key="platforms").value) == set(oracle.platform_names())
    assert at.radio(key="basis").value == "mention"


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.module)
def test_page_headline_figures_match_the_warehouse(app, oracle, spec):
    at = app(spec)
    period, brand = oracle.default_period(), oracle.organisation()
    shown = metrics_of(at)
    expected = oracle.headline(spec.module, period, brand)
    assert {label: shown.get(label) for label in expected} == expected
    assert at.title[0].value == spec.title
    assert fmt.period(period.start, period.end) in texts(at)


def test_overview_data_health_names_the_gate_run_and_every_platform(app, oracle, published_world):
    at = app(page("overview"))
    passed = [s.value for s in at.success if "passed every quality check" in s.value]
    assert passed and published_world["run_id"] in passed[0]
    latest = oracle.one("select max(night) from marts.fct_data_health_nightly")
    statuses = dict(oracle.rows("select platform, health_status from marts.fct_data_health_nightly "
                                "where night = $n", n=latest))
    health = frame(at, "data_health")
    names = oracle.platform_names()
    assert dict(zip(health.Platform, health.Status, strict=True)) == {
        names[p]: status for p, status in statuses.items()}
    if all(status == "ok" for status in statuses.values()):
        assert "every platform complete" in texts(at)


@pytest.mark.parametrize("basis, measure", [("mention", "1"), ("engagement", "engagements"),
                                            ("reach", "reach")])
def test_share_of_voice_follows_the_basis(app, oracle, basis, measure):
    at = app(page("share_of_voice"), basis=basis)
    expected = oracle.shares(oracle.default_period(), measure)
    shown = metrics_of(at)
    for brand_id, name in oracle.panel():
        assert shown[name] == fmt.percent(expected.get(brand_id, 0.0))
    daily = frame(at, f"share_of_voice_{basis}_daily")
    sums = daily.groupby("Day")["Share of voice"].sum()
    assert sums.dropna().sub(1).abs().max() < 1e-9  # shares of a day sum to 1


def test_share_of_voice_on_the_marts_grain_equals_the_mart(app, oracle):
    """One day on one platform is the mart's own grain: every basis, sentiment-weighted too
    (which the dashboard re-adds from fct_mentions), must equal the published shares."""
    day, platform = oracle.rows(
        "select mention_date, platform from marts.fct_share_of_voice_daily "
        "group by all order by sum(mentions) desc, mention_date, platform limit 1")[0]
    at = app(page("share_of_voice"), period=Period(day, day), platforms=[platform])
    table = frame(at, "share_of_voice_period").set_index("Brand")
    mart = oracle.rows("select b.brand_name, mention_sov, engagement_sov, reach_sov, sentiment_weighted_sov "
                       "from marts.fct_share_of_voice_daily s join marts.dim_brands b using (brand_id) "
                       "where mention_date = $d and platform = $p", d=day, p=platform)
    for name, *shares in mart:
        shown = table.loc[name, ["Mentions", "Engagements", "Reach", "Sentiment-weighted"]]
        assert shown.astype(float).fillna(-1).tolist() == pytest.approx(
            [float(s) if s is not None else -1 for s in shares], abs=1e-6)


def test_sentiment_marks_the_alert_days(app, oracle):
    at = app(page("sentiment"))
    period, brand = oracle.default_period(), oracle.organisation()
    expected = oracle.rows("select date_day, alert_kind from marts.fct_sentiment_alerts_daily "
                           "where brand_id = $b and platform = 'all' and is_alert "
                           "and date_day between $start and $end order by 1", b=brand, **period.params)
    daily = frame(at, "sentiment_daily")
    marked = daily[daily.Alert != ""].Day.dt.date.tolist()
    assert marked == sorted({d for d, _ in expected})
    if expected:
        assert frame(at, "sentiment_alerts").Day.tolist() == [d for d, _ in expected]
    net = daily.set_index(daily.Day.dt.date)["Net sentiment"]
    for day in net.index[:3]:
        counts = oracle.brand_mentions(Period(day, day), brand)
        assert net[day] == pytest.approx(counts["net_sentiment"] if counts["net_sentiment"] is not None
                                         else float("nan"), nan_ok=True)


def test_engagement_by_platform_and_the_heatmap_sample_sizes(app, oracle):
    at = app(page("engagement"))
    period, brand = oracle.default_period(), oracle.organisation()
    names = oracle.platform_names()
    by_platform = frame(at, "engagement_by_platform").set_index("Platform")
    expected = oracle.owned_posts(period, brand)
    assert {p: (int(r.Posts), int(r.Engagements)) for p, r in by_platform.iterrows()} == {
        names[p]: v for p, v in expected.items()}
    heat = frame(at, "best_time_to_post")
    platform = at.selectbox(key="heatmap_platform").value
    cells = oracle.rows("select sum(posts), max(best_time_min_posts) from marts.fct_best_time_to_post "
                        "where brand_id = $b and platform = $p", b=brand, p=platform)[0]
    assert int(heat["Posts (sample size)"].sum()) == cells[0]
    assert (heat["Low sample"] == (heat["Posts (sample size)"] < cells[1])).all()


def test_campaign_table_has_the_warehouse_spend_and_lift(app, oracle):
    at = app(page("campaigns"))
    period = oracle.default_period()
    table = frame(at, "campaigns").set_index("Campaign")
    rows = oracle.rows(
        "select c.campaign_name, sum(f.daily_spend)::double, sum(f.engagements)::bigint "
        "from marts.fct_campaign_performance_daily f join marts.dim_campaigns c using (campaign_id) "
        "where f.date_day between $start and $end group by 1", **period.params)
    assert set(table.index) == {name for name, _, _ in rows}
    for name, spend, engagements in rows:
        assert table.loc[name, "Spend"] == pytest.approx(spend)
        assert table.loc[name, "Engagements"] == engagements
    last = oracle.rows(
        "select c.campaign_name, "
        "sum(window_mentions_to_date) filter (where pre_window_mentions is not null), "
        "sum(pre_window_mentions) from marts.fct_campaign_performance_daily f "
        "join marts.dim_campaigns c using (campaign_id) where f.date_day = ("
        "  select max(date_day) from marts.fct_campaign_performance_daily g "
        "  where g.campaign_id = f.campaign_id and g.date_day <= $end) group by 1", end=period.end)
    for name, window, pre in last:
        lift = table.loc[name, "Mention lift to date"]
        assert (pd.isna(lift) if not pre else lift == pytest.approx((window - pre) / pre))


def test_community_shows_only_redacted_text_and_the_top_influencers(app, oracle):
    at = app(page("community"))
    period, brand = oracle.default_period(), oracle.organisation()
    questions = frame(at, "patient_questions")
    redacted = {t for (t,) in oracle.rows(
        "select text_redacted from marts.fct_patient_questions where brand_id = $b and (asked_date "
        "between $start and $end or (asked_date < $start and not is_answered))", b=brand, **period.params)}
    assert len(questions) and set(questions["Text (redacted)"]) <= redacted
    assert questions.Status.iloc[0].startswith("open") or (questions.Status == "answered").all()
    top = oracle.rows(
        "select a.author_handle from marts.fct_influencer_mentions_daily i "
        "join marts.dim_authors a using (author_key) where i.brand_id = $b "
        "and i.mention_date between $start and $end group by a.author_handle, a.influence_score "
        "order by a.influence_score desc, sum(i.mentions) desc, a.author_handle limit 5",
        b=brand, **period.params)
    assert frame(at, "influencers").Author.head(len(top)).tolist() == [h for (h,) in top]


def test_questions_still_open_from_before_the_period_are_listed_first_among_the_open(app, oracle):
    """A question left unanswered since last week matters more than today's: it stays listed."""
    newest, brand = oracle.default_period().end, oracle.organisation()
    period = Period(newest, newest)
    at = app(page("community"), period=period)
    questions = frame(at, "patient_questions")
    earlier, in_period = oracle.rows(
        "select count(*) filter (where asked_date < $start and not is_answered), "
        "count(*) filter (where asked_date between $start and $end) "
        "from marts.fct_patient_questions where brand_id = $b", b=brand, **period.params)[0]
    assert earlier, "the test world should hold questions still open from before the last night"
    assert (questions.Status == "open, asked before the period").sum() == earlier
    assert len(questions) == earlier + in_period
    assert metrics_of(at)["Open from earlier"] == fmt.count(earlier)
    assert metrics_of(at)["Questions and complaints"] == fmt.count(in_period)


def test_misinformation_toggle_keeps_the_brand_s_claims(app, oracle):
    at = app(page("misinformation"))
    period, brand = oracle.default_period(), oracle.organisation()
    assert len(frame(at, "misinformation_watch")) == oracle.one(
        "select count(*) from marts.fct_misinformation_watch where published_date between $start and $end",
        **period.params)
    at.toggle(key="misinformation_brand_only").set_value(True).run()
    about = oracle.one("select count(*) from marts.fct_misinformation_watch "
                       "where list_contains(brand_ids, $b) and published_date between $start and $end",
                       b=brand, **period.params)
    if about:
        watch = frame(at, "misinformation_watch")
        assert len(watch) == about and watch.Brands.str.contains(brand).all()
    else:
        assert "No health claims mention" in texts(at)


def test_another_brand_in_focus_changes_the_figures(app, oracle):
    competitor = next(b for b, _ in oracle.panel() if b != oracle.organisation())
    at = app(page("overview"), brand=competitor)
    expected = oracle.headline("overview", oracle.default_period(), competitor)
    assert {k: metrics_of(at)[k] for k in expected} == expected


def test_changes_compare_with_the_previous_period_when_it_was_extracted(app, oracle):
    first = oracle.one("select min(night) from marts.fct_data_health_nightly")
    last = oracle.one("select max(night) from marts.fct_data_health_nightly")
    if last == first:
        pytest.fail("the published world needs two nights to compare one with the other")
    brand = oracle.organisation()
    at = app(page("overview"), period=Period(last, last))
    now, before = (oracle.brand_mentions(Period(d, d), brand) for d in (last, last - timedelta(days=1)))
    mentions = next(m for m in at.metric if m.label == "Mentions")
    assert mentions.value == fmt.count(now["mentions"])
    assert mentions.delta == (fmt.change(now["mentions"], before["mentions"]) or "")
    at = app(page("overview"), period=Period(first, last))
    assert all(m.delta == "" for m in at.metric)  # nothing extracted before the first night
    assert "No changes shown" in texts(at)
