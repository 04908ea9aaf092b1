"""News: the articles about the competitor panel from the configured feeds and GDELT's search.
Over the period, articles per day and brand with the days the alert mart flagged marked (a news
spike: far more articles than the weeks before); for a chosen day, each article with its outlet,
the credibility of its domain (low-credibility outlets flagged), language, the redacted headline,
GDELT's tone bin beside the healthcare-adjusted VADER score (two measures in two columns, never
combined), how it matched the brand, and its link."""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, metrics, shell
from dashboard import format as fmt
from dashboard.shell import ALERT_LABELS, Context

LOW = "low_credibility"
CREDIBILITY = {LOW: "⚠ low credibility", "authoritative": "authoritative", "fact_checker": "fact-checker",
               "unknown": "not listed"}
MATCHES = {"alias": "brand named in the text", "query": "GDELT full-text search",
           "handle": "account handle", "hashtag": "hashtag"}
GDELT_TONE = st.column_config.NumberColumn(
    "GDELT tone bin", format="%+.0f",
    help="GDELT tone bin: the ToneChart bin GDELT listed the article in, from about -10 (very "
         "negative) to +10 (very positive), judged on the article's full text; empty when GDELT did "
         "not rate it. A separate measure from VADER's, never combined with it.")
VADER_COMPOUND = st.column_config.NumberColumn(
    "VADER compound", format="%+.2f",
    help="VADER's compound score of the redacted headline with the healthcare adjustments, -1 to +1.")


def _by_brand(ctx: Context, scope: data.Scope) -> pd.DataFrame:
    return data.news_by_brand(ctx.snap, scope).set_index("brand_id")


def _share(brands: pd.DataFrame, brand_id: str) -> float | None:
    return metrics.ratio(brands.articles.get(brand_id, 0), brands.articles.sum())


def _headline(ctx: Context, scope: data.Scope, alerts: pd.DataFrame) -> None:
    """The brand in focus: articles and news share of voice against the previous period, outlets,
    low-credibility articles and news-spike days."""
    brand, now = ctx.scope.brand_id, _by_brand(ctx, scope)
    comparison = ctx.compare(scope)
    before = _by_brand(ctx, comparison.before) if comparison else None
    articles = int(now.articles.get(brand, 0))
    cols = st.columns(5)
    shell.metric(cols[0], "Articles", fmt.count(articles),
                 fmt.change(articles, before.articles.get(brand, 0)) if before is not None else None,
                 help=f"Articles naming {ctx.brand} in the period.")
    shell.metric(cols[1], "News share of voice", fmt.percent(_share(now, brand)),
                 fmt.point_change(_share(now, brand), _share(before, brand)) if before is not None else None,
                 help="The brand's articles / all articles about the competitor panel.")
    shell.metric(cols[2], "Outlets", fmt.count(now.outlets.get(brand, 0)))
    shell.metric(cols[3], "Low-credibility articles", fmt.count(now.low_credibility_articles.get(brand, 0)),
                 help="From domains the credibility list marks low-credibility: claims to check.")
    spikes = alerts[(alerts.brand_id == brand) & (alerts.alert_kind == "news_spike")]
    shell.metric(cols[4], "News spike days", fmt.count(spikes.date_day.nunique()),
                 help="Days with far more articles than the weeks before (the sentiment-alert mart).")
    shell.comparison_note(ctx, scope)


def _latest(daily: pd.DataFrame, brands: list[str]) -> date | None:
    """The latest day of the period with articles about one of the brands."""
    theirs = daily[daily.brand_id.isin(brands)]
    return None if theirs.empty else pd.Timestamp(theirs.date_day.max()).date()


def _choices(ctx: Context, daily: pd.DataFrame) -> tuple[list[str], date]:
    """The brands to list and the day, by default the latest day of the period with articles."""
    left, right = st.columns([3, 1])
    panel = list(ctx.catalog.brands.brand_id)
    brands = left.multiselect("Brands", panel, default=panel, format_func=ctx.brand_name, key="news_brands")
    latest = _latest(daily, brands) or ctx.scope.end
    # keyed on the period and that default, so both move the picker to the new latest day
    day = right.date_input("Day", value=latest, min_value=ctx.scope.start, max_value=ctx.scope.end,
                           key=f"news_day_{ctx.scope.start}_{ctx.scope.end}_{latest}", format="YYYY-MM-DD")
    return brands, day


