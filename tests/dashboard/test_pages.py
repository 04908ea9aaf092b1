"""Every page, run by Streamlit's AppTest against the shared published world, shows the
warehouse's own figures (worked out independently by the oracle) for the sidebar's choices."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

import pandas as pd
import pytest

from dashboard import format as fmt
from dashboard.views import PAGES
from tests.dashboard.conftest import frame, metrics_of, news_day, page, texts
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
def test_page_headline_figures_match_the_warehouse(request, spec):
    # the reviews page reads marts the pipeline does not build yet: its world adds them; the news
    # page's world has hand-made articles with every case (tests/dashboard/news_world.py), the
    # aspects page's hand-made aspects (tests/dashboard/aspects_world.py)
    world = {"reviews": "reviews_", "news": "news_", "aspects": "aspects_"}.get(spec.module, "")
    app, oracle = request.getfixturevalue(f"{world}app"), request.getfixturevalue(f"{world}oracle")
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
    names = oracle.platform_names(social=False)
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


# -- reviews and reputation (on the reviews world: tests/dashboard/reviews_world.py) --------------


def _rows_by(frame, *columns):
    return sorted(tuple(row) for row in frame[list(columns)].itertuples(index=False))


def test_reviews_rating_per_location_and_stars_match_the_reviews(reviews_app, reviews_oracle):
    """Counts, 30-day averages and the star mix the page reads from the daily mart equal the
    reviews themselves, row by row (the 30-day windows reaching back before the period)."""
    at = reviews_app(page("reviews"))
    oracle, period, brand = reviews_oracle, reviews_oracle.default_period(), reviews_oracle.organisation()
    daily = frame(at, "review_rating_daily")
    shown = {(name, day): (count, mean) for name, day, count, mean in zip(
        daily.Location, daily.Day.dt.date, daily["New reviews"], daily["30-day average rating"], strict=True)}
    expected = oracle.rows(
        "select l.location_name, d.day, "
        "  (select count(*) from marts.fct_reviews r "
        "   where r.location_id = l.location_id and r.created_date = d.day), "
        "  (select avg(star_rating) from marts.fct_reviews r where r.location_id = l.location_id "
        "   and r.created_date between d.day - 29 and d.day) "
        "from marts.dim_locations l, (select unnest(range($start::timestamp, "
        "  $end::timestamp + interval 1 day, interval 1 day))::date as day) d "
        "where l.brand_id = $b and l.gbp_location is not null",
        b=brand, **period.params)
    assert len(expected) == len(shown) == 3 * period_days(period)
    for name, day, count, mean in expected:
        assert shown[(name, day)][0] == count
        assert shown[(name, day)][1] == pytest.approx(mean, abs=6e-4)  # the mart rounds to 3 digits
    stars = frame(at, "review_stars")
    assert _rows_by(stars, "Location", "Stars", "Reviews") == sorted(
        (name, stars, count) for name, stars, count in oracle.rows(
            "select l.location_name, s.stars, count(r.review_key) from marts.dim_locations l "
            "cross join (select unnest(range(1, 6)) as stars) s "
            "left join marts.fct_reviews r on r.location_id = l.location_id and r.star_rating = s.stars "
            "  and r.created_date between $start and $end "
            "where l.brand_id = $b and l.gbp_location is not null group by all", b=brand, **period.params))
    unrated = oracle.one("select count(*) from marts.fct_reviews where brand_id = $b and star_rating is null "
                         "and created_date between $start and $end", b=brand, **period.params)
    assert unrated, "the reviews world has a review without stars in the default period"
    assert f"{unrated} review(s) of the period carry no star rating" in texts(at)


def period_days(period: Period) -> int:
    return (period.end - period.start).days + 1


def test_reviews_reply_times_are_shown_with_their_nightly_bounds(reviews_app, reviews_oracle):
    at = reviews_app(page("reviews"))
    oracle, period, brand = reviews_oracle, reviews_oracle.default_period(), reviews_oracle.organisation()
    mine = oracle.review_figures(period, brand)
    shown = texts(at)
    assert "Reply times are bounded by the nightly reads" in shown
    assert (f"Median time to reply: {fmt.hours(mine['median'])} "
            f"({fmt.hours_between(mine['median_min'], mine['median_max'])})") in shown
    assert (f"(at least {fmt.percent(mine['within_certain'])} by the maximums, at most "
            f"{fmt.percent(mine['within_possible'])} by the minimums)") in shown
    times = frame(at, "review_reply_times")
    replies = oracle.rows(
        "select p.hours_to_reply, p.hours_to_reply_min, p.hours_to_reply_max, p.first_reply_night "
        "from marts.fct_review_replies p join marts.fct_reviews r using (review_key) "
        "where r.brand_id = $b and r.created_date between $start and $end", b=brand, **period.params)
    assert sorted(zip(times["Hours to reply"], times["Hours to reply, at least"],
                      times["Hours to reply, at most"], times["Reply first seen (night)"].dt.date,
                      strict=True)) == sorted(replies)
    assert ((times["Hours to reply, at least"] <= times["Hours to reply"])
            & (times["Hours to reply"] <= times["Hours to reply, at most"])).all()
    by_location = frame(at, "review_replies_by_location").set_index("Location")
    rows = oracle.rows(
        "select l.location_name, count(*), count(*) filter (where r.has_reply), "
        "count(p.review_key) filter (where p.reply_deleted) from marts.fct_reviews r "
        "join marts.dim_locations l using (location_id) "
        "left join marts.fct_review_replies p on p.review_key = r.review_key "
        "where r.brand_id = $b and r.created_date between $start and $end group by 1",
        b=brand, **period.params)
    for name, reviews, replied, deleted in rows:
        assert by_location.loc[name, ["Reviews", "Replied", "Replies deleted since"]].tolist() == [
            reviews, replied, deleted]
        assert by_location.loc[name, "Reply rate"] == pytest.approx(replied / reviews)
    deleted = sum(d for *_, d in rows)
    if deleted:  # answered in time once, unanswered now: said, so the figures add up
        assert f"{deleted} repl" in shown and "deleted since: counted in reply times" in shown


def test_unanswered_negative_reviews_are_listed_oldest_first_with_redacted_text(reviews_app, reviews_oracle):
    at = reviews_app(page("reviews"))
    oracle, period, brand = reviews_oracle, reviews_oracle.default_period(), reviews_oracle.organisation()
    waiting = frame(at, "reviews_unanswered_negative")
    expected = oracle.rows(
        "select created_at, star_rating, coalesce(review_text, '(rating only, no text)'), "
        "created_date < $start from marts.fct_reviews where brand_id = $b and star_rating <= 2 "
        "and not has_reply and created_date <= $end order by created_at", b=brand, **period.params)
    assert len(waiting) == len(expected) and len(expected) > 2
    assert waiting["Written (UTC)"].is_monotonic_increasing
    assert waiting["Stars"].tolist() == [stars for _, stars, _, _ in expected]
    assert waiting["Review (redacted)"].tolist() == [text for _, _, text, _ in expected]
    assert (waiting.Status == "waiting, written before the period").tolist() == [b for *_, b in expected]
    assert "(rating only, no text)" in set(waiting["Review (redacted)"])
    assert any(before for *_, before in expected) and not all(before for *_, before in expected)
    newest = oracle.one("select max(last_seen_night) from marts.fct_reviews")
    assert waiting["Days waiting"].tolist() == [
        (newest - written.date()).days for written in waiting["Written (UTC)"]]


def test_replies_flagged_for_phi_risk_give_their_reasons(reviews_app, reviews_oracle):
    at = reviews_app(page("reviews"))
    oracle, period, brand = reviews_oracle, reviews_oracle.default_period(), reviews_oracle.organisation()
    flagged = frame(at, "review_replies_phi")
    expected = oracle.rows(
        "select reply_text, phi_flags, first_reply_night < $start from marts.fct_review_replies "
        "where brand_id = $b and phi_flag_count > 0 and not reply_deleted "
        "and first_reply_night <= $end", b=brand, **period.params)
    assert sorted(zip(flagged["Reply (redacted)"], flagged.Reasons, flagged.Flags, strict=True)) == sorted(
        (text, "; ".join(flags), len(flags)) for text, flags, _ in expected)
    in_period = [text for text, _, before in expected if not before]
    assert in_period, "the reviews world has a flagged reply first read in the default period"
    assert set(flagged[flagged.Status == "first seen in the period"]["Reply (redacted)"]) == set(in_period)
    assert any("clinical: names a condition, procedure or medication: 'knee replacement'" in reasons
               for reasons in flagged.Reasons)


def test_hcahps_puts_the_organisation_beside_the_competitors(reviews_app, reviews_oracle):
    at = reviews_app(page("reviews"))
    oracle = reviews_oracle
    summary = frame(at, "hcahps_summary")
    latest = oracle.rows(
        "select facility_name, is_own, star_rating from marts.fct_hcahps_benchmarks b "
        "where measure_id = 'H_STAR_RATING' and period_end = (select max(period_end) "
        "from marts.fct_hcahps_benchmarks c where c.ccn = b.ccn) "
        "order by not is_own, brand_name, facility_name")
    assert summary.Facility.tolist() == [name for name, _, _ in latest]
    assert summary["Own site"].tolist() == [own for _, own, _ in latest]
    assert summary["Own site"].iloc[0] and not summary["Own site"].iloc[-1]
    stars = summary.set_index("Facility")["Summary star rating"]
    for name, _, star in latest:
        assert (pd.isna(stars[name]) if star is None else stars[name] == star), name
    assert any(star is None for *_, star in latest)  # a competitor CMS gives no summary star
    top_box = frame(at, "hcahps_top_box").set_index("Measure")
    answers = oracle.rows(
        "select facility_name, measure_id, answer_percent from marts.fct_hcahps_benchmarks b "
        "where (right(measure_id, 4) = '_A_P' or measure_id in ('H_HSP_RATING_9_10', 'H_RECMND_DY')) "
        "and period_end = (select max(period_end) from marts.fct_hcahps_benchmarks c where c.ccn = b.ccn)")
    labels = {"H_HSP_RATING_9_10": "Rated the hospital 9 or 10", "H_RECMND_DY": "Would definitely recommend",
              "H_COMP_1_A_P": "Nurses always communicated well"}
    assert len(top_box) == len({measure for _, measure, _ in answers})
    for name, measure, percent in answers:
        if measure in labels:
            assert top_box.loc[labels[measure], name] == pytest.approx(percent / 100)
    assert list(top_box.columns) == summary.Facility.tolist()  # the organisation first
    assert not {"H_COMP_1_U_P", "H_HSP_RATING_0_6", "H_RECMND_DN"} & set(top_box.index)


def test_reviews_page_on_the_pipeline_s_own_marts(app, oracle):
    """The shared world as the pipeline builds it: until the review marts land, the page names
    the tables it lacks; once they do, its headline is the warehouse's."""
    at = app(page("reviews"))
    present = {name for (name,) in oracle.rows(
        "select table_name from information_schema.tables where table_schema = 'marts'")}
    missing = [name for name in ("dim_locations", "fct_reviews", "fct_review_replies",
                                 "fct_location_rating_daily", "fct_hcahps_benchmarks") if name not in present]
    if missing:
        assert all(f"marts.{name}" in texts(at) for name in missing)
        assert not at.metric
    elif oracle.one("select count(*) from marts.fct_reviews"):
        expected = oracle.headline("reviews", oracle.default_period(), oracle.organisation())
        assert {label: metrics_of(at).get(label) for label in expected} == expected



