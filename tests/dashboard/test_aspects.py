"""What patients talk about: the aspects page on the aspects world (tests/dashboard/aspects_world.py),
checked against the aspect occurrences row by row, and its states (marts missing or older, no
aspect found yet, a period or site without any)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from dashboard import format as fmt
from tests.dashboard import aspects_world
from tests.dashboard.conftest import frame, metrics_of, open_app, page, texts
from tests.dashboard.oracle import Period

pytestmark = pytest.mark.slow  # needs the published world

ASPECTS = page("aspects")


def _net(positive: int, negative: int) -> float | None:
    return (positive - negative) / (positive + negative) if positive + negative else None


def test_aspects_ranked_by_volume_are_the_occurrences(aspects_app, aspects_oracle):
    at = aspects_app(ASPECTS)
    oracle, period, brand = aspects_oracle, aspects_oracle.default_period(), aspects_oracle.organisation()
    names = dict(oracle.rows("select aspect_id, aspect_name from marts.dim_aspects"))
    counts = oracle.aspect_counts(period, brand)
    volume = frame(at, "aspects_by_volume")
    assert volume.Mentions.is_monotonic_decreasing
    shown = {row.Aspect: (row.Positive, row.Neutral, row.Negative) for row in volume.itertuples()}
    assert shown == {names[a]: (c["positive"], c["neutral"], c["negative"]) for a, c in counts.items()}
    by_name = volume.set_index("Aspect")
    assert by_name.loc["Communication with nurses", "Domain"] == "HCAHPS"
    assert by_name.loc["Scheduling and waiting", "Domain"] == "Beyond HCAHPS"
    assert by_name.loc["Communication with nurses", "HCAHPS measure"] == "H_COMP_1_A_P"
    billing = counts["insurance_billing"]
    assert by_name.loc["Insurance and billing", "Net sentiment"] == pytest.approx(
        _net(billing["positive"], billing["negative"]))
    assert "Quietness at night" not in shown and "Quietness at night" in texts(at)  # mentioned before only


def test_aspects_ranked_by_change_against_the_28_days_before(aspects_app, aspects_oracle):
    at = aspects_app(ASPECTS)
    oracle, period, brand = aspects_oracle, aspects_oracle.default_period(), aspects_oracle.organisation()
    before = Period(period.start - timedelta(days=28), period.start - timedelta(days=1))
    now, then = oracle.aspect_counts(period, brand), oracle.aspect_counts(before, brand)
    change = frame(at, "aspects_by_change").set_index("Aspect")
    assert change["Net change"].dropna().is_monotonic_increasing  # sharpest fall first
    billing_now, billing_then = now["insurance_billing"], then["insurance_billing"]
    expected = (_net(billing_now["positive"], billing_now["negative"])
                - _net(billing_then["positive"], billing_then["negative"]))
    assert expected < -0.3, "the world turns insurance and billing negative in the last seven days"
    assert change.loc["Insurance and billing", "Net change"] == pytest.approx(expected)
    assert change.loc["Insurance and billing", "Negative change"] == pytest.approx(
        (billing_now["negative"] / 7 - billing_then["negative"] / 28) / (billing_then["negative"] / 28))
    assert pd.isna(change.loc["Quietness at night", "Net sentiment"])  # not mentioned, still compared
    assert change.loc["Scheduling and waiting", "Spike"].startswith("▲ 1 day")
    at.radio(key="aspect_rank_by").set_value("negative").run()
    ranked = frame(at, "aspects_by_change")["Negative change"].dropna()
    assert ranked.is_monotonic_decreasing


def test_one_day_changes_are_the_mart_s_own(aspects_app, aspects_oracle):
    """For a single day the page's change against the 28 days before is the mart's column."""
    oracle, brand = aspects_oracle, aspects_oracle.organisation()
    newest = oracle.default_period().end
    at = aspects_app(ASPECTS, period=Period(newest, newest))
    shown = frame(at, "aspects_by_change").set_index("Aspect")["Net change"]
    mart = oracle.rows("select aspect_name, net_sentiment_change::double "
                       "from marts.fct_aspect_sentiment_daily where brand_id = $b and location_id = 'all' "
                       "and activity_date = $d", b=brand, d=newest)
    assert mart
    for name, value in mart:
        assert (pd.isna(shown[name]) if value is None else shown[name] == pytest.approx(value)), name


def test_a_spiking_aspect_shows_its_spike_and_negative_sentences_first(aspects_app, aspects_oracle):
    at = aspects_app(ASPECTS)
    oracle, newest, brand = aspects_oracle, aspects_oracle.default_period().end, aspects_oracle.organisation()
    choose = next(s for s in at.selectbox if (s.key or "").startswith("aspect_") and s.label == "Aspect")
    choose.set_value("scheduling").run()
    daily = frame(at, "aspect_daily").set_index("Day")
    assert daily.Spike.tolist() == [day.date() == newest for day in daily.index]
    counts = oracle.aspect_counts(Period(newest, newest), brand)["scheduling"]
    assert daily.loc[pd.Timestamp(newest), "Negative"] == counts["negative"]
    examples = frame(at, "aspect_examples")
    assert 0 < len(examples) <= 8 and examples["Sentence (redacted)"].is_unique
    polarity = examples.Polarity.tolist()
    assert polarity == sorted(polarity, key=lambda p: p != "negative")  # negative first
    assert aspects_world.COPY not in set(examples["Sentence (redacted)"])  # a copy-paste cluster
    expected = set(oracle.rows(
        "select sentence_redacted from marts.fct_mention_aspects where brand_id = $b and aspect_id = "
        "'scheduling' and not is_excluded and mention_date between $start and $end",
        b=brand, **oracle.default_period().params))
    assert set(examples["Sentence (redacted)"]) <= {s for (s,) in expected}


def test_one_site_shows_its_reviews_only(aspects_app, aspects_oracle):
    oracle, period, brand = aspects_oracle, aspects_oracle.default_period(), aspects_oracle.organisation()
    site, name = oracle.rows("select location_id, location_name from marts.dim_locations where brand_id = $b "
                             "and gbp_location is not null order by location_id limit 1", b=brand)[0]
    at = aspects_app(ASPECTS)
    where = next(s for s in at.selectbox if s.label == "Where")
    assert where.value == "all" and f"{name} (reviews)" in where.options
    where.set_value(site).run()
    counts = oracle.aspect_counts(period, brand, site)
    volume = frame(at, "aspects_by_volume").set_index("Aspect")
    assert int(volume.Mentions.sum()) == sum(sum(c.values()) for c in counts.values())
    assert metrics_of(at)["Aspect mentions"] == fmt.count(volume.Mentions.sum())
    next(s for s in at.selectbox if s.label == "Aspect").set_value("cleanliness").run()
    examples = frame(at, "aspect_examples")
    assert set(examples.Kind) == {"review"}
    negated = examples[examples["Sentence (redacted)"] == aspects_world.NEGATED]
    assert len(negated) == 1 and negated.Negated.iloc[0] and negated.Polarity.iloc[0] == "negative"


def test_a_competitor_has_no_sites_and_its_own_figures(aspects_app, aspects_oracle):
    oracle, period = aspects_oracle, aspects_oracle.default_period()
    competitor = next(b for b, _ in oracle.panel() if b != oracle.organisation())
    at = aspects_app(ASPECTS, brand=competitor)
    assert next(s for s in at.selectbox if s.label == "Where").options == ["All sources (social and reviews)"]
    expected = oracle.aspect_counts(period, competitor)
    assert metrics_of(at)["Aspect mentions"] == fmt.count(sum(sum(c.values()) for c in expected.values()))


def test_aspects_page_on_the_pipeline_s_own_marts(app, oracle):
    """The shared world as the pipeline builds it: the headline and the volume ranking are the
    occurrences' (fct_mention_aspects row by row), or the page names the marts it lacks."""
    at = app(ASPECTS)
    present = {name for (name,) in oracle.rows(
        "select table_name from information_schema.tables where table_schema = 'marts'")}
    missing = [name for name in ("dim_aspects", "fct_aspect_sentiment_daily", "fct_mention_aspects")
               if name not in present]
    if missing:
        assert all(f"marts.{name}" in texts(at) for name in missing) and not at.metric
        return
    period, brand = oracle.default_period(), oracle.organisation()
    expected = oracle.headline("aspects", period, brand)
    assert {label: metrics_of(at).get(label) for label in expected} == expected
    counts = oracle.aspect_counts(period, brand)
    if counts:
        names = dict(oracle.rows("select aspect_id, aspect_name from marts.dim_aspects"))
        volume = frame(at, "aspects_by_volume")
        assert {r.Aspect: (r.Positive, r.Neutral, r.Negative) for r in volume.itertuples()} == {
            names[a]: (c["positive"], c["neutral"], c["negative"]) for a, c in counts.items()}