def _alert_labels(alerts: pd.DataFrame) -> pd.Series:
    """One label per brand x day ('News spike', ...), indexed by (brand_id, day)."""
    days = alerts.assign(day=pd.to_datetime(alerts.date_day).dt.date)
    return days.groupby(["brand_id", "day"]).alert_kind.agg(
        lambda kinds: ", ".join(sorted({ALERT_LABELS.get(k, k) for k in kinds})))


def _daily_frame(ctx: Context, daily: pd.DataFrame, alerts: pd.DataFrame, brands: list[str]) -> pd.DataFrame:
    """Every day of the period x chosen brand (0 on days without articles), with its alert."""
    counts = daily.assign(day=pd.to_datetime(daily.date_day).dt.date).set_index(["brand_id", "day"]).articles
    labels = _alert_labels(alerts)
    days = [ctx.scope.start + timedelta(days=n) for n in range(ctx.scope.days)]
    rows = [(day, brand) for brand in brands for day in days]
    return pd.DataFrame({
        "Day": pd.to_datetime([day for day, _ in rows]),
        "Brand": [ctx.brand_name(brand) for _, brand in rows],
        "Articles": [int(counts.get((brand, day), 0)) for day, brand in rows],
        "Alert": [labels.get((brand, day), "") for day, brand in rows]})


def _daily(ctx: Context, daily: pd.DataFrame, alerts: pd.DataFrame, brands: list[str], day: date) -> None:
    shown = _daily_frame(ctx, daily, alerts, brands)
    base = alt.Chart(shown).encode(x=alt.X("yearmonthdate(Day):T", title=None),
                                   color=alt.Color("Brand:N", scale=ctx.brand_scale(),
                                                   legend=alt.Legend(orient="top", title=None)))
    lines = base.mark_line(point=True).encode(
        y=alt.Y("Articles:Q", axis=alt.Axis(tickMinStep=1, format="d")),
        tooltip=["Day:T", "Brand:N", "Articles:Q"])
    markers = base.transform_filter(alt.datum.Alert != "").mark_point(
        size=220, shape="triangle-down", filled=True, opacity=1).encode(  # red, as on the sentiment page
        y="Articles:Q", color=alt.value("#d62728"), tooltip=["Day:T", "Brand:N", "Alert:N", "Articles:Q"])
    chosen = alt.Chart(pd.DataFrame({"Day": [pd.Timestamp(day)]})).mark_rule(
        color="#888888", strokeDash=[4, 4]).encode(x="yearmonthdate(Day):T")
    shell.chart((lines + markers + chosen).properties(height=280), shown, ctx, "news_daily",
                shell.formats(["Articles"]))
    _alert_note(ctx, alerts[alerts.brand_id.isin(brands)])


def _alert_note(ctx: Context, alerts: pd.DataFrame) -> None:
    if alerts.empty:
        st.caption("▼ marks the days the alert mart flagged on the news platform; none in this period.")
        return
    notes = []
    for row in alerts.itertuples():
        baseline = (f" against {row.baseline_news_articles:.1f} a day in the {row.news_spike_baseline_days} "
                    "days before" if not fmt.is_missing(row.baseline_news_articles) else "")
        notes.append(f"{ALERT_LABELS.get(row.alert_kind, row.alert_kind)}: {ctx.brand_name(row.brand_id)} on "
                     f"{fmt.day(pd.Timestamp(row.date_day).date())}, {fmt.count(row.articles)} articles"
                     f"{baseline}")
    st.caption("▼ " + "; ".join(fmt.text(note) for note in notes)
               + ". The dashed line is the day listed below.")


def _low_credibility(articles: pd.DataFrame) -> None:
    low = articles[articles.source_credibility == LOW].drop_duplicates("post_key")
    if low.empty:
        return
    domains = ", ".join(sorted(set(low.source_domain)))
    st.warning(f"{len(low)} of these articles come from low-credibility domains ({fmt.text(domains)}): "
               "read them as claims to check, not as coverage; the Misinformation watch lists them "
               "with their signals.", icon=":material/report:")


