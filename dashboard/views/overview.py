"""Overview: the brand's headline KPIs against the previous period of the same length, and the
data-health panel that says whether the published night passed every quality check and which
platforms came in partial, so a reader knows how far to trust the figures beside it."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, metrics, shell
from dashboard import format as fmt
from dashboard.shell import Context


def _kpis(ctx: Context) -> None:
    now = metrics.brand_totals(data.panel_daily(ctx.snap, ctx.scope), ctx.scope.brand_id)
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
        st.subheader("Mentions per day")
        _daily_mentions(ctx)
    with right:
        st.subheader("Data health")
        _gate(ctx)
        _platform_health(ctx)


if __name__ == "__main__":
    shell.run_page(render, __file__)