# -- news (on the news world: tests/dashboard/news_world.py) -------------------------------------

CREDIBILITY = {"low_credibility": "⚠ low credibility", "authoritative": "authoritative",
               "fact_checker": "fact-checker", "unknown": "not listed"}
MATCHES = {"alias": "brand named in the text", "query": "GDELT full-text search"}


class Article(NamedTuple):
    brand: str
    headline: str
    outlet: str
    domain: str
    credibility: str
    lang: str
    tone: float | None
    label: str
    compound: float
    matched: str
    url: str
    undated: bool


def _articles_of(oracle, day, brands=None) -> list[Article]:
    return [Article(*row) for row in oracle.rows(
        "select b.brand_name, a.headline, a.outlet, a.source_domain, a.source_credibility, a.lang, "
        "a.gdelt_tone, a.adjusted_label, a.adjusted_compound::double, a.matched_on, a.article_url, a.undated "
        "from marts.fct_news_articles a join marts.dim_brands b using (brand_id) "
        "where a.mention_date = $d and b.is_panel_member "
        "and ($brands is null or list_contains($brands, a.brand_id))", d=day, brands=brands)]


def _listed(table) -> list[tuple[str, str]]:
    return sorted(zip(table.Brand, table.Link, strict=True))


def test_news_lists_the_newest_day_s_articles_with_outlet_credibility_and_both_tones(news_app, news_oracle):
    at = news_app(page("news"))
    oracle, newest = news_oracle, news_oracle.default_period().end
    assert news_day(at).value == newest  # the latest night with articles
    table = frame(at, "news_articles")
    expected = _articles_of(oracle, newest)
    assert _listed(table) == sorted((a.brand, a.url) for a in expected)
    rows = table.set_index(["Brand", "Link"])
    for a in expected:
        row = rows.loc[(a.brand, a.url)]
        assert (row["Headline (redacted)"], row.Outlet, row.Domain, row.Credibility, row.Language,
                row["VADER label"], row["Matched on"], row.Undated) == (
            a.headline, a.outlet, a.domain, CREDIBILITY[a.credibility], a.lang, a.label, MATCHES[a.matched],
            a.undated)
        assert row["VADER compound"] == pytest.approx(a.compound)
        assert pd.isna(row["GDELT tone bin"]) if a.tone is None else row["GDELT tone bin"] == a.tone
    # the world's cases, each on the newest night: every one of them is listed
    assert {"low_credibility", "authoritative"} <= {a.credibility for a in expected}
    assert any(a.tone is None for a in expected) and any(a.matched == "query" for a in expected)
    assert any(a.undated for a in expected) and any(a.lang != "en" for a in expected)
    assert (table.groupby("Link").Brand.nunique() > 1).any()  # one article, listed under both brands
    warning = " ".join(w.value for w in at.warning)
    low = {a.domain for a in expected if a.credibility == "low_credibility"}
    assert all(fmt.text(domain) in warning for domain in low)


