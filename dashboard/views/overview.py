"""Overview: the brand's headline KPIs against the previous period of the same length (with how
many of its mentions were not scored for language or excluded as copy-paste or bots), its news
coverage (articles, news share of voice, news-spike days), and the data-health panel that says
whether the published night passed every quality check and which platforms came in partial, so
a reader knows how far to trust the figures beside it."""

from __future__ import annotations

from dataclasses import replace

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, metrics, shell
from dashboard import format as fmt
from dashboard.shell import Context


def _kpis(ctx: Context) -> None:
    panel = data.panel_daily(ctx.snap, ctx.scope)
    now = metrics.brand_totals(panel, ctx.scope.brand_id)
    same, before = (metrics.brand_totals(p, ctx.scope.brand_id) for p in shell.comparison_panels(ctx))
    first, second = st.columns(2), st.columns(2)
    shell.metric(first[0], "Mentions", fmt.count(now.mentions), fmt.change(same.mentions, before.mentions))
    shell.metric(first[1], "Engagements on mentions", fmt.count(now.engagements),
                 fmt.change(same.engagements, before.engagements),
                 help="Likes, comments, shares... of the posts that mention the brand.")
    shell.metric(second[0], "Net sentiment", fmt.signed(now.net_sentiment),
                 fmt.point_change(same.net_sentiment, before.net_sentiment, scale=1, unit="", digits=2),
                 help="(positive - negative) / (positive + negative) mentions, from -1 to +1.")
    shell.metric(second[1], "Share of voice (mentions)", fmt.percent(now.mention_sov),
                 fmt.point_change(same.mention_sov, before.mention_sov),
                 help="The brand's mentions / all mentions of the competitor panel.")
    shell.comparison_note(ctx)
    shell.screening_note(ctx, panel)
    shell.note_panel_reach(ctx)


def _spike_days(spikes: pd.DataFrame) -> str:
    if spikes.empty:
        return "No news spike in this period."
    days = ", ".join(f"{fmt.day(pd.Timestamp(r.date_day).date())} ({fmt.count(r.mentions)} articles)"
                     for r in spikes.itertuples())
    return f"News spike{'s' if len(spikes) > 1 else ''}: {days}."


def _news(ctx: Context) -> None:
    """Articles about the brand against the previous period, its share of the panel's articles,
    and the days the alert mart flagged a news spike."""
    if not set(data.NEWS_PLATFORMS) & set(ctx.catalog.platforms.platform):
        return  # a warehouse built before news was read
    st.subheader("News coverage")
    news = shell.selected(ctx, data.NEWS_PLATFORMS)
    if not news:
        st.caption("News is not selected in the sidebar.")
        return
    scope, brand = replace(ctx.scope, platforms=news, all_platforms=False), ctx.scope.brand_id
    now = metrics.brand_totals(data.panel_daily(ctx.snap, scope), brand)
    same, before = (metrics.brand_totals(p, brand) for p in shell.comparison_panels(ctx, scope))
    alerts = data.sentiment_alerts(ctx.snap, scope)
    spikes = alerts[alerts.alert_kind == "news_spike"]
    cols = st.columns(3)
    shell.metric(cols[0], "News articles", fmt.count(now.mentions),
                 fmt.change(same.mentions, before.mentions),
                 help="Articles naming the brand, from the configured feeds and GDELT's search.")
    shell.metric(cols[1], "News share of voice", fmt.percent(now.mention_sov),
                 fmt.point_change(same.mention_sov, before.mention_sov),
                 help="The brand's articles / all articles about the competitor panel.")
    shell.metric(cols[2], "News spike days", fmt.count(spikes.date_day.nunique()),
                 help="Days with far more articles than the weeks before (the sentiment-alert mart).")
    st.caption(f"{_spike_days(spikes)} Every article with its outlet and tone: the News page.")


