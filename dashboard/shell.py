"""The frame around every page: sidebar filters, the page context, empty states, downloads.

The sidebar lives in the entry script (`app.py`) so its widgets keep their values when the
reader moves between pages; it leaves the resulting `Context` in session state for the page
script that runs next. When there is nothing to show (no published warehouse yet, an empty
one, no platform selected) the context is None and every page says why instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import audit, data, metrics
from dashboard import format as fmt
from dashboard.views import spec_for

CONTEXT_KEY = "carepulse_context"
EMPTY_KEY = "carepulse_empty_reason"
DEFAULT_PERIOD_DAYS = 7  # a two-week history then has a full previous period to compare with
BASIS_LABELS = {
    "mention": "Mentions",
    "engagement": "Engagements",
    "reach": "Reach",
    "sentiment_weighted": "Sentiment-weighted",
}
ALERT_LABELS = {"net_sentiment_drop": "Net sentiment drop", "net_sentiment_rise": "Net sentiment rise",
                "negative_volume_spike": "Negative-volume spike", "news_spike": "News spike"}
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


@dataclass(frozen=True)
class Comparison:
    """The two periods a change compares, both restricted to the same platforms."""

    now: data.Scope
    before: data.Scope
    left_out: tuple[str, ...]  # selected, but not complete on every night of both periods


@dataclass(frozen=True)
class Context:
    """Everything a page needs: where the data is, what it holds, what the reader chose."""

    home: Path
    snap: data.Snapshot
    catalog: data.Catalog
    scope: data.Scope
    basis: str
    gate: audit.GateStatus

    def brand_name(self, brand_id: str) -> str:
        names = dict(zip(self.catalog.brands.brand_id, self.catalog.brands.brand_name, strict=True))
        return names.get(brand_id, brand_id)

    def platform_name(self, platform: str) -> str:
        names = dict(zip(self.catalog.platforms.platform, self.catalog.platforms.platform_name,
                         strict=True))
        return names.get(platform, platform)

    @property
    def brand_is_organisation(self) -> bool:
        brands = self.catalog.brands
        return bool(brands.is_organisation[brands.brand_id == self.scope.brand_id].any())

    @property
    def brand(self) -> str:
        """The brand in focus, for markdown strings (escaped: config text is never markdown)."""
        return fmt.text(self.brand_name(self.scope.brand_id))

    @cached_property  # one health query per page run, however many sections compare
    def comparison(self) -> Comparison | None:
        """This period against the same-length period before, like for like: on the platforms
        extracted completely on every night of both. None when the earlier period predates the
        first extraction or no platform qualifies (a half-extracted period, or a platform
        missing from one side, would make every change look like growth or decline)."""
        return self.compare(self.scope)

    def compare(self, scope: data.Scope) -> Comparison | None:
        """`comparison` for another scope (a section about some platforms only, e.g. news)."""
        before = scope.previous()
        if not self.catalog.covers(before):
            return None
        complete = data.complete_platforms(self.snap, replace(scope, start=before.start))
        if not complete:
            return None
        same = complete == scope.platforms
        return Comparison(
            replace(scope, platforms=complete, all_platforms=scope.all_platforms and same),
            replace(before, platforms=complete, all_platforms=before.all_platforms and same),
            tuple(p for p in scope.platforms if p not in complete))

    def brand_scale(self) -> alt.Scale:
        """The same colour for a brand on every chart (panel order)."""
        names = list(self.catalog.brands.brand_name)
        return alt.Scale(domain=names, range=PALETTE[: len(names)])


# -- sidebar -------------------------------------------------------------------------------------


def default_period(catalog: data.Catalog) -> tuple[date, date]:
    """The last 7 days up to the newest extracted night (clipped to the data)."""
    end = catalog.latest_night or catalog.last_day
    start = end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    return max(start, catalog.first_day or start), end


def _period_input(catalog: data.Catalog) -> tuple[date, date]:
    start, end = default_period(catalog)
    lowest, highest = min(catalog.first_day or start, start), max(catalog.last_day or end, end)
    # keyed on the newest night, so a publish that adds a night moves the default period on
    picked = st.date_input("Period", value=(start, end), min_value=lowest, max_value=highest,
                           key=f"period_{end.isoformat()}", format="YYYY-MM-DD")
    picked = tuple(picked) if isinstance(picked, (tuple, list)) else (picked,)
    return (picked[0], picked[-1]) if picked else (start, end)


def _scope_inputs(catalog: data.Catalog) -> tuple[data.Scope, str]:
    start, end = _period_input(catalog)
    offered = catalog.platforms[catalog.platforms.is_social]  # reviews have their own page
    platforms = list(offered.platform)
    names = dict(zip(offered.platform, offered.platform_name, strict=True))
    chosen = st.multiselect("Platforms", platforms, default=platforms, format_func=names.get,
                            key="platforms")
    languages = _language_input(catalog)
    brands = catalog.brands
    own = brands.index[brands.is_organisation].tolist()
    brand = st.selectbox("Brand in focus", list(brands.brand_id), index=own[0] if own else 0,
                         format_func=dict(zip(brands.brand_id, brands.brand_name, strict=True)).get,
                         key="brand")
    basis = st.radio("Share-of-voice basis", list(BASIS_LABELS), format_func=BASIS_LABELS.get,
                     key="basis", help="What a brand's share of the competitor panel is a share of.")
    ordered = tuple(p for p in platforms if p in chosen)
    return data.Scope(start, end, ordered, brand, all_platforms=len(ordered) == len(platforms),
                      languages=languages), basis


def _language_input(catalog: data.Catalog) -> tuple[str, ...] | None:
    """The languages chosen; None when every one is (no filter, the marts' own figures), or when
    the warehouse predates language detection (nothing offered)."""
    offered = list(catalog.languages)
    if not offered:
        return None
    chosen = st.multiselect("Languages", offered, default=offered, format_func=fmt.language, key="languages",
                            help="The language each mention is written in (detected offline). Filters "
                                 "the mention figures of the overview, share of voice and sentiment; "
                                 "VADER scores English only, so other languages add volume, not sentiment.")
    return None if set(chosen) == set(offered) else tuple(code for code in offered if code in chosen)


def _gate_badge(gate: audit.GateStatus) -> None:
    if gate.passed:
        st.success("Quality gate passed for this data", icon=":material/verified:")
    elif gate.passed is None:
        st.warning("No quality-gate record names this warehouse file", icon=":material/help:")
    else:
        st.error("The quality gate did not pass for this file", icon=":material/error:")


def sidebar(home: Path, snap: data.Snapshot | None) -> Context | None:
    """Draw the sidebar and return the page context, or None with the reason kept for pages."""
    st.session_state[CONTEXT_KEY], st.session_state[EMPTY_KEY] = None, None
    with st.sidebar:
        st.markdown("## CarePulse")
        catalog, reason = _catalog(home, snap)
        if catalog is None:
            return _empty(reason)
        gate = audit.gate_status(snap, home)
        st.caption(f"Newest night: **{fmt.day(catalog.latest_night)}**"
                   + (f" · published {fmt.instant(gate.published_at)}" if gate.published_at else ""))
        _gate_badge(gate)
        scope, basis = _scope_inputs(catalog)
    if not scope.platforms:
        return _empty("Select at least one platform in the sidebar.")
    if scope.languages == ():
        return _empty("Select at least one language in the sidebar.")
    ctx = Context(home, snap, catalog, scope, basis, gate)
    st.session_state[CONTEXT_KEY] = ctx
    return ctx


def _catalog(home: Path, snap: data.Snapshot | None) -> tuple[data.Catalog | None, str]:
    """The published catalog, or why there is nothing to show."""
    if snap is None:
        return None, (f"No published warehouse yet at `{data.published_path(home)}`. Run `make demo` "
                      "(or `carepulse run`) to build and publish one; this page fills in on the next "
                      "refresh, no restart needed.")
    try:
        catalog = data.catalog(snap)
    except data.WarehouseUnreadable as exc:
        return None, f"The published warehouse could not be read: {exc}"
    if catalog.latest_night is None or catalog.brands.empty:
        return None, ("The published warehouse holds no nights yet. It fills in after the first "
                      "successful nightly run.")
    return catalog, ""


def _empty(reason: str) -> None:
    st.session_state[EMPTY_KEY] = reason
    return None


# -- page furniture ------------------------------------------------------------------------------


def run_page(render: Callable[[Context], None], page_file: str) -> None:
    """Title the page, then render it, or say why there is nothing to show."""
    spec = spec_for(page_file)
    st.title(spec.title)
    ctx: Context | None = st.session_state.get(CONTEXT_KEY)
    if ctx is None:
        st.info(st.session_state.get(EMPTY_KEY) or "Nothing to show yet.", icon=":material/info:")
        return
    platforms = ", ".join(ctx.platform_name(p) for p in ctx.scope.platforms)
    st.caption(f"{fmt.period(ctx.scope.start, ctx.scope.end)} · {platforms} · "
               f"brand in focus: **{ctx.brand}**{_languages_note(ctx, spec.follows_languages)}")
    render(ctx)


def _languages_note(ctx: Context, follows: bool) -> str:
    """The chosen languages, when the sidebar filters them (and whether this page can)."""
    if ctx.scope.languages is None:
        return ""
    if not follows:
        return " · the language filter does not apply to this page (its marts have no language)"
    return " · languages: " + ", ".join(fmt.language(code) for code in ctx.scope.languages)


def note_missing_platforms(ctx: Context, present: Iterable[str], what: str,
                           explained: Iterable[str] = ()) -> None:
    """Name the selected platforms that have no rows for this view in the period (those a note
    already explains aside)."""
    skip = set(present) | set(explained)
    missing = [ctx.platform_name(p) for p in ctx.scope.platforms if p not in skip]
    if missing:
        st.info(f"No {what} from {', '.join(missing)} in this period.", icon=":material/info:")


def _names(ctx: Context, platforms: Iterable[str]) -> str:
    """'Facebook and Instagram', 'X, Facebook and Instagram'."""
    names = [ctx.platform_name(p) for p in platforms]
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def selected(ctx: Context, platforms: Iterable[str]) -> tuple[str, ...]:
    """Those of `platforms` the sidebar selects."""
    wanted = set(platforms)
    return tuple(p for p in ctx.scope.platforms if p in wanted)


def note_panel_reach(ctx: Context) -> None:
    """Say where the panel is not read alike: Meta platforms read the organisation's own Page
    and account only, so their mentions are all the organisation's; news counts articles."""
    owned, news = selected(ctx, data.OWNED_PLATFORMS), selected(ctx, data.NEWS_PLATFORMS)
    notes = []
    if owned:
        notes.append(f"{_names(ctx, owned)} {'are' if len(owned) > 1 else 'is'} read for the "
                     "organisation's own Page and account only (Meta serves page owners, not the "
                     "public), so those mentions count for the organisation alone: deselect them for a "
                     "like-for-like panel.")
    if news:
        notes.append(f"{_names(ctx, news)} counts articles, which have no engagements or reach.")
    if notes:
        st.caption(" ".join(notes))


def note_no_owned_posts(ctx: Context) -> tuple[str, ...]:
    """On pages about the brand's own posts, say which selected platforms cannot have any for the
    brand in focus (news: outlets write the articles; Meta: only the organisation's accounts are
    read); returns them, for note_missing_platforms to leave out."""
    news = selected(ctx, data.NEWS_PLATFORMS)
    owned = () if ctx.brand_is_organisation else selected(ctx, data.OWNED_PLATFORMS)
    if news:
        st.caption(f"{_names(ctx, news)} left out here: articles are written by outlets, not by a "
                   "brand's own accounts.")
    if owned:
        st.caption(f"{_names(ctx, owned)}: only the organisation's own Page and account are read, "
                   f"so there are no posts by {ctx.brand} there.")
    return news + owned


def marts_available(ctx: Context, names: tuple[str, ...], what: str) -> bool:
    """Say which of the marts are missing, or lack columns this page reads (a warehouse
    published by an older build); True when `what` can be shown."""
    missing = data.missing_marts(ctx.snap, names)
    if missing:
        tables = ", ".join(f"`marts.{name}`" for name in missing)
        plural = len(missing) > 1
        st.warning(f"The published warehouse has no {tables} table{'s' if plural else ''} yet (it "
                   f"was built before {what} were added), so {what} cannot be shown. They appear once "
                   f"a nightly run publishes {'them' if plural else 'it'}; no restart needed.",
                   icon=":material/database:")
        return False
    lacking = data.missing_columns(ctx.snap, names)
    if lacking:
        named = "; ".join(f"`marts.{table}` has no {', '.join(f'`{c}`' for c in columns)}"
                          for table, columns in lacking.items())
        st.warning(f"The published warehouse was built by an older version of the {what} marts: "
                   f"{named}. They appear once a nightly run publishes the current ones.",
                   icon=":material/database:")
        return False
    return True


def download(frame: pd.DataFrame, ctx: Context, name: str) -> None:
    """A CSV of exactly the rows and columns the chart or table next to it shows."""
    st.download_button(
        "Download CSV", frame.to_csv(index=False).encode("utf-8"),
        file_name=f"carepulse_{name}_{ctx.scope.start}_{ctx.scope.end}.csv", mime="text/csv",
        key=f"download_{name}", on_click="ignore", icon=":material/download:")


def table(frame: pd.DataFrame, ctx: Context, name: str, config: dict | None = None) -> None:
    """A table with readable column names and its CSV download (keyed `table_<name>`)."""
    with st.container(key=f"table_{name}"):
        st.dataframe(frame, hide_index=True, width="stretch", column_config=config)
        download(frame, ctx, name)


def chart(figure: alt.TopLevelMixin, frame: pd.DataFrame, ctx: Context, name: str,
          config: dict | None = None) -> None:
    """A chart, the figures it draws (in an expander) and their CSV download (`chart_<name>`)."""
    st.altair_chart(figure, width="stretch")
    with st.container(key=f"chart_{name}"):
        with st.expander("Figures behind this chart"):
            st.dataframe(frame, hide_index=True, width="stretch", column_config=config)
        download(frame, ctx, name)


def formats(numbers: Iterable[str] = (), percents: Iterable[str] = (), *columns) -> dict:
    """Column formats for st.dataframe: thousands separators, percentages, and any other
    st.column_config columns (keyed by their label)."""
    config = {name: st.column_config.NumberColumn(name, format="localized") for name in numbers}
    config |= {name: st.column_config.NumberColumn(name, format="percent") for name in percents}
    return config | {column["label"]: column for column in columns}


def metric(where, label: str, value: str, delta: str | None = None, **kwargs) -> None:
    """st.metric with a border; the comparison text only when there is a change to show."""
    where.metric(label, value, delta, border=True,
                 delta_description="vs previous period" if delta is not None else None, **kwargs)


def comparison_panels(ctx: Context, scope: data.Scope | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """panel_daily() of this period and the one before, on the platforms they compare (of the
    sidebar's scope, or another); no rows (so no changes shown) when there is no comparison."""
    comparison = ctx.comparison if scope is None else ctx.compare(scope)
    if comparison is None:
        empty = data.panel_daily(ctx.snap, scope or ctx.scope).iloc[0:0]
        return empty, empty
    return data.panel_daily(ctx.snap, comparison.now), data.panel_daily(ctx.snap, comparison.before)


def screening_note(ctx: Context, panel: pd.DataFrame, brand_id: str | None = None) -> None:
    """How many of the brand's mentions VADER did not score (another language) and how many
    were left out as copy-paste clusters or bot accounts, with their shares."""
    mine = panel[panel.brand_id == (brand_id or ctx.scope.brand_id)]
    if mine.not_scored_mentions.isna().all():
        st.caption("Language detection and copy-paste / bot screening came after this warehouse was "
                   "built: every mention counts and is scored. Their figures appear once a nightly run "
                   "publishes them.")
        return
    kept, not_scored = int(mine.mentions.sum()), int(mine.not_scored_mentions.sum())
    excluded = int(mine.excluded_mentions.sum())
    st.caption(
        f"Not scored for sentiment: **{fmt.count(not_scored)}** of {fmt.count(kept)} mentions "
        f"({fmt.percent(metrics.ratio(not_scored, kept))}) are in a language VADER does not read; they "
        f"count in volume and share of voice, not in net sentiment. Excluded: **{fmt.count(excluded)}** "
        f"more ({fmt.percent(metrics.ratio(excluded, kept + excluded))} of all found) were left out of "
        "share of voice and sentiment as copy-paste clusters or bot accounts.")


def comparison_note(ctx: Context, scope: data.Scope | None = None) -> None:
    """Say what the changes compare with, or why there are none (for the sidebar's scope, or
    another one a section compares on)."""
    comparison = ctx.comparison if scope is None else ctx.compare(scope)
    before = ctx.scope.previous()
    if comparison is None and not ctx.catalog.covers(before):
        st.caption(f"No changes shown: extraction starts on {fmt.day(ctx.catalog.first_night)}, so "
                   f"the {ctx.scope.days} days before this period are not complete.")
    elif comparison is None:
        which = "no selected platform was" if scope is None else f"{_names(ctx, scope.platforms)} was not"
        st.caption(f"No changes shown: {which} extracted completely on every night "
                   f"of this period and {fmt.period(before.start, before.end)}.")
    elif comparison.left_out:
        kept = ", ".join(ctx.platform_name(p) for p in comparison.now.platforms)
        out = ", ".join(ctx.platform_name(p) for p in comparison.left_out)
        st.caption(f"Changes against {fmt.period(before.start, before.end)} compare {kept} only: "
                   f"{out} not extracted completely on every night of both periods (see data health).")
    else:
        st.caption(f"Changes against {fmt.period(before.start, before.end)}.")
