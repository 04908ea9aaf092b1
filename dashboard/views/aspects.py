"""What patients talk about: the patient-experience aspects found in mentions and reviews of the
brand in focus (the HCAHPS survey's domains, and those beyond it: billing, scheduling, parking...),
ranked by how often they come up (positive, negative and neutral) and by how they moved against
the days before the period (28 by default: net sentiment, negative mentions), with the days the aspect mart
flagged a spike of negative mentions; and for one aspect, a handful of the redacted sentences it
was found in, negative ones first. All sources (social and reviews) or one site's reviews."""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, metrics, shell
from dashboard import format as fmt
from dashboard.shell import Context

DOMAINS = {"hcahps": "HCAHPS", "extra": "Beyond HCAHPS"}
POLARITY = {"Positive": "#2ca02c", "Neutral": "#bbbbbb", "Negative": "#d62728"}
SPIKE = "▲"
NET = st.column_config.NumberColumn("Net sentiment", format="%+.2f")
EXAMPLES = 8
RANKINGS = {"net": "Net sentiment change", "negative": "Negative mentions per day, change"}


def _location(ctx: Context) -> str:
    """All sources, or one of the brand's sites (its reviews only)."""
    sites = data.aspect_locations(ctx.snap, ctx.scope)
    names = {}
    if sites and not data.missing_marts(ctx.snap, ("dim_locations",)):
        located = data.review_locations(ctx.snap, ctx.scope)
        names = dict(zip(located.location_id, located.location_name, strict=True))
    labels = {data.ALL_LOCATIONS: "All sources (social and reviews)",
              **{site: f"{names.get(site, site)} (reviews)" for site in sites}}
    return st.selectbox("Where", list(labels), format_func=labels.get,
                        key=f"aspect_location_{ctx.scope.brand_id}",
                        help="Social mentions have no location: they count under all sources only.")


def _headline(ctx: Context, ranked: pd.DataFrame) -> None:
    positive, negative = ranked.positive_mentions.sum(), ranked.negative_mentions.sum()
    top = ranked[ranked.mentions > 0].head(1)
    cols = st.columns([1.1, 1.4, 2.2, 1.2])  # the most discussed aspect's name needs the room
    shell.metric(cols[0], "Aspect mentions", fmt.count(ranked.mentions.sum()),
                 help="Mentions and reviews naming an aspect, once per aspect they name.")
    shell.metric(cols[1], "Net sentiment on aspects", fmt.signed(metrics.net_sentiment(positive, negative)),
                 help="(positive - negative) / (positive + negative) aspect mentions, from -1 to +1.")
    shell.metric(cols[2], "Most discussed", top.aspect_name.iloc[0] if len(top) else fmt.MISSING)
    shell.metric(cols[3], "Aspects with a spike", fmt.count((ranked.spike_days > 0).sum()),
                 help="Aspects with a day of far more negative mentions than the days before it.")


def _domain(frame: pd.DataFrame) -> pd.Series:
    return frame.domain.map(lambda d: DOMAINS.get(d, d))


def _volume(ctx: Context, ranked: pd.DataFrame) -> None:
    mentioned = ranked[ranked.mentions > 0]
    shown = pd.DataFrame({
        "Aspect": mentioned.aspect_name, "Domain": _domain(mentioned), "Mentions": mentioned.mentions,
        "Positive": mentioned.positive_mentions, "Neutral": mentioned.neutral_mentions,
        "Negative": mentioned.negative_mentions, "Net sentiment": mentioned.net_sentiment.astype(float),
        "Spike days": mentioned.spike_days, "HCAHPS measure": mentioned.hcahps_measure_id})
    order = shown.Aspect.tolist()
    bars = alt.Chart(shown).transform_fold(list(POLARITY), as_=["Polarity", "Count"]).mark_bar().encode(
        y=alt.Y("Aspect:N", sort=order, title=None, axis=alt.Axis(labelLimit=260, labelOverlap=False)),
        x=alt.X("Count:Q", stack=True, title="Mentions"),
        color=alt.Color("Polarity:N", scale=alt.Scale(domain=list(POLARITY), range=list(POLARITY.values())),
                        legend=alt.Legend(orient="top", title=None)),
        tooltip=["Aspect:N", "Domain:N", "Polarity:N", "Count:Q",
                 alt.Tooltip("Net sentiment:Q", format="+.2f")])
    figure = bars.properties(height=alt.Step(22)).facet(
        row=alt.Row("Domain:N", title=None, sort=list(DOMAINS.values()),
                    header=alt.Header(labelAngle=0, labelAlign="left", labelFontWeight="bold"))
    ).resolve_scale(y="independent")
    shell.chart(figure, shown, ctx, "aspects_by_volume", shell.formats(["Mentions"], [], NET))
    quiet = ranked[ranked.mentions == 0]
    if len(quiet):
        st.caption("Not mentioned in this period: " + ", ".join(fmt.text(n) for n in quiet.aspect_name) + ".")