def _articles_table(ctx: Context, articles: pd.DataFrame) -> None:
    shown = pd.DataFrame({
        "Brand": articles.brand_id.map(ctx.brand_name), "Published (UTC)": articles.published_at,
        "Headline (redacted)": articles.headline, "Outlet": articles.outlet,
        "Credibility": articles.source_credibility.map(lambda c: CREDIBILITY.get(c, c)),
        "GDELT tone bin": articles.gdelt_tone, "VADER label": articles.adjusted_label,
        "VADER compound": articles.adjusted_compound, "Language": articles.lang,
        "Matched on": articles.matched_on.map(lambda m: MATCHES.get(m, m)), "Link": articles.article_url,
        "Domain": articles.source_domain, "Country": articles.source_country,
        "Undated": articles.undated.eq(True)})
    shell.table(shown, ctx, "news_articles", shell.formats(
        [], [], GDELT_TONE, VADER_COMPOUND,
        st.column_config.DatetimeColumn("Published (UTC)", format="YYYY-MM-DD HH:mm"),
        st.column_config.CheckboxColumn(
            "Undated", help="The feed gave no date: the article is dated by the first night it was seen."),
        st.column_config.TextColumn("Headline (redacted)", width="large"),
        st.column_config.LinkColumn("Link", display_text="open")))


def _day(ctx: Context, brands: list[str], day: date, daily: pd.DataFrame) -> None:
    st.subheader(f"Articles of {fmt.day(day)}")
    articles = data.news_articles(ctx.snap, data.Scope(day, day, data.NEWS_PLATFORMS, ctx.scope.brand_id))
    articles = articles[articles.brand_id.isin(brands)]
    if articles.empty:
        latest = _latest(daily, brands)
        hint = f" The latest day of the period with articles about them: {fmt.day(latest)}." if latest else ""
        st.info(f"No articles about the chosen brands on {fmt.day(day)}.{hint}", icon=":material/info:")
        return
    per_brand = articles.groupby("brand_id", sort=False).size()
    st.caption(f"{fmt.count(articles.post_key.nunique())} article(s): "
               + ", ".join(f"{fmt.text(ctx.brand_name(b))} {n}" for b, n in per_brand.items())
               + " (an article naming two brands is listed under each). Headlines are shown with "
               "identifiers replaced by placeholders; the GDELT tone bin and VADER are separate measures.")
    _low_credibility(articles)
    _articles_table(ctx, articles)


def _no_news(ctx: Context) -> bool:
    """Say why there is nothing to show (an older warehouse, or no article read yet); True then."""
    if not shell.marts_available(ctx, (data.NEWS_MART,), "news articles"):
        return True
    if data.news_extent(ctx.snap)[0]:
        return False
    st.info("No news articles in the warehouse yet. News is read from the feeds under `news:` in the "
            "config and GDELT's article search per brand (`platforms.news`); articles appear after the "
            "next nightly run that reads them.", icon=":material/info:")
    return True


def render(ctx: Context) -> None:
    st.caption("Articles about the competitor panel from the configured feeds and GDELT's search, "
               "whichever platforms the sidebar selects.")
    if _no_news(ctx):
        return
    scope = data.news_scope(ctx.scope)
    daily, alerts = data.news_daily(ctx.snap, scope), data.news_alerts(ctx.snap, scope)
    _headline(ctx, scope, alerts)
    if daily.empty:
        newest = data.news_extent(ctx.snap)[1]
        st.info(f"No articles about the panel in this period; the newest is from {fmt.day(newest)}.",
                icon=":material/info:")
        return
    brands, day = _choices(ctx, daily)
    if not brands:
        st.info("Choose at least one brand above.", icon=":material/info:")
        return
    st.subheader("Articles per day")
    _daily(ctx, daily, alerts, brands, day)
    _day(ctx, brands, day, daily)


if __name__ == "__main__":
    shell.run_page(render, __file__)
