"""The dashboard's behaviour around the data rather than on it: nothing published yet, a new
publish arriving while it runs, partial platforms, failed gates, platforms without data."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from carepulse import sources
from dashboard import format as fmt
from dashboard.views import PAGES
from tests.dashboard.conftest import frame, metrics_of, news_day, open_app, page, texts
from tests.dashboard.oracle import Period


def test_every_page_explains_that_nothing_is_published_yet(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREPULSE_HOME", str(tmp_path / "empty"))
    for spec in PAGES:
        at = open_app(spec)
        assert at.title[0].value == spec.title
        assert "No published warehouse yet" in texts(at)
        assert not at.metric and not at.dataframe


@pytest.mark.slow
def test_a_new_publish_is_picked_up_without_restarting(editable):
    """Same running app, file swapped underneath by publish: the next rerun shows the new
    figures, the new run's gate, the partial platform, and holds no handle on the file."""
    at = open_app(page("overview"))
    brand, period = editable.oracle.organisation(), editable.oracle.default_period()
    before = metrics_of(at)["Mentions"]
    assert before == fmt.count(editable.oracle.brand_mentions(period, brand)["mentions"])
    duckdb.connect(str(editable.oracle.path)).close()  # read-write open: no reader holds it

    latest = editable.oracle.one("select max(night) from marts.fct_data_health_nightly")
    editable.publish(
        "run-edited",
        "delete from marts.fct_mentions where platform = 'x'",
        "delete from marts.fct_share_of_voice_daily where platform = 'x'",
        "update marts.fct_data_health_nightly set health_status = 'partial', "
        f"partial_reason_kinds = ['rate_limited'] where platform = 'x' and night = '{latest}'")
    at.run()

    after = editable.oracle.brand_mentions(period, brand)["mentions"]
    assert metrics_of(at)["Mentions"] == fmt.count(after) != before
    shown = texts(at)
    assert "run-edited" in shown
    assert "partial platforms: X (partial: rate_limited)" in shown
    at.switch_page(page("share_of_voice").script).run()
    assert "No mentions from X in this period." in texts(at)


@pytest.mark.slow
def test_a_later_failed_gate_is_reported_beside_the_published_data(editable):
    editable.fail_gate("run-failed", "marts__fct_mentions: volume fell below the floor")
    at = open_app(page("overview"))
    warning = " ".join(w.value for w in at.warning)
    assert "run-failed" in warning and "nothing from it is published" in warning
    # executives read what happened and where the details are, not the check's name
    assert "1 data check failed" in warning and "marts__fct_mentions" not in warning
    assert "stop before" not in warning
    assert any("passed every quality check" in s.value for s in at.success)  # the file on screen did


@pytest.mark.slow
def test_a_warehouse_without_gate_records_says_so(editable):
    for record in editable.home.glob("audit/*/publish.json"):
        record.unlink()
    at = open_app(page("overview"))
    assert any("No publish record" in w.value for w in at.warning)
    assert not any("passed every quality check" in s.value for s in at.success)


@pytest.mark.slow
def test_no_platform_selected_asks_for_one(app):
    at = app(page("engagement"), platforms=[])
    assert "Select at least one platform" in texts(at)
    assert not at.metric


