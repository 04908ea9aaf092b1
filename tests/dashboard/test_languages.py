"""Languages and screening: the sidebar's language filter, and how many mentions were not scored
(a language VADER does not read) or excluded (copy-paste clusters, bot accounts), on the
screened world (tests/dashboard/conftest.py: SCREENED) and on a warehouse built before them."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from dashboard import data
from dashboard import format as fmt
from tests.dashboard.conftest import UNSCREENED, frame, metrics_of, open_app, page, texts

pytestmark = pytest.mark.slow  # needs the published world


def test_every_language_reads_the_marts_and_a_chosen_set_adds_up_to_them(screened_world, screened_oracle):
    """The mart path (no filter) and the fct_mentions path (languages chosen) count alike: choosing
    every language by hand gives the share-of-voice mart's own figures."""
    snap = data.snapshot(screened_world.home)
    catalog = data.catalog(snap)
    assert {"en", "es"} <= set(catalog.languages)
    assert "und" not in catalog.languages[:-1]  # undetermined last, if at all
    period = screened_oracle.default_period()
    platforms = tuple(screened_oracle.platform_names())
    scope = data.Scope(period.start, period.end, platforms, screened_oracle.organisation())
    marts = data.panel_daily(snap, scope)
    by_hand = data.panel_daily(snap, replace(scope, languages=catalog.languages))
    assert len(marts) and marts.not_scored_mentions.sum() and marts.excluded_mentions.sum()
    pd.testing.assert_frame_equal(marts, by_hand[marts.columns], check_dtype=False, atol=1e-6)


def test_overview_says_how_many_mentions_were_not_scored_or_excluded(screened_app, screened_oracle):
    at = screened_app(page("overview"))
    oracle = screened_oracle
    mine = oracle.brand_mentions(oracle.default_period(), oracle.organisation())
    assert mine["not_scored"] and mine["excluded"]
    assert metrics_of(at)["Mentions"] == fmt.count(mine["mentions"])
    assert metrics_of(at)["Net sentiment"] == fmt.signed(mine["net_sentiment"])
    shown = texts(at)
    assert (f"Not scored for sentiment: **{fmt.count(mine['not_scored'])}** of {fmt.count(mine['mentions'])} "
            f"mentions ({fmt.percent(mine['not_scored'] / mine['mentions'])})") in shown
    excluded_share = mine["excluded"] / (mine["mentions"] + mine["excluded"])
    assert (f"Excluded: **{fmt.count(mine['excluded'])}** more ({fmt.percent(excluded_share)} of all "
            "found)") in shown


def test_sentiment_page_shows_the_mentions_it_did_not_score(screened_app, screened_oracle):
    at = screened_app(page("sentiment"))
    oracle, period, brand = screened_oracle, screened_oracle.default_period(), screened_oracle.organisation()
    mine = oracle.brand_mentions(period, brand)
    daily = frame(at, "sentiment_daily")
    assert int(daily["Not scored"].sum()) == mine["not_scored"]
    assert int(daily[["Positive", "Neutral", "Negative", "Not scored"]].sum().sum()) == mine["mentions"]
    assert f"**{fmt.count(mine['not_scored'])}** of {fmt.count(mine['mentions'])} mentions" in texts(at)


@pytest.mark.parametrize("languages, names", [(["es"], "Spanish"), (["en"], "English")])
def test_the_language_filter_narrows_the_mention_pages(screened_app, screened_oracle, languages, names):
    oracle, period, brand = screened_oracle, screened_oracle.default_period(), screened_oracle.organisation()
    mine = oracle.brand_mentions(period, brand, languages=languages)
    at = screened_app(page("overview"), languages=languages)
    assert metrics_of(at)["Mentions"] == fmt.count(mine["mentions"])
    assert metrics_of(at)["Net sentiment"] == fmt.signed(mine["net_sentiment"])  # '–' for Spanish
    assert metrics_of(at)["Share of voice (mentions)"] == fmt.percent(
        oracle.shares(period, languages=languages).get(brand))
    assert f"languages: {names}" in texts(at)
    at.switch_page(page("share_of_voice").script).run()
    shares = oracle.shares(period, "engagements", languages=languages)
    at.radio(key="basis").set_value("engagement").run()
    for brand_id, name in oracle.panel():
        assert metrics_of(at)[name] == fmt.percent(shares.get(brand_id, 0.0))
    at.switch_page(page("engagement").script).run()
    assert "the language filter does not apply to this page" in texts(at)


def test_no_language_chosen_asks_for_one(screened_app):
    at = screened_app(page("sentiment"), languages=[])
    assert "Select at least one language" in texts(at)
    assert not at.metric


def test_a_warehouse_built_before_language_detection_offers_no_filter_and_says_so(editable):
    editable.publish("run-unscreened", *UNSCREENED)
    at = open_app(page("overview"))
    assert not [m for m in at.multiselect if m.key == "languages"]
    assert "came after this warehouse was built" in texts(at)
    oracle = editable.oracle
    mine = oracle.brand_mentions(oracle.default_period(), oracle.organisation())
    assert metrics_of(at)["Mentions"] == fmt.count(mine["mentions"])
    at.switch_page(page("sentiment").script).run()
    assert not at.exception and "Not scored" not in frame(at, "sentiment_daily").columns
