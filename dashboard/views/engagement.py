"""Engagement: how the posts of the brand in focus performed, by platform and by content type
(ratios of sums, the mean of per-post rates beside them, labelled), and the hour-of-week
heatmap with the sample size in every cell so thinly sampled hours are not over-read."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, metrics, shell
from dashboard import format as fmt
from dashboard.shell import Context

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
ALL_TYPES = "All content types"


def _headline(ctx: Context, posts: pd.DataFrame) -> None:
    totals = metrics.engagement_by(posts.assign(all="all"), "all").iloc[0]
    cols = st.columns(4)
    shell.metric(cols[0], "Posts published", fmt.count(totals.posts))
    shell.metric(cols[1], "Engagements", fmt.count(totals.engagements),
                   help="Each post as of its latest snapshot (engagement keeps accruing).")
    shell.metric(cols[2], "Engagement rate (followers)", fmt.percent(totals.rate_by_followers, 2),
                   help="Sum of engagements / sum of followers at post time (ratio of sums).")
    shell.metric(cols[3], "Mean per-post rate", fmt.percent(totals.mean_rate_by_followers, 2),
                   help="Mean of each post's engagements / followers, shown beside the ratio of sums.")


def _breakdown(ctx: Context, posts: pd.DataFrame, key: str, label: str) -> None:
    rolled = metrics.engagement_by(posts, key)
    names = rolled[key].map(ctx.platform_name) if key == "platform" else rolled[key]
    shown = pd.DataFrame({
        label: names, "Posts": rolled.posts, "Engagements": rolled.engagements,
        "Engagements per post": rolled.engagements_per_post.astype(float),
        "Rate by followers": rolled.rate_by_followers.astype(float),
        "Mean per-post rate": rolled.mean_rate_by_followers.astype(float),
        "Rate by views": rolled.rate_by_views.astype(float)})
    figure = alt.Chart(shown).mark_bar().encode(
        x=alt.X("Engagements:Q"), y=alt.Y(f"{label}:N", sort="-x", title=None),
        tooltip=[f"{label}:N", "Posts:Q", alt.Tooltip("Engagements:Q", format=","),
                 alt.Tooltip("Rate by followers:Q", format=".2%")]).properties(height=40 + 32 * len(shown))
    shell.chart(figure, shown, ctx, f"engagement_by_{key}", shell.formats(
        ["Engagements", "Engagements per post"],
        ["Rate by followers", "Mean per-post rate", "Rate by views"]))


def _heatmap_choice(ctx: Context, cells: pd.DataFrame) -> tuple[str, str | None]:
    left, right = st.columns(2)
    posts = cells.groupby("platform").posts.sum().sort_values(ascending=False, kind="stable")
    platforms = [p for p in posts.index if p in ctx.scope.platforms]  # most posts first
    platform = left.selectbox("Platform", platforms, format_func=ctx.platform_name, key="heatmap_platform")
    types = sorted(cells[cells.platform == platform].content_type.unique())
    chosen = right.selectbox("Content type", [ALL_TYPES, *types], key="heatmap_content_type")
    return platform, None if chosen == ALL_TYPES else chosen


def _heatmap_chart(shown: pd.DataFrame, timezone: str) -> alt.LayerChart:
    """Days x hours, coloured by engagements per post, the sample size written in each cell."""
    base = alt.Chart(shown).encode(
        x=alt.X("Hour:O", scale=alt.Scale(domain=list(range(24))), title=f"Hour of day ({timezone})"),
        y=alt.Y("Day:O", scale=alt.Scale(domain=DAYS), title=None))
    rects = base.mark_rect().encode(
        color=alt.Color("Engagements per post:Q", scale=alt.Scale(scheme="blues")),
        opacity=alt.condition(alt.datum["Low sample"], alt.value(0.4), alt.value(1.0)),
        tooltip=["Day:O", "Hour:O", "Posts (sample size):Q",
                 alt.Tooltip("Engagements per post:Q", format=",.0f"), "Low sample:N", "Rank:Q"])
    labels = base.mark_text(fontSize=10).encode(
        text=alt.Text("Posts (sample size):Q"),
        color=alt.condition(alt.datum["Low sample"], alt.value("#888888"), alt.value("#000000")))
    return (rects + labels).properties(height=300)


def _heatmap(ctx: Context, cells: pd.DataFrame) -> None:
    platform, content_type = _heatmap_choice(ctx, cells)
    grid = metrics.hour_of_week_grid(cells, platform, content_type)
    shown = pd.DataFrame({
        "Day": grid.iso_day_of_week.map(lambda d: DAYS[int(d) - 1]), "Hour": grid.hour_of_day.astype(int),
        "Posts (sample size)": grid.posts, "Engagements": grid.engagements,
        "Engagements per post": grid.engagements_per_post.astype(float),
        "Rate by followers": grid.engagement_rate_by_followers.astype(float),
        "Low sample": grid.is_low_sample, "Rank": grid.rank_in_content_type})
    shell.chart(_heatmap_chart(shown, cells.analysis_timezone.iloc[0]), shown, ctx, "best_time_to_post",
                shell.formats(["Engagements", "Engagements per post"], ["Rate by followers"]))
    st.caption(f"Numbers in the cells are sample sizes (posts). Faded cells have fewer than "
               f"{int(cells.best_time_min_posts.max())} posts and are not ranked. All posts the "
               "brand's accounts published so far (the best-time mart has no period), replies left out.")


def render(ctx: Context) -> None:
    posts = data.post_engagement(ctx.snap, ctx.scope)
    st.caption(f"Posts by {ctx.brand}'s own accounts published in the period (replies left out).")
    explained = shell.note_no_owned_posts(ctx)
    if posts.empty:
        st.info(f"No posts by {ctx.brand}'s accounts in this period.", icon=":material/info:")
    else:
        shell.note_missing_platforms(ctx, posts.platform, "posts", explained)
        _headline(ctx, posts)
        by_platform, by_type = st.columns(2, gap="large")
        with by_platform:
            st.subheader("By platform")
            _breakdown(ctx, posts, "platform", "Platform")
        with by_type:
            st.subheader("By content type")
            _breakdown(ctx, posts, "content_type", "Content type")
    st.subheader("Best time to post (hour of week)")
    cells = data.best_time(ctx.snap, ctx.scope)
    if cells.empty:
        st.info("No hour-of-week data for this brand on the selected platforms yet.", icon=":material/info:")
        return
    _heatmap(ctx, cells)


if __name__ == "__main__":
    shell.run_page(render, __file__)