@pytest.mark.slow
def test_a_platform_without_posts_in_the_period_is_named(app, oracle):
    """Pick a platform and a single day on which the brand's accounts published nothing there (news
    has no accounts: the page says so apart)."""
    brand = oracle.organisation()
    found = oracle.rows(
        "select d.date_day, p.platform from marts.dim_dates d cross join marts.dim_platforms p "
        "where not d.is_unknown and not p.is_unknown and d.date_day between $start and $end "
        "and p.platform in (select unnest($social)) "
        "and not exists (select 1 from marts.fct_post_engagement_daily e where e.brand_id = $b "
        "  and e.platform = p.platform and e.published_date = d.date_day and e.entity_type = 'post') "
        "and exists (select 1 from marts.fct_post_engagement_daily e where e.brand_id = $b "
        "  and e.platform <> p.platform and e.published_date = d.date_day and e.entity_type = 'post') "
        "order by 1 desc, 2 limit 1", b=brand, social=list(sources.ACCOUNTS),
        **oracle.default_period().params)
    assert found, "the published world should have a day some platform has no owned post on"
    day, platform = found[0]
    others = [p for p in oracle.platform_names() if p != platform]
    at = app(page("engagement"), period=Period(day, day), platforms=[platform, *others])
    name = oracle.platform_names()[platform]
    assert f"No posts from {name} in this period." in texts(at)
    assert name not in set(frame(at, "engagement_by_platform").Platform)


@pytest.mark.slow
def test_a_published_warehouse_without_nights_says_it_is_empty(editable):
    editable.publish("run-empty", "delete from marts.fct_data_health_nightly")
    at = open_app(page("sentiment"))
    assert "holds no nights yet" in texts(at)
    assert not at.metric


def test_a_file_that_is_not_a_warehouse_is_named_not_raised(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "warehouse").mkdir(parents=True)
    duckdb.connect(str(home / "warehouse" / "carepulse.duckdb")).close()  # valid DuckDB, no marts
    monkeypatch.setenv("CAREPULSE_HOME", str(home))
    at = open_app(page("overview"))
    assert "could not be read" in texts(at)


def test_changes_compare_only_platforms_complete_on_every_night_of_both_periods(editable):
    """X failed the night before: the mentions shown cover every platform, the change only the
    platforms extracted completely on both nights, and the page says which were left out."""
    oracle, brand = editable.oracle, editable.oracle.organisation()
    last = oracle.one("select max(night) from marts.fct_data_health_nightly")
    first = last - timedelta(days=1)
    editable.publish("x-failed", "update marts.fct_data_health_nightly set health_status = 'failed' "
                                 f"where platform = 'x' and night = '{first}'")
    at = open_app(page("overview"), period=Period(last, last))
    others = [p for p in oracle.platform_names() if p != "x"]
    shown = oracle.brand_mentions(Period(last, last), brand)
    now, before = (oracle.brand_mentions(Period(d, d), brand, others) for d in (last, first))
    mentions = next(m for m in at.metric if m.label == "Mentions")
    assert mentions.value == fmt.count(shown["mentions"])
    assert mentions.delta == fmt.change(now["mentions"], before["mentions"])
    everything_before = oracle.brand_mentions(Period(first, first), brand)
    assert mentions.delta != fmt.change(shown["mentions"], everything_before["mentions"])
    kept = ", ".join(oracle.platform_names()[p] for p in sorted(others))
    assert f"compare {kept} only: X not extracted completely" in texts(at)


def test_no_change_is_shown_when_no_platform_was_complete_on_both_sides(editable):
    last = editable.oracle.one("select max(night) from marts.fct_data_health_nightly")
    editable.publish("all-partial", "update marts.fct_data_health_nightly set health_status = 'partial' "
                                    f"where night = '{last - timedelta(days=1)}'")
    at = open_app(page("sentiment"), period=Period(last, last))
    assert all(m.delta == "" for m in at.metric)
    assert "No changes shown: no selected platform was extracted completely" in texts(at)


@pytest.mark.slow
def test_config_names_are_shown_as_text_not_markdown(editable):
    """A brand named with markdown in the config: its stars stay stars and its link stays text."""
    name = "**Clinics** [c](javascript:alert(1))"
    editable.publish("run-names", f"update marts.dim_brands set brand_name = '{name}' where is_organisation")
    at = open_app(page("overview"))
    shown = texts(at) + " ".join(h.value for h in at.subheader) + " ".join(metrics_of(at))
    assert fmt.text(name) in shown
    assert "[c](javascript:" not in shown and "**Clinics**" not in shown



