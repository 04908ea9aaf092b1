"""Share of voice: each brand of the locked competitor panel over time, on the basis chosen in the
sidebar (mentions, engagements, reach or sentiment-weighted), shares being ratios of sums over
the selected platforms and days."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, metrics, shell
from dashboard import format as fmt
from dashboard.shell import BASIS_LABELS, Context


def _period_shares(ctx: Context, panel: pd.DataFrame) -> None:
    now = metrics.shares(panel, ctx.basis, by_day=False).set_index("brand_id")
    same, then = (metrics.shares(p, ctx.basis, by_day=False).set_index("brand_id")
                  for p in shell.comparison_panels(ctx))
    columns = st.columns(len(ctx.catalog.brands))
    for column, brand_id in zip(columns, ctx.catalog.brands.brand_id, strict=True):
        share = now.share.get(brand_id)
        shell.metric(column, fmt.text(ctx.brand_name(brand_id)), fmt.percent(share),
                     fmt.point_change(same.share.get(brand_id), then.share.get(brand_id)))
    shell.comparison_note(ctx)


def _over_time(ctx: Context, panel: pd.DataFrame) -> None:
    daily = metrics.shares(panel, ctx.basis, by_day=True)
    label = BASIS_LABELS[ctx.basis]
    shown = pd.DataFrame({"Day": daily.date_day, "Brand": daily.brand_id.map(ctx.brand_name),
                          label: daily.value, "Panel total": daily.panel_total,
                          "Share of voice": daily.share.astype(float)})
    figure = alt.Chart(shown).mark_line(point=True).encode(
        x=alt.X("Day:T", title=None),
        y=alt.Y("Share of voice:Q", axis=alt.Axis(format="%"), title=f"Share of voice ({label.lower()})"),
        color=alt.Color("Brand:N", scale=ctx.brand_scale()),
        tooltip=["Day:T", "Brand:N", alt.Tooltip(f"{label}:Q", format=",.0f"),
                 alt.Tooltip("Share of voice:Q", format=".1%")]).properties(height=360)
    shell.chart(figure, shown, ctx, f"share_of_voice_{ctx.basis}_daily",
                shell.formats([label, "Panel total"], ["Share of voice"]))


def _all_bases(ctx: Context, panel: pd.DataFrame) -> None:
    shown = pd.DataFrame({"Brand": ctx.catalog.brands.brand_name})
    for basis, label in BASIS_LABELS.items():
        shares = metrics.shares(panel, basis, by_day=False).set_index("brand_id").share
        shown[label] = [shares.get(b) for b in ctx.catalog.brands.brand_id]
    shell.table(shown, ctx, "share_of_voice_period", shell.formats([], BASIS_LABELS.values()))


def render(ctx: Context) -> None:
    panel = data.panel_daily(ctx.snap, ctx.scope)
    if panel.empty:
        st.info("No mentions of the competitor panel in this period.", icon=":material/info:")
        return
    shell.note_missing_platforms(ctx, data.platform_mentions(ctx.snap, ctx.scope).platform, "mentions")
    shell.note_panel_reach(ctx)
    st.subheader(f"Share of voice by {BASIS_LABELS[ctx.basis].lower()}, whole period")
    _period_shares(ctx, panel)
    st.subheader("Over time")
    _over_time(ctx, panel)
    st.subheader("Every basis, whole period")
    _all_bases(ctx, panel)


if __name__ == "__main__":
    shell.run_page(render, __file__)