# -- states ---------------------------------------------------------------------------------------


def test_a_warehouse_before_the_aspect_marts_names_them(editable):
    marts = ("dim_aspects", "fct_aspect_sentiment_daily", "fct_mention_aspects")
    editable.publish("run-before-aspects", *(f"drop table if exists marts.{name}" for name in marts))
    at = open_app(ASPECTS)
    shown = texts(at)
    assert all(f"marts.{name}" in shown for name in ("dim_aspects", "fct_aspect_sentiment_daily",
                                                      "fct_mention_aspects"))
    assert "built before patient-experience aspects were added" in shown
    assert not at.metric and not at.dataframe


def test_an_older_build_of_the_aspect_marts_is_named(editable_aspects):
    editable_aspects.publish("run-old-aspects", "alter table marts.fct_mention_aspects drop column negated")
    at = open_app(ASPECTS)
    assert "`marts.fct_mention_aspects` has no `negated`" in texts(at)
    assert not at.metric


def test_no_aspect_found_yet_says_so(editable_aspects):
    editable_aspects.publish("run-no-aspects", "delete from marts.fct_aspect_sentiment_daily",
                             "delete from marts.fct_mention_aspects")
    at = open_app(ASPECTS)
    assert "No patient-experience aspect has been found yet" in texts(at)
    assert not at.metric and not at.dataframe


def test_a_period_without_aspects_says_where_the_newest_are(editable_aspects):
    newest = editable_aspects.oracle.default_period().end
    editable_aspects.publish("run-quiet-night", f"delete from marts.fct_aspect_sentiment_daily "
                                                f"where activity_date = '{newest}'",
                             f"delete from marts.fct_mention_aspects where mention_date = '{newest}'")
    at = open_app(ASPECTS, period=Period(newest, newest))
    assert f"the newest aspect data is from {fmt.day(newest - timedelta(days=1))}" in texts(at)
    assert metrics_of(at)["Aspect mentions"] == "0" and not at.dataframe
