"""Dashboard test fixtures: the shared published world (read-only), an oracle on it, AppTest
runs of any page with any sidebar choice, and an editable copy that can be re-published."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from carepulse.publish import publish, record_gate
from dashboard.views import PAGES, PageSpec
from tests.conftest import ROOT
from tests.dashboard import aspects_world as aspects_world_marts
from tests.dashboard import news_world as news_world_rows
from tests.dashboard import reviews_world as reviews_world_marts
from tests.dashboard.oracle import Oracle, Period

APP = ROOT / "dashboard" / "app.py"
_COMPONENTS: dict = {}


def page(module: str) -> PageSpec:
    return next(spec for spec in PAGES if spec.module == module)


def open_app(spec: PageSpec, *, period: Period | None = None, platforms: list[str] | None = None,
             brand: str | None = None, basis: str | None = None, languages: list[str] | None = None,
             user: dict | None = None, secrets: dict | None = None) -> AppTest:
    """Run the app, set the sidebar, go to the page; fails on any uncaught exception. `user` is
    what the app reads as `st.user` (the ID-token claims), `secrets` its `st.secrets`."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    if user is not None:
        at.user = user
    if secrets is not None:
        at.secrets = secrets
    # Speed only: each new AppTest scans every installed package for Streamlit components
    # (~0.5 s); hand over the first scan's result. If this private attribute goes away the
    # tests just get slower.
    at._bidi_component_manager = _COMPONENTS.get("manager")
    at.run()
    _COMPONENTS.setdefault("manager", at._bidi_component_manager)
    if period is not None:
        at.date_input[0].set_value((period.start, period.end)).run()
    if platforms is not None:
        at.multiselect(key="platforms").set_value(platforms).run()
    if languages is not None:
        at.multiselect(key="languages").set_value(languages).run()
    if brand is not None:
        at.selectbox(key="brand").set_value(brand).run()
    if basis is not None:
        at.radio(key="basis").set_value(basis).run()
    if not spec.is_default:
        at.switch_page(spec.script).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics_of(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frame(at: AppTest, name: str):
    """The table (`table_<name>`) or chart figures (`chart_<name>`) a page shows, by name."""
    keys = (f"table_{name}", f"chart_{name}")
    found = [block.dataframe[0].value for block in at.container if block.key in keys]
    assert found, f"no table or chart data named {name!r}: {[block.key for block in at.container]}"
    return found[0]


def news_day(at: AppTest):
    """The News page's day picker (its key names the period and the default day)."""
    return next(d for d in at.date_input if (d.key or "").startswith("news_day"))


def texts(at: AppTest) -> str:
    """Every message, caption and markdown string on the page, joined."""
    parts = [e.value for kind in ("info", "warning", "error", "success", "caption", "markdown")
             for e in getattr(at, kind)]
    return "\n".join(parts)


@pytest.fixture(scope="session")
def world(published_world) -> Path:
    return published_world["home"]


@pytest.fixture(scope="session")
def oracle(world) -> Oracle:
    return Oracle(world)


@pytest.fixture
def app(world, monkeypatch) -> Callable[..., AppTest]:
    monkeypatch.setenv("CAREPULSE_HOME", str(world))
    return open_app


class EditableWorld:
    """A copy of the published world's warehouse and gate records that tests may re-publish."""

    def __init__(self, source: Path, home: Path) -> None:
        self.home = home
        (home / "warehouse").mkdir(parents=True)
        shutil.copy2(source / "warehouse" / "carepulse.duckdb", home / "warehouse" / "carepulse.duckdb")
        for record in (source / "audit").glob("*/*.json"):
            if record.name in ("gate.json", "publish.json"):
                target = home / "audit" / record.parent.name / record.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(record, target)
        self.oracle = Oracle(home)

    def publish(self, run_id: str, *statements: str, frames: dict | None = None) -> None:
        """Edit a candidate copy of the published file, pass it through the gate, swap it in.
        `frames` ({"<table>": DataFrame}) are inserted into marts.<table> after the statements."""
        candidate = self.home / "warehouse" / "candidate.duckdb"
        shutil.copy2(self.home / "warehouse" / "carepulse.duckdb", candidate)
        con = duckdb.connect(str(candidate))
        try:
            for sql in statements:
                con.execute(sql)
            for table, rows in (frames or {}).items():
                con.register("_rows", rows)
                con.execute(f"insert into marts.{table} by name select * from _rows")
                con.unregister("_rows")
            con.execute("checkpoint")
        finally:
            con.close()
        audit = self.home / "audit" / run_id
        audit.mkdir(parents=True)
        record_gate(audit, candidate, {"raw": {"success": True, "failures": []},
                                       "marts": {"success": True, "failures": []}})
        publish(self.home, audit)

    def fail_gate(self, run_id: str, failure: str) -> None:
        """A later run whose quality gate failed: a gate.json, and nothing published."""
        audit = self.home / "audit" / run_id
        audit.mkdir(parents=True)
        record_gate(audit, self.home / "warehouse" / "candidate.duckdb",
                    {"marts": {"success": False, "failures": [failure]}})


@pytest.fixture
def editable(world, tmp_path, monkeypatch) -> EditableWorld:
    copy = EditableWorld(world, tmp_path / "home")
    monkeypatch.setenv("CAREPULSE_HOME", str(copy.home))
    return copy


# -- the reviews page's world: the published world plus the five review marts -------------------


@pytest.fixture(scope="session")
def reviews_world(world, tmp_path_factory) -> EditableWorld:
    """A copy of the published world with the review marts published into it (read-only for
    tests, like `world`). The pipeline does not build them yet; tests/dashboard/reviews_world.py
    writes them to the mart contract, replacing the pipeline's own if it does."""
    copy = EditableWorld(world, tmp_path_factory.mktemp("reviews") / "home")
    oracle = copy.oracle
    panel = oracle.panel()
    organisation = oracle.organisation()
    marts = reviews_world_marts.build(
        oracle.one("select max(night) from marts.fct_data_health_nightly"), organisation,
        [brand for brand, _ in panel if brand != organisation], dict(panel))
    copy.publish("run-reviews", *marts.statements, frames=marts.frames)
    return copy


@pytest.fixture
def reviews_app(reviews_world, monkeypatch) -> Callable[..., AppTest]:
    monkeypatch.setenv("CAREPULSE_HOME", str(reviews_world.home))
    return open_app


@pytest.fixture
def reviews_oracle(reviews_world) -> Oracle:
    return reviews_world.oracle


@pytest.fixture
def editable_reviews(reviews_world, tmp_path, monkeypatch) -> EditableWorld:
    """An editable copy of the reviews world (to take tables away or empty them)."""
    copy = EditableWorld(reviews_world.home, tmp_path / "home")
    monkeypatch.setenv("CAREPULSE_HOME", str(copy.home))
    return copy


# -- the news page's world: the reviews world with hand-made news rows ---------------------------

ALERT_SETTINGS = ("alert_baseline_days", "alert_k_sigma", "alert_min_mentions", "alert_min_baseline_days",
                  "news_spike_baseline_days", "news_spike_min_articles")


@pytest.fixture(scope="session")
def news_world(reviews_world, tmp_path_factory) -> EditableWorld:
    """A copy of the reviews world (so every page has data) whose news rows are replaced by
    tests/dashboard/news_world.py's, consistently across the marts the dashboard reads (read-only
    for tests, like `world`)."""
    copy = EditableWorld(reviews_world.home, tmp_path_factory.mktemp("news") / "home")
    oracle = copy.oracle
    settings = dict(zip(ALERT_SETTINGS, oracle.rows(
        f"select {', '.join(ALERT_SETTINGS)} from marts.fct_sentiment_alerts_daily limit 1")[0], strict=True))
    newest = oracle.one("select max(night) from marts.fct_data_health_nightly")
    version = oracle.one("select max(panel_version) from marts.dim_brands")
    rows = news_world_rows.build(newest, oracle.panel(), version, settings, screened=oracle.screened())
    copy.publish("run-news", *rows.statements, frames=rows.frames)
    return copy


@pytest.fixture
def news_app(news_world, monkeypatch) -> Callable[..., AppTest]:
    monkeypatch.setenv("CAREPULSE_HOME", str(news_world.home))
    return open_app


@pytest.fixture
def news_oracle(news_world) -> Oracle:
    return news_world.oracle


@pytest.fixture
def editable_news(news_world, tmp_path, monkeypatch) -> EditableWorld:
    """An editable copy of the news world (to take tables or rows away)."""
    copy = EditableWorld(news_world.home, tmp_path / "home")
    monkeypatch.setenv("CAREPULSE_HOME", str(copy.home))
    return copy


# -- the aspects page's world: the news world with hand-made patient-experience aspects ----------


@pytest.fixture(scope="session")
def aspects_world(news_world, tmp_path_factory) -> EditableWorld:
    """A copy of the news world (so every page has data) with the three aspect marts written by
    tests/dashboard/aspects_world.py (read-only for tests, like `world`)."""
    copy = EditableWorld(news_world.home, tmp_path_factory.mktemp("aspects") / "home")
    oracle = copy.oracle
    organisation = oracle.organisation()
    competitor = next(brand for brand, _ in oracle.panel() if brand != organisation)
    sites = [site for (site,) in oracle.rows(
        "select location_id from marts.dim_locations where brand_id = $b and gbp_location is not null "
        "order by location_id", b=organisation)]
    newest = oracle.one("select max(night) from marts.fct_data_health_nightly")
    marts = aspects_world_marts.build(newest, organisation, competitor, sites)
    copy.publish("run-aspects", *marts.statements, frames=marts.frames)
    return copy


@pytest.fixture
def aspects_app(aspects_world, monkeypatch) -> Callable[..., AppTest]:
    monkeypatch.setenv("CAREPULSE_HOME", str(aspects_world.home))
    return open_app


@pytest.fixture
def aspects_oracle(aspects_world) -> Oracle:
    return aspects_world.oracle


@pytest.fixture
def editable_aspects(aspects_world, tmp_path, monkeypatch) -> EditableWorld:
    """An editable copy of the aspects world (to take tables or rows away)."""
    copy = EditableWorld(aspects_world.home, tmp_path / "home")
    monkeypatch.setenv("CAREPULSE_HOME", str(copy.home))
    return copy


# -- language detection and screening: the published world with them planted ---------------------

# The published world's mentions with a language and a screening verdict, consistently across
# fct_mentions and fct_share_of_voice_daily (whether or not the build had them already): every
# 7th mention is Spanish and not scored, every 11th excluded (copy-paste or bot), and the
# share-of-voice mart's counts are worked out again from the kept mentions as the mart does.
SCREENED = (
    "alter table marts.fct_mentions add column if not exists language varchar default 'en'",
    "alter table marts.fct_mentions add column if not exists not_scored_reason varchar",
    "alter table marts.fct_mentions add column if not exists is_excluded boolean default false",
    "update marts.fct_mentions set language = 'es', stock_label = 'not_scored', "
    "adjusted_label = 'not_scored', stock_compound = null, adjusted_compound = null, "
    "not_scored_reason = 'language' "
    "where hash(mention_key) % 7 = 0",
    "update marts.fct_mentions set is_excluded = (hash(mention_key) % 11 = 1)",
    "alter table marts.fct_share_of_voice_daily add column if not exists not_scored_mentions bigint",
    "alter table marts.fct_share_of_voice_daily add column if not exists excluded_mentions bigint",
    "update marts.fct_share_of_voice_daily set mentions = 0, engagements = 0, reach = 0, "
    "positive_mentions = 0, neutral_mentions = 0, negative_mentions = 0, not_scored_mentions = 0, "
    "excluded_mentions = 0",
    """update marts.fct_share_of_voice_daily as sov set
        mentions = c.mentions, engagements = c.engagements, reach = c.reach, positive_mentions = c.positive,
        neutral_mentions = c.neutral, negative_mentions = c.negative, not_scored_mentions = c.not_scored,
        excluded_mentions = c.excluded
    from (select mention_date, platform, brand_id,
                 count(*) filter (where not is_excluded) as mentions,
                 coalesce(sum(engagements) filter (where not is_excluded), 0) as engagements,
                 coalesce(sum(reach) filter (where not is_excluded), 0) as reach,
                 count(*) filter (where not is_excluded and adjusted_label = 'positive') as positive,
                 count(*) filter (where not is_excluded and adjusted_label = 'neutral') as neutral,
                 count(*) filter (where not is_excluded and adjusted_label = 'negative') as negative,
                 count(*) filter (where not is_excluded and adjusted_label = 'not_scored') as not_scored,
                 count(*) filter (where is_excluded) as excluded
          from marts.fct_mentions group by all) as c
    where c.mention_date = sov.mention_date and c.platform = sov.platform and c.brand_id = sov.brand_id""",
)
# A warehouse built before them: every mention counted in share of voice, no such columns.
UNSCREENED = (
    """update marts.fct_share_of_voice_daily as sov set
        mentions = c.mentions, engagements = c.engagements, reach = c.reach, positive_mentions = c.positive,
        neutral_mentions = c.neutral, negative_mentions = c.negative
    from (select mention_date, platform, brand_id, count(*) as mentions,
                 coalesce(sum(engagements), 0) as engagements, coalesce(sum(reach), 0) as reach,
                 count(*) filter (where adjusted_label = 'positive') as positive,
                 count(*) filter (where adjusted_label = 'neutral') as neutral,
                 count(*) filter (where adjusted_label = 'negative') as negative
          from marts.fct_mentions group by all) as c
    where c.mention_date = sov.mention_date and c.platform = sov.platform and c.brand_id = sov.brand_id""",
    *(f"alter table marts.fct_mentions drop column if exists {column}"
      for column in ("language", "not_scored_reason", "is_excluded", "exclusion_reason", "copy_of")),
    *(f"alter table marts.fct_share_of_voice_daily drop column if exists {column}"
      for column in ("not_scored_mentions", "excluded_mentions")),
)


@pytest.fixture(scope="session")
def screened_world(world, tmp_path_factory) -> EditableWorld:
    copy = EditableWorld(world, tmp_path_factory.mktemp("screened") / "home")
    copy.publish("run-screened", *SCREENED)
    return copy


@pytest.fixture
def screened_app(screened_world, monkeypatch) -> Callable[..., AppTest]:
    monkeypatch.setenv("CAREPULSE_HOME", str(screened_world.home))
    return open_app


@pytest.fixture
def screened_oracle(screened_world) -> Oracle:
    return screened_world.oracle