def _change(ctx: Context, view: data.AspectView, ranked: pd.DataFrame) -> None:
    compared = ranked[(ranked.mentions > 0) | (ranked.baseline_mentions > 0)]
    days = view.baseline_days
    if not ranked.data_days.max():
        st.caption(f"No change shown: no aspect data in the {days} days before this period.")
        return
    rank_by = st.radio("Rank by", list(RANKINGS), format_func=RANKINGS.get, horizontal=True,
                       key="aspect_rank_by")
    column = "net_sentiment_change" if rank_by == "net" else "negative_change"
    # the sharpest fall of net sentiment, or the sharpest rise of negative mentions, first
    ordered = compared.assign(_key=compared[column].astype(float)).sort_values(
        "_key", ascending=rank_by == "net", na_position="last", kind="stable")
    shown = pd.DataFrame({
        "Aspect": ordered.aspect_name, "Domain": _domain(ordered),
        "Net sentiment": ordered.net_sentiment.astype(float),
        "Net, before": ordered.baseline_net_sentiment.astype(float),
        "Net change": ordered.net_sentiment_change.astype(float),
        "Negative / day": ordered.negative_per_day.astype(float),
        "Negative / day, before": ordered.baseline_negative_per_day.astype(float),
        "Negative change": ordered.negative_change.astype(float),
        "Spike": ordered.spike_days.map(lambda n: f"{SPIKE} {n} day(s)" if n else "")})
    shell.table(shown, ctx, "aspects_by_change", shell.formats(
        [], [], st.column_config.NumberColumn("Net sentiment", format="%+.2f", width="small"),
        st.column_config.NumberColumn("Negative change", format="percent", width="small",
                                      help="Negative mentions per day against the days before."),
        st.column_config.NumberColumn("Net, before", format="%+.2f", width="small",
                                      help=f"Net sentiment over the {days} days before the period."),
        st.column_config.NumberColumn("Net change", format="%+.2f", width="small",
                                      help="Net sentiment now minus before, in points of the -1..+1 scale."),
        st.column_config.NumberColumn("Negative / day", format="%.2f", width="small"),
        st.column_config.NumberColumn("Negative / day, before", format="%.2f", width="small",
                                      help=f"Daily mean over the {days} days before the period."),
        st.column_config.TextColumn("Spike", width="small")))
    covered = int(ranked.data_days.max())
    start = view.scope.start
    note = (f" (aspect data covers only the last {covered} of them)" if covered < days else "")
    st.caption(f"Against the {days} days before the period, "
               f"{fmt.period(start - timedelta(days=days), start - timedelta(days=1))}{note}; "
               f"negative mentions per day count days without any as zero. {SPIKE} marks an aspect "
               "with a spike of negative mentions on a day of the period.")


def _daily(ctx: Context, view: data.AspectView, aspect: str, name: str) -> None:
    daily = data.aspect_daily(ctx.snap, view, aspect)
    days = pd.date_range(ctx.scope.start, ctx.scope.end, freq="D")
    rows = daily.assign(Day=pd.to_datetime(daily.activity_date)).set_index("Day").reindex(days)
    shown = pd.DataFrame({
        "Day": days, "Positive": rows.positive_mentions.fillna(0).astype(int).values,
        "Neutral": rows.neutral_mentions.fillna(0).astype(int).values,
        "Negative": rows.negative_mentions.fillna(0).astype(int).values,
        "Negative / day, days before": rows.baseline_negative_mean.astype(float).values,
        "Spike": rows.is_spike.eq(True).values})
    base = alt.Chart(shown).encode(x=alt.X("yearmonthdate(Day):O", title=None,
                                           axis=alt.Axis(format="%a %d %b", labelAngle=0)))
    bars = base.transform_fold(list(POLARITY), as_=["Polarity", "Count"]).mark_bar().encode(
        y=alt.Y("Count:Q", stack=True, title=f"Mentions of {name}"),
        color=alt.Color("Polarity:N", scale=alt.Scale(domain=list(POLARITY), range=list(POLARITY.values())),
                        legend=alt.Legend(orient="top", title=None)),
        tooltip=["Day:T", "Polarity:N", "Count:Q"])
    baseline = base.mark_tick(color="#555555", thickness=2).encode(
        y="Negative / day, days before:Q", tooltip=["Day:T", "Negative / day, days before:Q"])
    spikes = base.transform_filter(alt.datum.Spike).mark_point(
        shape="triangle-up", size=220, filled=True, color="#d62728", opacity=1).encode(
        y="Negative:Q", tooltip=["Day:T", "Negative:Q", "Negative / day, days before:Q"])
    shell.chart((bars + baseline + spikes).properties(height=220), shown, ctx, "aspect_daily",
                shell.formats([], [], st.column_config.NumberColumn(
                    "Negative / day, days before", format="%.2f")))
    st.caption(f"{SPIKE} a spike of negative mentions; the grey tick is the daily mean of negative mentions "
               f"in the {view.baseline_days} days before each day (days without a row have no "
               "mention of the aspect).")


