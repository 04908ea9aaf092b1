"""Campaigns: every configured campaign running in the period, with reach, engagements, spend,
cost per engagement and mention lift against the same-length period before its start."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, metrics, shell
from dashboard import format as fmt
from dashboard.shell import Context


def _headline(table: pd.DataFrame) -> None:
    cols = st.columns(4)
    shell.metric(cols[0], "Campaigns running", fmt.count(len(table)))
    currencies = sorted(table.currency.unique())
    spend = fmt.money(table.spend.sum(), currencies[0], 0) if len(currencies) == 1 else "mixed currencies"
    shell.metric(cols[1], "Spend in period", spend, help="Budget / window days, per day in the period.")
    shell.metric(cols[2], "Campaign engagements", fmt.count(table.engagements.sum()))
    shell.metric(cols[3], "User-generated posts", fmt.count(table.user_generated_mentions.sum()))


def _table(ctx: Context, table: pd.DataFrame) -> None:
    shown = pd.DataFrame({
        "Campaign": table.campaign_name, "Brand": table.brand_name,
        "Window": [f"{fmt.day(s.date())} – {fmt.day(e.date())}" for s, e in
                   zip(table.start_date, table.end_date, strict=True)],
        "Days in period": table.days, "Owned posts": table.owned_posts, "Brand mentions": table.mentions,
        "User-generated posts": table.user_generated_mentions, "Reach": table.reach,
        "Engagements": table.engagements, "Engagement rate": table.engagement_rate.astype(float),
        "Spend": table.spend, "Currency": table.currency,
        "Cost per engagement": table.cost_per_engagement.astype(float),
        "Mention lift to date": table.mention_lift.astype(float)})
    shell.table(shown, ctx, "campaigns", shell.formats(
        ["Reach", "Engagements", "Brand mentions"], ["Engagement rate"],
        st.column_config.NumberColumn("Spend", format="%,.2f"),
        st.column_config.NumberColumn("Cost per engagement", format="%,.4f"),
        st.column_config.NumberColumn(
            "Mention lift to date", format="percent",
            help="Brand mentions from the start to the last day in the period, against the same "
                 "number of days before the start. Empty when there is no data before the start.")))


def _daily(ctx: Context, daily: pd.DataFrame) -> None:
    shown = pd.DataFrame({"Day": daily.date_day, "Campaign": daily.campaign_name,
                          "Engagements": daily.engagements, "Reach": daily.reach,
                          "Owned posts": daily.owned_posts,
                          "User-generated posts": daily.user_generated_mentions})
    figure = alt.Chart(shown).mark_line(point=True).encode(
        x=alt.X("Day:T", title=None), y=alt.Y("Engagements:Q"), color="Campaign:N",
        tooltip=["Day:T", "Campaign:N", alt.Tooltip("Engagements:Q", format=","),
                 alt.Tooltip("Reach:Q", format=","), "Owned posts:Q", "User-generated posts:Q"]
    ).properties(height=300)
    shell.chart(figure, shown, ctx, "campaigns_daily", shell.formats(["Engagements", "Reach"]))


def render(ctx: Context) -> None:
    daily = data.campaign_daily(ctx.snap, ctx.scope)
    if daily.empty:
        st.info("No campaign window overlaps this period.", icon=":material/info:")
        return
    table = metrics.campaign_table(daily)
    _headline(table)
    st.subheader("Campaign results in the period")
    _table(ctx, table)
    st.subheader("Engagements of campaign posts per day")
    _daily(ctx, daily)


if __name__ == "__main__":
    shell.run_page(render, __file__)