def test_news_per_day_counts_every_brand_and_marks_the_spikes(news_app, news_oracle):
    at = news_app(page("news"))
    oracle, period = news_oracle, news_oracle.default_period()
    daily = frame(at, "news_daily")
    names = dict(oracle.panel())
    counts = oracle.news_counts(period)
    assert len(daily) == len(names) * period_days(period)
    assert {(r.Brand, r.Day.date()): r.Articles for r in daily.itertuples()} == {
        (name, period.start + timedelta(days=n)): counts.get((brand, period.start + timedelta(days=n)), 0)
        for brand, name in names.items() for n in range(period_days(period))}
    spikes = oracle.rows(
        "select b.brand_name, a.date_day from marts.fct_sentiment_alerts_daily a join marts.dim_brands b "
        "using (brand_id) where a.platform = 'news' and a.is_alert and a.alert_kind = 'news_spike' "
        "and a.date_day between $start and $end", **period.params)
    assert len(spikes) == 2  # the organisation's and a competitor's
    marked = daily[daily.Alert != ""]
    assert sorted(zip(marked.Brand, marked.Day.dt.date, strict=True)) == sorted(spikes)
    assert (marked.Alert == "News spike").all()
    quiet = daily.groupby(daily.Day.dt.date).Articles.sum()
    assert (quiet == 0).any(), "the news world has a day in the period without any article"


