"""Misinformation watch: public posts in the period that make a listed health claim or link to a
low-credibility source, riskiest first, with one column per verification signal. A list for
people to review, not a verdict; the text shown is the redacted text."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, shell
from dashboard import format as fmt
from dashboard.shell import Context

RISKS = ["high", "medium", "low"]


def _headline(items: pd.DataFrame, brand: str) -> None:
    cols = st.columns(4)
    shell.metric(cols[0], "Claims to review", fmt.count(len(items)))
    shell.metric(cols[1], "High risk", fmt.count((items.risk_level == "high").sum()),
                   help="At least 4 red flags and 10k followers or 100 engagements.")
    shell.metric(cols[2], "Fact-checked false", fmt.count((items.fact_check_verdict == "false").sum()))
    shell.metric(cols[3], f"Mentioning {brand}", fmt.count(items.mentions_brand_in_focus.sum()))


def _by_topic(ctx: Context, items: pd.DataFrame) -> None:
    topics = items.assign(topic=items.claim_topics.replace("", "no listed claim").str.split(", ")
                          ).explode("topic")
    shown = topics.groupby(["topic", "risk_level"], as_index=False).size().rename(
        columns={"topic": "Claim topic", "risk_level": "Risk", "size": "Posts"})
    figure = alt.Chart(shown).mark_bar().encode(
        x=alt.X("Posts:Q", stack=True, axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("Claim topic:N", sort="-x", title=None),
        color=alt.Color("Risk:N", scale=alt.Scale(domain=RISKS, range=["#d62728", "#ff7f0e", "#bbbbbb"])),
        tooltip=["Claim topic:N", "Risk:N", "Posts:Q"]
    ).properties(height=40 + 36 * shown["Claim topic"].nunique())
    shell.chart(figure, shown, ctx, "misinformation_by_topic")


def _watch_list(ctx: Context, items: pd.DataFrame) -> None:
    shown = pd.DataFrame({
        "Risk": items.risk_level, "Red flags": items.red_flags,
        "Platform": items.platform.map(ctx.platform_name), "Published (UTC)": items.published_at,
        "Text (redacted)": items.text_redacted, "Claim topics": items.claim_topics,
        "Brands": items.brands, "Low-credibility source": items.low_credibility_domains,
        "Links": items.evidence_link_count, "Verified author": items.author_is_verified,
        "Clinician author": items.author_is_healthcare_professional,
        "Author followers": items.author_followers, "Recycled text": items.is_recycled_text,
        "Cites authoritative source": items.cites_authoritative_source,
        "Manipulative rhetoric": items.uses_manipulative_rhetoric,
        "Fact-check verdict": items.fact_check_verdict,
        "Fact-check reference": items.fact_check_reference, "Engagements": items.engagements})
    shell.table(shown, ctx, "misinformation_watch", shell.formats(
        ["Author followers", "Engagements"], [],
        st.column_config.TextColumn("Text (redacted)", width="large"),
        st.column_config.DatetimeColumn("Published (UTC)", format="YYYY-MM-DD HH:mm")))


def render(ctx: Context) -> None:
    items = data.misinformation(ctx.snap, ctx.scope)
    if items.empty:
        st.info("No health claims to review in this period.", icon=":material/info:")
        return
    shell.note_missing_platforms(ctx, items.platform, "health claims")
    _headline(items, ctx.brand)
    if st.toggle(f"Only posts that mention {ctx.brand}", key="misinformation_brand_only"):
        items = items[items.mentions_brand_in_focus]
    st.subheader("Claims by topic and risk")
    if items.empty:
        st.info(f"No health claims mention {ctx.brand} in this period.", icon=":material/info:")
        return
    _by_topic(ctx, items)
    st.subheader("Watch list")
    st.caption("One column per verification signal (source, evidence, author, date, rhetoric, "
               "fact-checks). Riskiest first.")
    _watch_list(ctx, items)


if __name__ == "__main__":
    shell.run_page(render, __file__)