# -- reviews and reputation ----------------------------------------------------------------------

REVIEW_MARTS = ("dim_locations", "fct_reviews", "fct_review_replies", "fct_location_rating_daily",
                "fct_hcahps_benchmarks")


@pytest.mark.slow
def test_reviews_page_in_a_warehouse_older_than_the_review_marts_names_each_missing_table(editable):
    editable.publish("run-before-reviews", *(f"drop table if exists marts.{name}" for name in REVIEW_MARTS))
    at = open_app(page("reviews"))
    shown = texts(at)
    assert all(f"marts.{name}" in shown for name in REVIEW_MARTS), shown
    assert "built before reviews were added" in shown and "built before HCAHPS benchmarks" in shown
    assert not at.metric and not at.dataframe


@pytest.mark.slow
def test_reviews_page_without_the_replies_mart_still_shows_hcahps(editable_reviews):
    editable_reviews.publish("run-no-replies", "drop table marts.fct_review_replies")
    at = open_app(page("reviews"))
    warnings = " ".join(w.value for w in at.warning)
    assert "marts.fct_review_replies" in warnings and "marts.fct_reviews`" not in warnings
    assert not at.metric
    assert len(frame(at, "hcahps_summary"))


@pytest.mark.slow
def test_reviews_page_names_the_columns_an_older_build_of_a_mart_lacks(editable_reviews):
    editable_reviews.publish("run-old-replies", "alter table marts.fct_review_replies drop column phi_flags",
                             "alter table marts.fct_review_replies drop column hours_to_reply_max")
    at = open_app(page("reviews"))
    warnings = " ".join(w.value for w in at.warning)
    assert "`marts.fct_review_replies` has no `hours_to_reply_max`, `phi_flags`" in warnings
    assert not at.metric
    assert len(frame(at, "hcahps_summary"))


@pytest.mark.slow
def test_reviews_page_says_when_no_location_has_reviews_configured(editable_reviews):
    editable_reviews.publish("run-no-gbp", "update marts.dim_locations set gbp_location = null",
                             "delete from marts.fct_reviews", "delete from marts.fct_review_replies",
                             "delete from marts.fct_location_rating_daily")
    at = open_app(page("reviews"))
    assert "No Google Business Profile reviews are configured" in texts(at)
    assert not at.metric
    assert len(frame(at, "hcahps_top_box"))


@pytest.mark.slow
def test_reviews_page_says_when_no_hcahps_results_have_landed(editable_reviews):
    editable_reviews.publish("run-no-hcahps", "delete from marts.fct_hcahps_benchmarks")
    at = open_app(page("reviews"))
    assert "No HCAHPS results have landed yet" in texts(at)
    assert metrics_of(at)["Reviews"] != "–"
    assert len(frame(at, "reviews_unanswered_negative"))


@pytest.mark.slow
def test_reviews_of_a_competitor_are_not_read(reviews_app, reviews_oracle):
    competitor = next(b for b, _ in reviews_oracle.panel() if b != reviews_oracle.organisation())
    at = reviews_app(page("reviews"), brand=competitor)
    assert "read only for the organisation's own sites" in texts(at)
    assert not at.metric
    assert len(frame(at, "hcahps_summary"))


@pytest.mark.slow
def test_a_day_without_reviews_still_lists_the_waiting_negative_reviews(editable_reviews):
    oracle = editable_reviews.oracle
    newest = oracle.one("select max(night) from marts.fct_data_health_nightly")
    stars = ", ".join(f"rating_{k} = 0" for k in range(1, 6))
    editable_reviews.publish(
        "run-quiet-day", f"delete from marts.fct_review_replies where review_key in (select review_key "
                         f"from marts.fct_reviews where created_date = '{newest}')",
        f"delete from marts.fct_reviews where created_date = '{newest}'",
        f"update marts.fct_location_rating_daily set reviews = 0, avg_rating = null, {stars} "
        f"where date_day = '{newest}'")
    at = open_app(page("reviews"), period=Period(newest, newest))
    assert "were written in this period" in texts(at)
    shown = metrics_of(at)
    assert (shown["Reviews"], shown["Average rating"], shown["Replied"]) == ("0", "–", "–")
    waiting = frame(at, "reviews_unanswered_negative")
    assert len(waiting) and (waiting.Status == "waiting, written before the period").all()
    assert "No review with stars in this period." in texts(at)