def test_news_follows_the_brand_filter_and_the_chosen_day(news_app, news_oracle):
    oracle, period = news_oracle, news_oracle.default_period()
    competitor = next(b for b, _ in oracle.panel() if b != oracle.organisation())
    at = news_app(page("news"))
    at.multiselect(key="news_brands").set_value([competitor]).run()
    table = frame(at, "news_articles")
    expected = _articles_of(oracle, period.end, [competitor])
    assert _listed(table) == sorted((a.brand, a.url) for a in expected)
    assert set(frame(at, "news_daily").Brand) == {oracle.brand_name(competitor)}
    earlier = period.end - timedelta(days=1)
    at.multiselect(key="news_brands").set_value([b for b, _ in oracle.panel()]).run()
    news_day(at).set_value(earlier).run()
    assert not at.exception
    listed = _listed(frame(at, "news_articles"))
    assert listed == sorted((a.brand, a.url) for a in _articles_of(oracle, earlier))


def test_news_coverage_compares_with_the_night_before_on_overview_and_news_page(news_app, news_oracle):
    oracle, brand = news_oracle, news_oracle.organisation()
    last = oracle.one("select max(night) from marts.fct_data_health_nightly")
    at = news_app(page("overview"), period=Period(last, last))
    now, before = (oracle.news_figures(Period(d, d), brand) for d in (last, last - timedelta(days=1)))
    shown = {m.label: m for m in at.metric}
    assert shown["News articles"].value == fmt.count(now["articles"])
    assert shown["News articles"].delta == fmt.change(now["articles"], before["articles"])
    assert shown["News share of voice"].delta == fmt.point_change(now["share"], before["share"])
    page_shown = {m.label: m for m in news_app(page("news"), period=Period(last, last)).metric}
    assert (page_shown["Articles"].value, page_shown["Articles"].delta) == (
        shown["News articles"].value, shown["News articles"].delta)
    assert page_shown["News share of voice"].delta == shown["News share of voice"].delta
    at = news_app(page("overview"), period=Period(last - timedelta(days=1), last))
    spike = oracle.rows("select date_day, mentions from marts.fct_sentiment_alerts_daily where brand_id = $b "
                        "and platform = 'news' and alert_kind = 'news_spike'", b=brand)
    assert len(spike) == 1 and metrics_of(at)["News spike days"] == "1"
    assert f"News spike: {fmt.day(spike[0][0])} ({spike[0][1]} articles)" in texts(at)


def test_a_news_spike_is_a_sentiment_alert_with_every_platform_selected(news_app, news_oracle):
    at = news_app(page("sentiment"))
    alerts = frame(at, "sentiment_alerts")
    spikes = alerts[alerts.Alert == "News spike"]
    assert len(spikes) == 1 and spikes.Platform.tolist() == ["News"]
    daily = frame(at, "sentiment_daily")
    assert "News spike" in daily.set_index(daily.Day.dt.date).Alert[spikes.Day.iloc[0]]
