"""stg_cms__hcahps built by dbt (in-process) from landings the fetcher makes against the simulator:
empty before any landing, then the newest complete landing only, typed; a page altered after
landing fails the build."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from extract.hcahps import fetch_hcahps, landing_root
from extract.http import RetryPolicy
from extract.simulator.cms import reporting_period
from extract.simulator.server import SimulatorServer
from tests.dbt.conftest import run_dbt, warehouse, write_config_json

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 27, 2, tzinfo=UTC)
MODEL = "staging.stg_cms__hcahps"
COLUMNS = [
    ("ccn", "VARCHAR"), ("facility_name", "VARCHAR"), ("city", "VARCHAR"), ("state", "VARCHAR"),
    ("measure_id", "VARCHAR"), ("question", "VARCHAR"), ("answer_description", "VARCHAR"),
    ("star_rating", "INTEGER"), ("star_rating_footnote", "VARCHAR"), ("answer_percent", "DOUBLE"),
    ("answer_percent_footnote", "VARCHAR"), ("linear_mean_value", "DOUBLE"),
    ("completed_surveys", "INTEGER"), ("completed_surveys_footnote", "VARCHAR"),
    ("response_rate_percent", "DOUBLE"), ("period_start", "DATE"), ("period_end", "DATE"),
    ("fetched_on", "DATE"), ("_source_file", "VARCHAR"),
]


@pytest.fixture
def sim(loaded_config):
    with SimulatorServer(loaded_config.config, seed=3, mentions_per_night=50, port=0) as server:
        server.set_clock(NOW)
        yield server


@pytest.fixture
def built_home(tmp_path, loaded_config) -> Path:
    home = tmp_path / "home"
    write_config_json(loaded_config, home)  # also makes the warehouse folder
    return home


def land(sim, home: Path, ccns: list[str], today: date):
    policy = RetryPolicy(max_retries=1, sleep=lambda s: None, rng=random.Random(1))
    return fetch_hcahps(f"{sim.url}/cms", ccns, home, today=today, page_size=60, retry=policy)


def ccn_where(sim, column: str, value: str) -> str:
    cms, period = sim.platforms["cms"], reporting_period(NOW.date())
    return next(ccn for ccn in (f"33{i:04d}" for i in range(1000))
                if cms.hospital(ccn, period)[0][column] == value)


def query(home: Path, sql: str) -> list[tuple]:
    with warehouse(home) as con:
        return con.execute(sql).fetchall()


def test_empty_before_a_landing_then_the_newest_complete_landing_typed(sim, built_home):
    run_dbt(built_home, "build", "stg_cms__hcahps")
    assert query(built_home, f"select count(*) from {MODEL}") == [(0,)]
    assert query(built_home, f"select column_name, column_type from (describe {MODEL})") == COLUMNS

    few = ccn_where(sim, "number_of_completed_surveys_footnote", "6")
    none = ccn_where(sim, "number_of_completed_surveys", "Not Available")
    land(sim, built_home, ["140101"], date(2026, 8, 14))  # an older quarter's landing
    landing = land(sim, built_home, ["140101", few, none], NOW.date())
    interrupted = landing_root(built_home) / "fetched=2027-01-05"  # newer, but no manifest
    interrupted.mkdir()
    (interrupted / "page-0001.json").write_text('{"results": [{"facility_id": "999999"}], "count": 1}')
    run_dbt(built_home, "build", "stg_cms__hcahps")

    assert query(built_home, f"select count(*), count(distinct ccn), min(fetched_on), max(fetched_on), "
                             f"min(period_start), max(period_end) from {MODEL}") == [
        (landing.rows, 3, NOW.date(), NOW.date(), date(2025, 7, 1), date(2026, 6, 30))]
    assert query(built_home, f"select distinct _source_file from {MODEL} order by 1")[0] == (
        "benchmarks/hcahps/fetched=2026-11-27/page-0001.json",)
    star = query(built_home, f"select ccn, star_rating, star_rating_footnote, completed_surveys_footnote "
                             f"from {MODEL} where measure_id = 'H_STAR_RATING' order by ccn")
    assert {ccn: row for ccn, *row in star}[few] == [None, "15", "6"]
    assert {ccn: row for ccn, *row in star}[none] == [None, "1", "1"]
    assert 1 <= {ccn: row for ccn, *row in star}["140101"][0] <= 5
    [(question, percent, facility)] = query(
        built_home, f"select question, answer_percent, facility_name from {MODEL} "
                    f"where ccn = '140101' and measure_id = 'H_COMP_1_A_P'")
    assert question == 'Patients who reported that their nurses "Always" communicated well'
    assert 0 <= percent <= 100 and facility == "LAKEMONT MEDICAL CENTER"


def test_a_page_altered_after_landing_fails_the_build_naming_it(sim, built_home):
    landing = land(sim, built_home, ["140101", "140201"], NOW.date())
    page = landing.folder / "page-0002.json"
    page.chmod(0o600)
    page.write_bytes(page.read_bytes().replace(b'"state":"IL"', b'"state":"IN"', 1))
    with pytest.raises(AssertionError, match=r"page-0002\.json does not match the sha256 its manifest lists"):
        run_dbt(built_home, "build", "stg_cms__hcahps")