def _gate(ctx: Context) -> None:
    gate = ctx.gate
    if gate.passed:
        stages = " and ".join(sorted(gate.stages))
        st.success(f"The published data passed every quality check ({stages} stages). "
                   f"Run `{gate.run_id}`, published {fmt.instant(gate.published_at)}.",
                   icon=":material/verified:")
    elif gate.passed is None:
        st.warning("No publish record in the audit folder names this warehouse file, so its "
                   "quality-gate result cannot be shown.", icon=":material/help:")
    else:
        failed = fmt.text(fmt.gate_failures(gate.failures))
        st.error(f"The quality checks did not pass for this file: {failed}. Details for the data "
                 f"team: audit/{gate.run_id}/gate.json.", icon=":material/error:")
    if gate.later_failed_run:
        st.warning(f"A later run (`{gate.later_failed_run}`) did not pass its quality checks, so nothing "
                   f"from it is published: the figures on screen are those published "
                   f"{fmt.instant(gate.published_at)}. "
                   f"{fmt.text(fmt.gate_failures(gate.later_failures))}. Details for the data team: "
                   f"audit/{gate.later_failed_run}/gate.json.", icon=":material/warning:")


def _platform_health(ctx: Context) -> None:
    health = data.data_health(ctx.snap, ctx.scope)
    summary = metrics.health_summary(health, ctx.scope.start, ctx.scope.end)
    night = fmt.day(pd.Timestamp(summary.latest_night).date())
    if summary.not_ok_latest.empty:
        st.success(f"Night of {night}: every platform complete.", icon=":material/check_circle:")
    else:
        partial = ", ".join(f"{ctx.platform_name(r.platform)} ({r.health_status}"
                            + (f": {r.partial_reasons})" if r.partial_reasons else ")")
                            for r in summary.not_ok_latest.itertuples())
        st.warning(f"Night of {night}: partial platforms: {partial}.", icon=":material/warning:")
    if not summary.not_ok_in_period.empty:
        gaps = ", ".join(f"{ctx.platform_name(r.platform)} on {r.nights_not_ok} night(s)"
                         for r in summary.not_ok_in_period.itertuples())
        st.caption(f"In this period, incomplete extraction: {gaps}.")
    latest = health[health.night == summary.latest_night]
    shown = pd.DataFrame({
        "Platform": latest.platform.map(ctx.platform_name), "Status": latest.health_status,
        "Records fetched": latest.records_fetched, "Mentions": latest.mentions,
        "Quarantined": latest.quarantined_records, "Reasons": latest.partial_reasons})
    shell.table(shown, ctx, "data_health", shell.formats(["Records fetched", "Mentions"]))


def _daily_mentions(ctx: Context) -> None:
    panel = data.panel_daily(ctx.snap, ctx.scope)
    daily = metrics.shares(panel, "mention", by_day=True)
    daily = daily[daily.brand_id == ctx.scope.brand_id]
    shown = pd.DataFrame({"Day": daily.date_day, "Mentions": daily.value.astype(int),
                          "Share of voice": daily.share.astype(float)})
    if shown.empty:
        st.info("No mentions of the panel in this period.", icon=":material/info:")
        return
    figure = alt.Chart(shown).mark_bar().encode(
        x=alt.X("yearmonthdate(Day):T", title=None), y=alt.Y("Mentions:Q"),
        tooltip=[alt.Tooltip("Day:T"), alt.Tooltip("Mentions:Q", format=","),
                 alt.Tooltip("Share of voice:Q", format=".1%")]).properties(height=220)
    shell.chart(figure, shown, ctx, "daily_mentions", shell.formats(["Mentions"], ["Share of voice"]))


def render(ctx: Context) -> None:
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader(f"{ctx.brand} at a glance")
        _kpis(ctx)
        _news(ctx)
        st.subheader("Mentions per day")
        _daily_mentions(ctx)
    with right:
        st.subheader("Data health")
        _gate(ctx)
        _platform_health(ctx)


if __name__ == "__main__":
    shell.run_page(render, __file__)
