"""Reviews & reputation: the Google Business Profile reviews of the brand's own sites (each
site's rating over time, the star mix, how often and how fast reviews are answered against the
7-day target, the negative reviews still waiting for a reply, and the replies the privacy
screen flagged), and the public HCAHPS patient-survey results of the organisation's hospitals
beside the competitors'. Review and reply text is the redacted text only; reviewers appear as
pseudonyms."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, metrics, shell
from dashboard import format as fmt
from dashboard.shell import Context

TARGET_DAYS = metrics.REPLY_TARGET_HOURS // 24
STARS = st.column_config.NumberColumn("Stars", format="%d ★")
RATING_FORMAT = "%.2f ★"
NIGHTLY_BOUNDS = (
    "Reply times are bounded by the nightly reads: a reply is seen on the first read after it was "
    "posted, so each time lies between a minimum (from the last read without the reply, or the "
    "review's creation) and a maximum (the first read with it). The estimate is the reply's own "
    "timestamp, kept within those bounds.")
# short names of the HCAHPS top-box measures, in this order (each composite before its
# questions); a measure not named here shows CMS's question text, after these
MEASURE_LABELS = {
    "H_HSP_RATING_9_10": "Rated the hospital 9 or 10",
    "H_RECMND_DY": "Would definitely recommend",
    "H_COMP_1_A_P": "Nurses always communicated well",
    "H_NURSE_RESPECT_A_P": "· nurses always courteous and respectful",
    "H_NURSE_LISTEN_A_P": "· nurses always listened carefully",
    "H_NURSE_EXPLAIN_A_P": "· nurses always explained clearly",
    "H_COMP_2_A_P": "Doctors always communicated well",
    "H_DOCTOR_RESPECT_A_P": "· doctors always courteous and respectful",
    "H_DOCTOR_LISTEN_A_P": "· doctors always listened carefully",
    "H_DOCTOR_EXPLAIN_A_P": "· doctors always explained clearly",
    "H_COMP_3_A_P": "Always got help as soon as wanted",
    "H_CALL_BUTTON_A_P": "· call button always answered as soon as wanted",
    "H_BATH_HELP_A_P": "· always got bathroom help as soon as wanted",
    "H_COMP_5_A_P": "Staff always explained medicines",
    "H_MED_FOR_A_P": "· always told what a new medicine was for",
    "H_SIDE_EFFECTS_A_P": "· always told about side effects",
    "H_CLEAN_HSP_A_P": "Room and bathroom always clean",
    "H_QUIET_HSP_A_P": "Always quiet at night",
}
SUMMARY_STAR = "H_STAR_RATING"


def _night(label: str) -> dict:
    return st.column_config.DateColumn(label, format="YYYY-MM-DD")


def _instant(label: str) -> dict:
    return st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")


def _rating_column(label: str) -> dict:
    return st.column_config.NumberColumn(label, format=RATING_FORMAT)


def _legend(columns: int | None = None) -> alt.Legend:
    """A legend above the chart whose site names are never cut short."""
    extra = {"columns": columns} if columns else {}
    return alt.Legend(orient="top", title=None, labelLimit=0, **extra)


def _location_scale(names: list[str]) -> alt.Scale:
    """One colour per site, the same on every chart of the page."""
    return alt.Scale(domain=names, range=[shell.PALETTE[i % len(shell.PALETTE)] for i in range(len(names))])


# -- reviews -------------------------------------------------------------------------------------


def _headline(summary: metrics.ReviewSummary) -> None:
    first, second = st.columns(3), st.columns(3)
    cols = [*first, *second]
    shell.metric(cols[0], "Reviews", fmt.count(summary.reviews),
                 help="New Google reviews of the brand's sites written in the period.")
    shell.metric(cols[1], "Average rating", fmt.rating(summary.average_rating),
                 help="Mean stars of the period's reviews (reviews without stars left out).")
    shell.metric(cols[2], "Replied", fmt.percent(summary.replied_share),
                 help="Share of the period's reviews with an owner reply standing now.")
    bounds = fmt.hours_between(summary.median_hours_min, summary.median_hours_max)
    shell.metric(cols[3], "Median time to reply", fmt.hours(summary.median_hours),
                 help=f"An estimate, {bounds} given the nightly reads." if summary.median_hours is not None
                 else "No review of the period was answered yet.")
    shell.metric(cols[4], f"Answered within {TARGET_DAYS} days", fmt.percent(summary.within_target_share),
                 help=f"Share of the period's reviews answered within the {TARGET_DAYS}-day target "
                      "(by the estimated reply time).")
    shell.metric(cols[5], "Negative, unanswered", fmt.count(summary.unanswered_negative),
                 help="1-2 star reviews without a reply, written up to the end of the period.")
    if not (summary.replied or summary.replies_deleted):
        return
    deleted = summary.replies_deleted
    st.caption(
        f"{NIGHTLY_BOUNDS} Median time to reply: {fmt.hours(summary.median_hours)} "
        f"({fmt.hours_between(summary.median_hours_min, summary.median_hours_max)}). "
        f"Answered within {TARGET_DAYS} days: {fmt.percent(summary.within_target_share)} "
        f"(at least {fmt.percent(summary.within_target_certain_share)} by the maximums, at most "
        f"{fmt.percent(summary.within_target_possible_share)} by the minimums)."
        + (f" {fmt.count(deleted)} {'replies were' if deleted != 1 else 'reply was'} deleted since: "
           "counted in reply times and the target, not in the reply rate." if deleted else ""))


def _rating_trend(ctx: Context, daily: pd.DataFrame, scale: alt.Scale) -> None:
    """The 30-day rolling average rating of each site (line) over its new reviews per day (bars)."""
    shown = pd.DataFrame({
        "Day": daily.date_day, "Location": daily.location_name, "New reviews": daily.reviews,
        "Average rating (day)": daily.avg_rating, "30-day average rating": daily.avg_rating_30d,
        "Reviews (30 days)": daily.reviews_30d, "90-day average rating": daily.avg_rating_90d,
        "Reviews (90 days)": daily.reviews_90d, "Reply rate (30 days)": daily.response_rate_30d,
        f"Answered within {TARGET_DAYS} days (30 days)": daily.answered_within_7d_share_30d,
        "Total reviews": daily.total_reviews, "All-time average rating": daily.avg_rating_all})
    day = alt.X("yearmonthdate(Day):T", title=None)
    color = alt.Color("Location:N", scale=scale, legend=_legend(columns=2))
    base = alt.Chart(shown).encode(x=day, color=color)
    line = base.mark_line(point=True).encode(
        y=alt.Y("30-day average rating:Q", scale=alt.Scale(domain=[1, 5]), title="30-day average ★"),
        tooltip=["Day:T", "Location:N", alt.Tooltip("30-day average rating:Q", format=".2f"),
                 "Reviews (30 days):Q"]).properties(height=300)
    bars = base.mark_bar().encode(  # coloured as the line above, whose legend names the sites
        color=alt.Color("Location:N", scale=scale, legend=None),
        y=alt.Y("New reviews:Q", stack=True, axis=alt.Axis(tickMinStep=1, format="d")),
        tooltip=["Day:T", "Location:N", "New reviews:Q",
                 alt.Tooltip("Average rating (day):Q", format=".2f")]).properties(height=170)
    st.altair_chart(line, width="stretch")
    shell.chart(bars, shown, ctx, "review_rating_daily", shell.formats(
        ["Total reviews"], ["Reply rate (30 days)", f"Answered within {TARGET_DAYS} days (30 days)"],
        *(_rating_column(label) for label in ("Average rating (day)", "30-day average rating",
                                              "90-day average rating", "All-time average rating"))))


def _by_location(ctx: Context, daily: pd.DataFrame, locations: pd.DataFrame) -> None:
    per = metrics.rating_by_location(daily)
    cities = dict(zip(locations.location_id, locations.city, strict=True))
    shown = pd.DataFrame({
        "Location": per.location_name, "City": per.location_id.map(cities), "Reviews": per.reviews,
        "Without stars": per.unrated, "Average rating": per.average_rating,
        "30-day average rating": per.avg_rating_30d, "Reviews (30 days)": per.reviews_30d,
        "90-day average rating": per.avg_rating_90d, "All-time average rating": per.avg_rating_all,
        "Total reviews": per.total_reviews})
    st.caption("The period's reviews and their mean stars; rolling and all-time figures as of the "
               "period's last day.")
    shell.table(shown, ctx, "review_locations", shell.formats(
        ["Total reviews"], [], *(_rating_column(label) for label in (
            "Average rating", "30-day average rating", "90-day average rating",
            "All-time average rating"))))


def _star_distribution(ctx: Context, daily: pd.DataFrame, scale: alt.Scale) -> None:
    stars = metrics.star_distribution(daily)
    shown = pd.DataFrame({"Location": stars.location_name, "Stars": stars.stars,
                          "Reviews": stars.reviews})
    unrated = int(daily.reviews.sum()) - int(shown.Reviews.sum())
    if not shown.Reviews.sum():
        st.caption("No review with stars in this period.")
        return
    figure = alt.Chart(shown).mark_bar().encode(
        x=alt.X("Reviews:Q", stack=True, axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("Stars:O", sort="descending", axis=alt.Axis(labelExpr="datum.value + ' ★'")),
        color=alt.Color("Location:N", scale=scale, legend=_legend(columns=1)),
        tooltip=["Location:N", "Stars:O", "Reviews:Q"]).properties(height=alt.Step(28))
    shell.chart(figure, shown, ctx, "review_stars", shell.formats(["Reviews"], [], STARS))
    if unrated:
        st.caption(f"{fmt.count(unrated)} review(s) of the period carry no star rating "
                   "(STAR_RATING_UNSPECIFIED) and are left out.")


def _replies(ctx: Context, reviews: pd.DataFrame, scale: alt.Scale) -> None:
    if reviews.empty:
        st.caption("No reviews written in this period.")
        return
    per = metrics.replies_by_location(reviews)
    shown = pd.DataFrame({
        "Location": per.location_name, "Reviews": per.reviews, "Replied": per.replied,
        "Reply rate": per.replied_share, "Replies deleted since": per.replies_deleted,
        f"Within {TARGET_DAYS} days": per.within_target,
        f"Within {TARGET_DAYS} days (share)": per.within_target_share,
        "Median time to reply": per.median_hours.map(fmt.hours),
        "Median, at least": per.median_hours_min.map(fmt.hours),
        "Median, at most": per.median_hours_max.map(fmt.hours)})
    shell.table(shown, ctx, "review_replies_by_location", shell.formats(
        [], ["Reply rate", f"Within {TARGET_DAYS} days (share)"]))
    answered = metrics.answered(reviews)
    if answered.empty:
        st.caption("No review of this period has a reply yet.")
        return
    timed = pd.DataFrame({
        "Location": answered.location_name, "Review written (UTC)": answered.created_at,
        "Stars": answered.star_rating, "Reply first seen (night)": answered.first_reply_night,
        "Hours to reply": answered.hours_to_reply, "Hours to reply, at least": answered.hours_to_reply_min,
        "Hours to reply, at most": answered.hours_to_reply_max,
        f"Within {TARGET_DAYS} days": answered.answered_within_7d, "Reply edited": answered.reply_edited,
        "Reply deleted": answered.reply_deleted})
    days = timed.assign(**{"Days to reply": timed["Hours to reply"] / 24,
                           "At least": timed["Hours to reply, at least"] / 24,
                           "At most": timed["Hours to reply, at most"] / 24})
    base = alt.Chart(days).encode(x=alt.X("Review written (UTC):T", title="Review written",
                                          axis=alt.Axis(format="%d %b", tickCount="day")))
    bounds = base.mark_rule(opacity=0.5).encode(
        y=alt.Y("At least:Q", title="Days to reply"), y2="At most:Q",
        color=alt.Color("Location:N", scale=scale, legend=_legend()))
    points = base.mark_point(filled=True, size=60).encode(
        y="Days to reply:Q",
        color=alt.Color("Location:N", scale=scale, legend=_legend()),
        tooltip=["Location:N", "Review written (UTC):T", "Stars:Q",
                 alt.Tooltip("Days to reply:Q", format=".1f"), alt.Tooltip("At least:Q", format=".1f"),
                 alt.Tooltip("At most:Q", format=".1f")])
    target = alt.Chart(pd.DataFrame({"target": [TARGET_DAYS]})).mark_rule(
        color="#d62728", strokeDash=[6, 4]).encode(y="target:Q")
    st.caption(f"Each answered review of the period: the estimated days to its reply, with a bar from "
               f"the minimum to the maximum; the dashed line is the {TARGET_DAYS}-day target.")
    shell.chart((bounds + points + target).properties(height=260), timed, ctx, "review_reply_times",
                shell.formats([], [], STARS, _night("Reply first seen (night)"),
                              _instant("Review written (UTC)")))


def _unanswered_negative(ctx: Context, backlog: pd.DataFrame) -> None:
    if backlog.empty:
        st.success("Every 1-2 star review written up to the end of the period has a reply.",
                   icon=":material/check_circle:")
        return
    shown = pd.DataFrame({
        "Status": backlog.before_period.map({True: "waiting, written before the period",
                                             False: "waiting"}),
        "Location": backlog.location_name, "Written (UTC)": backlog.created_at,
        "Stars": backlog.star_rating, "Days waiting": backlog.days_waiting,
        "Review (redacted)": backlog.review_text.fillna("(rating only, no text)"),
        "Reviewer (pseudonym)": backlog.reviewer.fillna("(anonymous)"),
        "Sentiment": backlog.sentiment_label})
    as_of = fmt.day(pd.Timestamp(backlog.as_of_night.iloc[0]).date())
    st.caption(f"Oldest first, including those written before the period. Days waiting run to the "
               f"newest night reviews were read ({as_of}); text is shown with identifiers replaced "
               "by placeholders.")
    shell.table(shown, ctx, "reviews_unanswered_negative", shell.formats(
        [], [], STARS, st.column_config.TextColumn("Review (redacted)", width="large"),
        _instant("Written (UTC)")))


def _phi_flagged(ctx: Context, flagged: pd.DataFrame) -> None:
    st.caption("For the privacy officer: owner replies screened as possibly confirming that the "
               "reviewer was a patient, or naming them, their condition, treatment, insurance or "
               "visit date. Replies first seen in the period, and earlier ones still published; "
               "deleted replies last. Each reason names what was matched.")
    if flagged.empty:
        st.success("No reply first seen in this period, and none still published from before, "
                   "was flagged.", icon=":material/verified_user:")
        return
    status = [("deleted" if deleted else "earlier, still published" if before else "first seen in the period")
              for deleted, before in zip(flagged.reply_deleted, flagged.before_period, strict=True)]
    shown = pd.DataFrame({
        "Status": status, "Location": flagged.location_name,
        "Reply first seen (night)": flagged.first_reply_night,
        "Review written (UTC)": flagged.review_created_at, "Stars": flagged.star_rating,
        "Flags": flagged.phi_flag_count, "Reasons": flagged.phi_reasons,
        "Reply (redacted)": flagged.reply_text, "Reply edited": flagged.reply_edited})
    shell.table(shown, ctx, "review_replies_phi", shell.formats(
        [], [], STARS, _night("Reply first seen (night)"), _instant("Review written (UTC)"),
        st.column_config.TextColumn("Reasons", width="large"),
        st.column_config.TextColumn("Reply (redacted)", width="large")))


def _no_reviewed_locations(ctx: Context, locations: pd.DataFrame) -> None:
    brands = ctx.catalog.brands
    organisation = brands[brands.is_organisation]
    if not organisation.empty and ctx.scope.brand_id not in set(organisation.brand_id):
        own = fmt.text(organisation.brand_name.iloc[0])
        st.info(f"Google Business Profile reviews are read only for the organisation's own sites "
                f"(the API serves a location's reviews to its owner), so there are none for "
                f"{ctx.brand}. Choose {own} as the brand in focus to see them; the HCAHPS benchmark "
                "below compares every brand.", icon=":material/info:")
    else:
        st.info(f"No Google Business Profile reviews are configured for {ctx.brand}: none of its "
                f"{len(locations)} site(s) in the config's `locations:` has a `gbp_location`. Add one "
                "and its reviews are read from the next nightly run.", icon=":material/info:")


def _reviews(ctx: Context) -> None:
    if not shell.marts_available(ctx, data.REVIEW_MARTS, "reviews"):
        return
    locations = data.review_locations(ctx.snap, ctx.scope)
    reviewed = locations[locations.gbp_location.notna()]
    if reviewed.empty:
        _no_reviewed_locations(ctx, locations)
        return
    daily = data.location_rating_daily(ctx.snap, ctx.scope)
    reviews = data.period_reviews(ctx.snap, ctx.scope)
    backlog = data.unanswered_negative_reviews(ctx.snap, ctx.scope)
    flagged = data.phi_flagged_replies(ctx.snap, ctx.scope)
    if reviews.empty and not daily.reviews.sum():
        st.info(f"No Google Business Profile reviews of {ctx.brand}'s {len(reviewed)} site(s) were "
                "written in this period.", icon=":material/info:")
    _headline(metrics.review_summary(daily, reviews, backlog))
    scale = _location_scale(list(reviewed.location_name))
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader("Rating per location: 30-day average, new reviews per day")
        if daily.empty:
            st.caption("No rating figures for this period.")
        else:
            _rating_trend(ctx, daily, scale)
    with right:
        st.subheader("Star distribution")
        _star_distribution(ctx, daily, scale)
    if not daily.empty:
        _by_location(ctx, daily, locations)
    st.subheader(f"Replies against the {TARGET_DAYS}-day target")
    _replies(ctx, reviews, scale)
    st.subheader("Negative reviews without a reply")
    _unanswered_negative(ctx, backlog)
    st.subheader("Replies flagged for PHI risk")
    _phi_flagged(ctx, flagged)


# -- HCAHPS --------------------------------------------------------------------------------------


def _measure_order(measures: pd.DataFrame) -> list[str]:
    known = [label for measure, label in MEASURE_LABELS.items() if measure in set(measures.measure_id)]
    others = sorted(set(measures.label) - set(known))
    return known + others


def _hcahps(ctx: Context) -> None:
    if not shell.marts_available(ctx, (data.HCAHPS_MART,), "HCAHPS benchmarks"):
        return
    bench = data.hcahps_benchmarks(ctx.snap)
    if bench.empty:
        st.info("No HCAHPS results have landed yet: the CMS patient-survey benchmark appears after "
                "the first nightly run that loads them (for the sites with a `ccn` in the config's "
                "`locations:`).", icon=":material/info:")
        return
    facilities = bench.drop_duplicates("ccn")[["ccn", "facility_name", "brand_name", "is_own",
                                                "period_start", "period_end"]]
    names = facilities.facility_name.where(~facilities.facility_name.duplicated(keep=False),
                                           facilities.facility_name + " (" + facilities.ccn + ")")
    facility = dict(zip(facilities.ccn, names, strict=True))
    stars = bench[bench.measure_id == SUMMARY_STAR].set_index("ccn").star_rating
    surveys = bench.groupby("ccn").completed_surveys.max()
    summary = pd.DataFrame({
        "Facility": facilities.ccn.map(facility), "Brand": facilities.brand_name,
        "Own site": facilities.is_own, "CCN": facilities.ccn,
        "Summary star rating": facilities.ccn.map(stars), "Completed surveys": facilities.ccn.map(surveys),
        "Survey period": [f"{fmt.day(pd.Timestamp(s).date())} – {fmt.day(pd.Timestamp(e).date())}"
                          for s, e in zip(facilities.period_start, facilities.period_end, strict=True)]})
    st.caption("CMS's public HCAHPS results, each facility's latest reporting period (not the "
               "sidebar's period). The summary star is CMS's 1-5 HCAHPS star rating; top-box "
               "shares are the patients giving the best answer.")
    shell.table(summary, ctx, "hcahps_summary", shell.formats(
        ["Completed surveys"], [], st.column_config.NumberColumn("Summary star rating", format="%d ★")))
    measures = bench[bench.measure_id != SUMMARY_STAR].copy()
    if measures.empty:
        st.caption("No top-box answers in the latest HCAHPS results.")
        return
    measures["label"] = measures.measure_id.map(MEASURE_LABELS).fillna(measures.question)
    order = _measure_order(measures)
    long = pd.DataFrame({
        "Measure": measures.label, "Facility": measures.ccn.map(facility), "Brand": measures.brand_name,
        "Own site": measures.is_own.map({True: "Organisation", False: "Competitor"}),
        "Top-box share": measures.top_box_share, "Question": measures.question,
        "Answer": measures.answer_description, "Completed surveys": measures.completed_surveys})
    columns = [facility[ccn] for ccn in facilities.ccn]
    wide = long.pivot_table(index="Measure", columns="Facility", values="Top-box share", aggfunc="first")
    wide = wide.reindex(index=order, columns=columns).reset_index()
    shell.table(wide, ctx, "hcahps_top_box", shell.formats([], columns))
    figure = alt.Chart(long).mark_point(filled=True, size=110).encode(
        x=alt.X("Top-box share:Q", axis=alt.Axis(format=".0%"), scale=alt.Scale(zero=False)),
        y=alt.Y("Measure:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
        color=alt.Color("Facility:N", scale=_location_scale(columns), legend=_legend()),
        shape=alt.Shape("Own site:N", scale=alt.Scale(domain=["Organisation", "Competitor"],
                                                      range=["circle", "diamond"]),
                        legend=alt.Legend(orient="top", title=None)),
        tooltip=["Facility:N", "Brand:N", "Measure:N", alt.Tooltip("Top-box share:Q", format=".0%"),
                 "Completed surveys:Q"]).properties(height=alt.Step(30))
    shell.chart(figure, long, ctx, "hcahps_top_box_by_facility", shell.formats(
        ["Completed surveys"], ["Top-box share"]))


def render(ctx: Context) -> None:
    st.caption("Every Google review of the brand's sites and CMS's HCAHPS results, whichever "
               "platforms the sidebar selects.")
    _reviews(ctx)
    st.subheader("HCAHPS patient-survey benchmark")
    _hcahps(ctx)


if __name__ == "__main__":
    shell.run_page(render, __file__)
