"""Community: the public authors with most influence on the conversation about the brand, the
hashtags that trended, and the patient questions and complaints addressed to the brand, with
how fast they were answered and which still wait. Patient text is the redacted text only."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, metrics, shell
from dashboard import format as fmt
from dashboard.shell import Context


def _influencers(ctx: Context) -> None:
    people = data.influencers(ctx.snap, ctx.scope)
    if people.empty:
        st.info(f"No public account with influence mentioned {ctx.brand} in this period.",
                icon=":material/info:")
        return
    shown = pd.DataFrame({
        "Author": people.author_handle, "Platform": people.platform.map(ctx.platform_name),
        "Tier": people.author_tier, "Clinician": people.is_healthcare_professional,
        "Verified": people.is_verified, "Followers": people.followers_count,
        "Influence score": people.influence_score, "Mentions": people.mentions,
        "Engagements": people.engagements, "Positive": people.positive_mentions,
        "Negative": people.negative_mentions})
    shell.table(shown, ctx, "influencers", shell.formats(
        ["Followers", "Engagements"], [],
        st.column_config.ProgressColumn("Influence score", min_value=0, max_value=100, format="%.1f")))


def _questions_headline(summary: metrics.QuestionSummary, open_from_before: int) -> None:
    cols = st.columns(5)
    shell.metric(cols[0], "Questions and complaints", fmt.count(summary.items))
    shell.metric(cols[1], "Still open", fmt.count(summary.open))
    shell.metric(cols[2], "Answered", fmt.percent(summary.answered_share))
    shell.metric(cols[3], "Median response time", fmt.duration(summary.median_response_minutes))
    shell.metric(cols[4], "Open from earlier", fmt.count(open_from_before))


def _questions(ctx: Context) -> None:
    items = data.patient_questions(ctx.snap, ctx.scope)
    if items.empty:
        st.info(f"No patient questions or complaints addressed to {ctx.brand} in this period, "
                "and none still open from before it.", icon=":material/info:")
        return
    earlier = items.asked_before_period
    _questions_headline(metrics.question_summary(items[~earlier]), int(earlier.sum()))
    shown = pd.DataFrame({
        "Status": items.is_answered.map({True: "answered", False: "open"}).where(
            ~earlier, "open, asked before the period"),
        "Kind": items.item_kind, "Platform": items.platform.map(ctx.platform_name),
        "Asked at (UTC)": items.asked_at, "Hours waiting": items.hours_waiting,
        "Response time": items.response_minutes.map(fmt.duration),
        "Text (redacted)": items.text_redacted, "Topics": items.topics, "Sentiment": items.adjusted_label})
    st.caption("Open items first, longest waiting at the top, including those asked before the "
               "period and still open (the headline counts only the period's). Hours waiting run to "
               "the end of the newest extracted night; text is shown with identifiers replaced by "
               "placeholders.")
    shell.table(shown, ctx, "patient_questions", shell.formats(
        ["Hours waiting"], [], st.column_config.TextColumn("Text (redacted)", width="large"),
        st.column_config.DatetimeColumn("Asked at (UTC)", format="YYYY-MM-DD HH:mm")))


def _hashtags(ctx: Context) -> None:
    tags = data.trending_hashtags(ctx.snap, ctx.scope)
    if tags.empty:
        st.caption("No public hashtags in this period.")
        return
    shown = pd.DataFrame({"Hashtag": "#" + tags.hashtag, "Days trending": tags.days_trending,
                          "Posts": tags.posts, "Peak trend score": tags.peak_trend_score,
                          "Tracked": tags.is_tracked, "Platforms": tags.platforms})
    shell.table(shown, ctx, "trending_hashtags", shell.formats(
        ["Posts"], [], st.column_config.NumberColumn("Peak trend score", format="%.1f")))


def render(ctx: Context) -> None:
    st.subheader("Patient questions and complaints")
    _questions(ctx)
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader("Top influencers")
        _influencers(ctx)
    with right:
        st.subheader("Hashtags")
        _hashtags(ctx)


if __name__ == "__main__":
    shell.run_page(render, __file__)