def _examples(ctx: Context, view: data.AspectView, aspect: str) -> None:
    found = data.aspect_examples(ctx.snap, view, aspect, EXAMPLES)
    if found.empty:
        st.info("No sentence about this aspect in the period.", icon=":material/info:")
        return
    shown = pd.DataFrame({
        "Date": pd.to_datetime(found.mention_date).dt.date, "Source": found.platform.map(ctx.platform_name),
        "Kind": found.entity_type, "Polarity": found.polarity,
        "Sentence (redacted)": found.sentence_redacted, "Matched phrase": found.matched_phrase,
        "Negated": found.negated.eq(True), "Compound": found.sentence_compound})
    shell.table(shown, ctx, "aspect_examples", shell.formats(
        [], [], st.column_config.TextColumn("Sentence (redacted)", width="large"),
        st.column_config.NumberColumn("Compound", format="%+.2f"),
        st.column_config.CheckboxColumn("Negated", help="The phrase was negated ('not clean').")))
    st.caption(f"Up to {EXAMPLES} different sentences, negative first and newest first, with names, contacts "
               "and identifiers replaced by placeholders; copy-paste copies and bot posts are left out.")


def _focus(ctx: Context, view: data.AspectView, ranked: pd.DataFrame) -> None:
    mentioned = ranked[ranked.mentions > 0]
    names = dict(zip(mentioned.aspect_id, mentioned.aspect_name, strict=True))
    aspect = st.selectbox("Aspect", list(names), format_func=names.get,
                          key=f"aspect_{ctx.scope.brand_id}_{view.location}")
    row = mentioned[mentioned.aspect_id == aspect].iloc[0]
    st.caption(f"**{fmt.text(row.aspect_name)}** ({DOMAINS.get(row.domain, row.domain)}"
               + (f", survey measure {row.hcahps_measure_id}" if not pd.isna(row.hcahps_measure_id) else "")
               + f"): {fmt.text(row.definition)}")
    _daily(ctx, view, aspect, row.aspect_name)
    _examples(ctx, view, aspect)


def _no_aspects(ctx: Context) -> bool:
    """Say why there is nothing to show (an older warehouse, nothing found yet); True then."""
    if not shell.marts_available(ctx, data.ASPECT_MARTS, "patient-experience aspects"):
        return True
    if data.aspect_extent(ctx.snap)[0]:
        return False
    st.info("No patient-experience aspect has been found yet. Aspects are read from the text of mentions "
            "and reviews by the nightly run; they appear after the next one.", icon=":material/info:")
    return True


def render(ctx: Context) -> None:
    st.caption("Mentions and reviews of the brand in focus, whichever platforms the sidebar selects: "
               "the aspect marts count every source.")
    if _no_aspects(ctx):
        return
    view = data.AspectView(ctx.scope, _location(ctx), data.aspect_extent(ctx.snap)[2] or 28)
    ranked = metrics.aspect_changes(data.aspect_period(ctx.snap, view), ctx.scope.days, view.baseline_days)
    ranked = ranked.sort_values(["mentions", "aspect_name"], ascending=[False, True], ignore_index=True)
    _headline(ctx, ranked)
    if not ranked.mentions.sum():
        newest = data.aspect_extent(ctx.snap)[1]
        st.info(f"No aspect of {ctx.brand} was mentioned here in this period; the newest aspect data is "
                f"from {fmt.day(newest)}.", icon=":material/info:")
        return
    st.subheader("Ranked by volume")
    _volume(ctx, ranked)
    st.subheader(f"Ranked by change against the {view.baseline_days} days before")
    _change(ctx, view, ranked)
    st.subheader("What patients say")
    _focus(ctx, view, ranked)


if __name__ == "__main__":
    shell.run_page(render, __file__)
