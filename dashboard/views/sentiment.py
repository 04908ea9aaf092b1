"""Sentiment: the brand's daily net sentiment with the days the alert mart flagged (a drop, a
rise or a spike of negative mentions against the trailing baseline, or a spike of news
articles), the mention mix behind it, and how the competitors compare over the same period."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, metrics, shell
from dashboard import format as fmt
from dashboard.shell import ALERT_LABELS, Context

NET_SENTIMENT = st.column_config.NumberColumn("Net sentiment", format="%+.2f")


def _headline(ctx: Context, panel: pd.DataFrame, alerts: pd.DataFrame) -> None:
    now = metrics.brand_totals(panel, ctx.scope.brand_id)
    same, before = (metrics.brand_totals(p, ctx.scope.brand_id) for p in shell.comparison_panels(ctx))
    cols = st.columns(4)
    shell.metric(cols[0], "Net sentiment", fmt.signed(now.net_sentiment),
                 fmt.point_change(same.net_sentiment, before.net_sentiment, scale=1, unit="", digits=2))
    shell.metric(cols[1], "Positive mentions", fmt.count(now.positive),
                 fmt.change(same.positive, before.positive))
    shell.metric(cols[2], "Negative mentions", fmt.count(now.negative),
                 fmt.change(same.negative, before.negative), delta_color="inverse")
    shell.metric(cols[3], "Alert days", fmt.count(alerts.date_day.nunique()),
                 help="Days the sentiment-alert mart flagged for this brand (every language).")
    shell.comparison_note(ctx)
    shell.screening_note(ctx, panel)


def _net_sentiment_chart(base: alt.Chart) -> alt.LayerChart:
    """The daily net sentiment line with a red marker on every alert day."""
    line = base.mark_line(point=True).encode(
        y=alt.Y("Net sentiment:Q", scale=alt.Scale(domain=[-1, 1]), axis=alt.Axis(format="+.1f")),
        tooltip=["Day:T", alt.Tooltip("Net sentiment:Q", format="+.2f"), "Positive:Q", "Negative:Q"])
    markers = base.transform_filter(alt.datum.Alert != "").mark_point(
        size=220, shape="triangle-down", filled=True, color="#d62728", opacity=1).encode(
        y="Net sentiment:Q", tooltip=["Day:T", "Alert:N", alt.Tooltip("Net sentiment:Q", format="+.2f")])
    return (line + markers).properties(height=260)


def _label_mix_chart(base: alt.Chart, labels: list[str]) -> alt.Chart:
    """Positive, neutral and negative mentions per day (and those not scored), stacked."""
    colours = {"Positive": "#2ca02c", "Neutral": "#bbbbbb", "Negative": "#d62728", "Not scored": "#9ecae1"}
    return base.transform_fold(labels, as_=["Label", "Mentions"]).mark_bar().encode(
        y=alt.Y("Mentions:Q", stack=True),
        color=alt.Color("Label:N", scale=alt.Scale(domain=labels, range=[colours[k] for k in labels]),
                        legend=alt.Legend(orient="top", title=None)),  # keeps the days under the line's
        tooltip=["Day:T", "Label:N", "Mentions:Q"]).properties(height=220)


def _trend(ctx: Context, panel: pd.DataFrame, alerts: pd.DataFrame) -> None:
    daily = metrics.daily_sentiment(panel, ctx.scope.brand_id)
    kinds = alerts.groupby("date_day").alert_kind.agg(
        lambda k: ", ".join(sorted({ALERT_LABELS.get(x, x) for x in k})))
    shown = pd.DataFrame({
        "Day": daily.date_day, "Net sentiment": daily.net_sentiment.astype(float),
        "Positive": daily.positive_mentions, "Neutral": daily.neutral_mentions,
        "Negative": daily.negative_mentions, "Alert": [kinds.get(d, "") for d in daily.date_day]})
    labels = ["Positive", "Neutral", "Negative"]
    if daily.not_scored_mentions.notna().any():  # a build with language detection
        shown.insert(4, "Not scored", daily.not_scored_mentions.astype(int))
        labels.append("Not scored")
    # one band per day on both charts, so the alert markers sit above their day's bar
    day = alt.X("yearmonthdate(Day):O", title=None, axis=alt.Axis(format="%a %d %b", labelAngle=0))
    base = alt.Chart(shown).encode(x=day)
    st.altair_chart(_net_sentiment_chart(base), width="stretch")
    shell.chart(_label_mix_chart(base, labels), shown, ctx, "sentiment_daily",
                shell.formats([], [], NET_SENTIMENT))


def _alerts(ctx: Context, alerts: pd.DataFrame) -> None:
    if alerts.empty:
        st.caption("No sentiment alerts for this brand in the period.")
        return
    shown = pd.DataFrame({
        "Day": alerts.date_day.dt.date, "Platform": alerts.platform.map(
            lambda p: "All platforms" if p == "all" else ctx.platform_name(p)),
        "Alert": alerts.alert_kind.map(lambda k: ALERT_LABELS.get(k, k)), "Mentions": alerts.mentions,
        "Net sentiment": alerts.net_sentiment, "Baseline net sentiment": alerts.baseline_net_sentiment,
        "Net sentiment z": alerts.net_sentiment_z, "Negative mentions": alerts.negative_mentions,
        "Negative volume z": alerts.negative_volume_z})
    shell.table(shown, ctx, "sentiment_alerts", shell.formats(
        ["Mentions"], [], NET_SENTIMENT,
        st.column_config.NumberColumn("Baseline net sentiment", format="%+.2f"),
        st.column_config.NumberColumn("Net sentiment z", format="%+.1f"),
        st.column_config.NumberColumn("Negative volume z", format="%+.1f")))


def _competitors(ctx: Context, panel: pd.DataFrame) -> None:
    rows = [(ctx.brand_name(b), metrics.brand_totals(panel, b)) for b in ctx.catalog.brands.brand_id]
    shown = pd.DataFrame({"Brand": [name for name, _ in rows],
                          "Mentions": [t.mentions for _, t in rows],
                          "Positive": [t.positive for _, t in rows],
                          "Negative": [t.negative for _, t in rows],
                          "Net sentiment": [t.net_sentiment for _, t in rows]})
    shell.table(shown, ctx, "sentiment_by_brand", shell.formats(["Mentions"], [], NET_SENTIMENT))


def render(ctx: Context) -> None:
    panel = data.panel_daily(ctx.snap, ctx.scope)
    if panel.empty:
        st.info("No mentions of the competitor panel in this period.", icon=":material/info:")
        return
    shell.note_missing_platforms(ctx, data.platform_mentions(ctx.snap, ctx.scope).platform, "mentions")
    alerts = data.sentiment_alerts(ctx.snap, ctx.scope)
    _headline(ctx, panel, alerts)
    st.subheader("Net sentiment per day, alerts marked ▼")
    _trend(ctx, panel, alerts)
    st.subheader("Alerts")
    _alerts(ctx, alerts)
    st.subheader("Net sentiment across the panel")
    _competitors(ctx, panel)


if __name__ == "__main__":
    shell.run_page(render, __file__)
