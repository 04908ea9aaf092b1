"""The source registry (carepulse/sources.py): every registered source has all its parts, the
dbt macro generated from the registry is current, and docs/adding-a-source.md lists every
part this test checks."""

from __future__ import annotations

import re

import pytest
import yaml

from carepulse import sources
from carepulse.config import Handles, Platforms, load_config
from tests.conftest import ROOT

DBT = ROOT / "dbt_project"

# the files a source brings, as docs/adding-a-source.md names them ('<name>' is the source)
PARTS = (
    "carepulse/sources.py",
    "extract/<name>.py",
    "extract/items.py",
    "extract/simulator/platforms/<name>.py",
    "config/monitoring.yml",
    "dbt_project/models/sources/src_<name>__pages.sql",
    "dbt_project/models/sources/_sources__sources.yml",
    "dbt_project/models/staging/<name>/base_<name>__*.sql",
    "dbt_project/models/staging/<name>/stg_<name>__*.sql",
    "dbt_project/macros/sources/<name>.sql",
    "expectations/suites/<raw suite>.py",
)
NAMES = list(sources.SOURCES)


def test_the_adding_a_source_page_lists_every_part():
    page = (ROOT / "docs" / "adding-a-source.md").read_text(encoding="utf-8")
    missing = [part for part in PARTS if f"`{part}`" not in page]
    assert not missing, f"docs/adding-a-source.md does not list {missing}"


def test_the_dbt_registry_macro_is_generated_from_the_registry():
    assert sources.REGISTRY_MACRO.read_text(encoding="utf-8") == sources.registry_macro(), (
        "dbt_project/macros/registry.sql is stale: run `carepulse dbt-manifest` (make lint)")


@pytest.mark.parametrize("name", NAMES)
def test_connector_and_simulator_classes_exist(name):
    from extract.simulator.platforms import Platform

    source = sources.SOURCES[name]
    connector = sources.load(source.connector)
    assert all(callable(getattr(connector, m, None)) for m in ("pages", "stats", "close")), (
        f"{source.connector} is not an extract.base.Connector")
    assert connector.platform == name
    assert (ROOT / "extract" / f"{name}.py").exists()
    assert issubclass(sources.load(source.simulator), Platform)
    assert (ROOT / "extract" / "simulator" / "platforms" / f"{name}.py").exists()


@pytest.mark.parametrize("name", NAMES)
def test_endpoints_are_the_ones_items_knows(name):
    from extract.items import ENDPOINTS

    known = {e for e in ENDPOINTS if e.split(".", 1)[0] == name}
    assert set(sources.SOURCES[name].endpoints) == known


@pytest.mark.parametrize("name", NAMES)
def test_config_model_and_demo_config_have_the_source(name):
    assert name in Platforms.model_fields
    # a social source has a handle per brand (news: feeds and a search per brand instead); a
    # review source reads organisation.locations
    source = sources.SOURCES[name]
    assert (name in Handles.model_fields) == (source.kind == "social" and source.reach != "news")
    loaded = load_config(ROOT / "config" / "monitoring.yml")
    assert name in loaded.config.platforms.enabled(), f"config/monitoring.yml has no platforms.{name}"


@pytest.mark.parametrize("name", NAMES)
def test_dbt_models_and_source_macros_exist(name):
    source = sources.SOURCES[name]
    staging = DBT / "models" / "staging" / name
    for model in (*source.base_models, *source.staging_models):
        assert (staging / f"{model}.sql").exists(), f"missing model {model}"
    assert (DBT / "models" / "sources" / f"src_{name}__pages.sql").exists()
    raw_zone = yaml.safe_load((DBT / "models" / "sources" / "_sources__sources.yml").read_text())
    tables = {t["name"] for s in raw_zone["sources"] if s["name"] == "raw_zone" for t in s["tables"]}
    assert f"{name}_pages" in tables
    macros = (DBT / "macros" / "sources" / f"{name}.sql").read_text(encoding="utf-8")
    for entity in source.entities:
        assert re.search(rf"macro {name}__{entity.name}\(\)", macros), f"no macro {name}__{entity.name}()"


@pytest.mark.parametrize("name", NAMES)
def test_raw_suites_check_the_source(name):
    from expectations import suites

    for entity in sources.SOURCES[name].entities:
        module = suites.module(entity.raw_suite)
        assert name == module.PLATFORM
        assert set(module.ENDPOINTS) <= set(sources.SOURCES[name].endpoints)


def test_nothing_else_lists_the_sources():
    """The registry is the one list: no model, macro, test or Python module spells it out."""
    spelled = re.compile(r"youtube['\"]?,\s*['\"]?reddit['\"]?,\s*['\"]?mastodon")
    offenders = []
    for pattern in ("dbt_project/models/**/*.sql", "dbt_project/models/**/*.yml",
                    "dbt_project/macros/**/*.sql", "dbt_project/tests/**/*.sql", "carepulse/**/*.py",
                    "extract/**/*.py", "expectations/**/*.py", "deploy/**/*.py", "dags/**/*.py",
                    "dashboard/**/*.py"):
        for path in ROOT.glob(pattern):
            if path.name != "registry.sql" and spelled.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"these write the source list out instead of reading the registry: {offenders}"