# -- news and the platforms that are not read alike ---------------------------------------------


@pytest.mark.slow
def test_news_page_in_a_warehouse_older_than_the_news_mart_names_it(editable):
    editable.publish("run-before-news", "drop table marts.fct_news_articles")
    at = open_app(page("news"))
    shown = texts(at)
    assert "`marts.fct_news_articles`" in shown and "built before news articles were added" in shown
    assert not at.metric and not at.dataframe
    at.switch_page(page("overview").script).run()  # the overview's news coverage reads other marts
    assert not at.exception and "News articles" in metrics_of(at)


@pytest.mark.slow
def test_news_page_names_the_columns_an_older_build_of_the_mart_lacks(editable):
    editable.publish("run-old-news", "alter table marts.fct_news_articles drop column gdelt_tone")
    at = open_app(page("news"))
    assert "`marts.fct_news_articles` has no `gdelt_tone`" in texts(at)
    assert not at.metric


@pytest.mark.slow
def test_news_page_says_when_no_article_was_read_yet(editable):
    editable.publish("run-no-news", "delete from marts.fct_news_articles")
    at = open_app(page("news"))
    assert "No news articles in the warehouse yet" in texts(at)
    assert not at.metric and not at.dataframe


@pytest.mark.slow
def test_news_page_on_a_day_and_in_a_period_without_articles(news_app, news_oracle):
    oracle, period = news_oracle, news_oracle.default_period()
    days = [period.end - timedelta(days=n) for n in range((period.end - period.start).days + 1)]
    quiet = next(day for day in days if not any(d == day for _, d in oracle.news_counts(period)))
    at = news_app(page("news"))
    news_day(at).set_value(quiet).run()
    assert f"No articles about the chosen brands on {fmt.day(quiet)}" in texts(at)
    assert f"with articles about them: {fmt.day(period.end)}" in texts(at)
    assert len(frame(at, "news_daily"))  # the period's chart stays
    at = news_app(page("news"), period=Period(quiet, quiet))
    assert f"No articles about the panel in this period; the newest is from {fmt.day(period.end)}" in (
        texts(at))
    assert metrics_of(at)["Articles"] == "0" and metrics_of(at)["News share of voice"] == "–"


@pytest.mark.slow
def test_news_page_ignores_the_platform_filter_and_the_overview_follows_it(news_app, news_oracle):
    others = [p for p in news_oracle.platform_names() if p != "news"]
    at = news_app(page("news"), platforms=others)
    assert metrics_of(at) == news_oracle.headline("news", news_oracle.default_period(),
                                                  news_oracle.organisation())
    at = news_app(page("overview"), platforms=others)
    assert "News is not selected in the sidebar." in texts(at) and "News articles" not in metrics_of(at)


@pytest.mark.slow
def test_engagement_says_why_news_and_meta_have_no_posts_of_the_brand(app, oracle):
    at = app(page("engagement"), platforms=["news"])
    shown = texts(at)
    assert "News left out here: articles are written by outlets" in shown
    assert "No posts by" in shown and "No hour-of-week data" in shown and "No posts from News" not in shown
    competitor = next(b for b, _ in oracle.panel() if b != oracle.organisation())
    at = app(page("engagement"), brand=competitor)
    shown = texts(at)
    assert "Facebook and Instagram: only the organisation's own Page and account are read" in shown
    assert "No posts from Facebook" not in shown
