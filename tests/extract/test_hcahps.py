"""CMS HCAHPS benchmarks: the simulated DKAN datastore, and the fetcher against it over HTTP
(paging, retries, malformed pages, the manifest written last, interrupted runs, quarters)."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime

import httpx
import pytest

from carepulse import sources
from extract import hcahps
from extract.hcahps import HcahpsFetchError, due, fetch_hcahps, landing_root, latest_landing
from extract.http import RetryPolicy
from extract.landing import sha256_file
from extract.simulator.cms import reporting_period
from extract.simulator.platforms import json_response
from extract.simulator.server import SimulatorServer

NOW = datetime(2026, 11, 27, 2, tzinfo=UTC)
TODAY = NOW.date()
CCNS = ["140101", "140201", "330002"]  # two of the config's hospitals, one unknown to it
ROWS_PER_HOSPITAL = 68
QUERY = "/cms/provider-data/api/1/datastore/query/dgck-syfz/0"
# Fault rules cannot name "cms" (FaultPlan only knows the registered sources): a wildcard rule
# limited to the datastore path reaches only the CMS API.
ON_CMS = {"path": "/datastore/query/"}


class Killed(Exception):
    """Stands in for the process dying between two pages."""


@pytest.fixture
def sim(loaded_config):
    with SimulatorServer(loaded_config.config, seed=3, mentions_per_night=50, port=0) as server:
        server.set_clock(NOW)
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


def policy(sleeps: list[float]) -> RetryPolicy:
    return RetryPolicy(max_retries=3, backoff_base_s=0.01, backoff_max_s=0.02, max_wait_s=5,
                       timeout_s=10, sleep=sleeps.append, rng=random.Random(1))


def fetch(sim, home, sleeps, ccns=CCNS, today=TODAY, **kw):
    return fetch_hcahps(f"{sim.url}/cms", ccns, home, today=today, page_size=50,
                        retry=policy(sleeps), **kw)


def manifest_of(folder) -> dict:
    return json.loads((folder / "_manifest.json").read_text())


def requests_to_cms(sim) -> dict:
    return sim.stats.snapshot()["requests"].get("cms", {"total": 0, "by_status": {}})


def query(sim, params) -> httpx.Response:
    return httpx.get(f"{sim.url}{QUERY}", params=params, timeout=10)


def ccn_with(sim, surveys: str) -> str:
    """The first CCN the simulator gives this many completed surveys ("Not Available", or a
    footnote: fewer than 100)."""
    cms, period = sim.platforms["cms"], reporting_period(TODAY)
    for i in range(1000):
        row = cms.hospital(f"45{i:04d}", period)[0]
        if surveys in (row["number_of_completed_surveys"], row["number_of_completed_surveys_footnote"]):
            return row["facility_id"]
    raise AssertionError(f"no simulated hospital with {surveys!r}")


# -- the simulated datastore ----------------------------------------------------------------------

def test_the_datastore_parses_dkan_conditions_and_pages(sim):
    listed = {"limit": 100, "offset": 0, "conditions[0][property]": "facility_id",
              "conditions[0][operator]": "in", "conditions[0][value][0]": "140101",
              "conditions[0][value][1]": "140201"}
    body = query(sim, listed).json()
    assert body["count"] == 2 * ROWS_PER_HOSPITAL and len(body["results"]) == 100
    assert body["query"]["conditions"][0]["value"] == ["140101", "140201"]
    assert set(body["schema"].popitem()[1]["fields"]) == set(body["results"][0])
    rest = query(sim, {**listed, "offset": 100}).json()["results"]
    assert len(rest) == 2 * ROWS_PER_HOSPITAL - 100
    single = {"conditions[0][property]": "facility_id", "conditions[0][value]": "140101",
              "conditions[1][property]": "hcahps_measure_id", "conditions[1][value]": "H_STAR_RATING"}
    [row] = query(sim, single).json()["results"]  # operator "=" by default, conditions ANDed
    assert row["facility_name"] == "LAKEMONT MEDICAL CENTER"
    assert row["patient_survey_star_rating"] in tuple("12345")
    assert all(isinstance(v, str) for v in row.values())
    assert query(sim, {"conditions[0][property]": "state", "conditions[0][value]": "IL"}).json()["count"] == 0


def test_the_datastore_refuses_what_dkan_refuses(sim):
    too_many = query(sim, {"limit": 501})
    assert too_many.status_code == 400 and "500" in too_many.json()["message"]
    assert query(sim, {"conditions[0][property]": "nope", "conditions[0][value]": "x"}).status_code == 400
    assert query(sim, {"conditions[0][property]": "facility_id", "conditions[0][operator]": "in",
                       "conditions[0][value]": "140101"}).status_code == 400  # "in" takes a list
    assert httpx.get(f"{sim.url}/cms/provider-data/api/1/datastore/query/xxxx-yyyy/0").status_code == 404


def test_the_control_api_counts_and_resets_cms_like_a_platform(sim):
    assert "cms" not in sources.SOURCES  # reference data, not a source
    query(sim, {"limit": 1})
    control = httpx.Client(base_url=sim.url, timeout=10)
    assert control.get("/_sim/stats").json()["requests"]["cms"]["by_endpoint"] == {"cms.datastore.query": 1}
    control.post("/_sim/faults", json={"*": [{"kind": "rate_limit", "retry_after": 7, **ON_CMS}]})
    limited = query(sim, {"limit": 1})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert control.post("/_sim/reset").json() == {"ok": True}
    assert control.get("/_sim/stats").json()["requests"] == {} and query(sim, {}).status_code == 200


def test_values_are_consistent_and_some_hospitals_are_not_available(sim):
    rows = sim.platforms["cms"].hospital("140101", reporting_period(TODAY))
    by_id = {r["hcahps_measure_id"]: r for r in rows}
    assert len(rows) == len(by_id) == ROWS_PER_HOSPITAL
    shares = [int(by_id[f"H_COMP_1_{a}_P"]["hcahps_answer_percent"]) for a in ("A", "U", "SN")]
    assert sum(shares) == 100
    assert by_id["H_STAR_RATING"]["patient_survey_star_rating"] in ("1", "2", "3", "4", "5")
    assert {(r["start_date"], r["end_date"]) for r in rows} == {("07/01/2025", "06/30/2026")}
    few = sim.platforms["cms"].hospital(ccn_with(sim, "6"), reporting_period(TODAY))
    assert {r["patient_survey_star_rating"] for r in few} == {"Not Applicable", "Not Available"}
    stars = [r for r in few if "STAR" in r["hcahps_measure_id"]]
    assert {r["patient_survey_star_rating_footnote"] for r in stars} == {"15"}
    none = sim.platforms["cms"].hospital(ccn_with(sim, "Not Available"), reporting_period(TODAY))
    assert {r["hcahps_answer_percent"] for r in none} == {"Not Applicable", "Not Available"}


# -- fetching ---------------------------------------------------------------------------------------

def test_every_row_of_the_ccns_lands_verbatim_and_the_manifest_comes_last(sim, home, sleeps, monkeypatch):
    written = []
    write = hcahps.atomic_write
    monkeypatch.setattr(hcahps, "atomic_write",
                        lambda path, data: (written.append(path.name), write(path, data)))
    progress = []
    landing = fetch(sim, home, sleeps, ccns=[*CCNS, CCNS[0]], progress=lambda *a: progress.append(a))
    manifest = manifest_of(landing.folder)
    pages = manifest["pages"]
    assert landing.folder == landing_root(home) / "fetched=2026-11-27"
    assert len(pages) == 5 and written == [p["file"] for p in pages] + ["_manifest.json"]
    rows = [r for p in pages for r in json.loads((landing.folder / p["file"]).read_bytes())["results"]]
    assert len(rows) == manifest["count"] == manifest["rows"] == landing.rows == 3 * ROWS_PER_HOSPITAL
    assert {r["facility_id"] for r in rows} == set(CCNS) and manifest["ccns"] == CCNS  # deduplicated
    for page in pages:
        path = landing.folder / page["file"]
        assert sha256_file(path) == page["sha256"] and page["url"].startswith(f"{sim.url}{QUERY}?")
        assert page["rows"] == len(json.loads(path.read_bytes())["results"])
        assert b'"07\\/01\\/2025"' in path.read_bytes()  # the API's own escaping: the bytes it sent
    assert manifest["period"] == {"start": "2025-07-01", "end": "2026-06-30"} and not manifest["missing_ccns"]
    assert (landing.period_start, landing.period_end) == (date(2025, 7, 1), date(2026, 6, 30))
    assert progress[-1] == (5, 204, 204) and requests_to_cms(sim)["total"] == 5
    assert latest_landing(home) == landing.folder and not due(home, TODAY)


def test_a_429_and_a_503_are_retried_honouring_retry_after(sim, home, sleeps):
    sim.faults.add("*", {"kind": "rate_limit", "retry_after": 1.5, **ON_CMS})
    sim.faults.add("*", {"kind": "server_error", "status": 503, "after": 2, **ON_CMS})
    landing = fetch(sim, home, sleeps)
    assert landing.rows == 3 * ROWS_PER_HOSPITAL and sleeps[0] == 1.5 and len(sleeps) == 2
    assert requests_to_cms(sim)["by_status"] == {"200": 5, "429": 1, "503": 1}


def test_a_persistent_failure_names_the_url_and_lands_no_manifest(sim, home, sleeps):
    sim.faults.add("*", {"kind": "server_error", "times": None, "after": 1, **ON_CMS})
    with pytest.raises(HcahpsFetchError, match=r"offset=50.*gave up after 4 attempts \(HTTP 503"):
        fetch(sim, home, sleeps)
    folder = landing_root(home) / "fetched=2026-11-27"
    assert (folder / "page-0001.json").exists() and not (folder / "_manifest.json").exists()
    assert latest_landing(home) is None and due(home, TODAY)


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
def test_a_malformed_body_names_the_url_and_lands_no_manifest(sim, home, sleeps, kind):
    sim.faults.add("*", {"kind": kind, "after": 1, **ON_CMS})
    with pytest.raises(HcahpsFetchError, match=rf"{sim.url}{QUERY}\?limit=50&offset=50.*not JSON"):
        fetch(sim, home, sleeps)
    assert not (landing_root(home) / "fetched=2026-11-27" / "_manifest.json").exists()
    assert latest_landing(home) is None


@pytest.mark.parametrize(("lie", "message"), [
    (lambda body, n: {**body, "count": body["count"] + n}, "count changed from 204 to 205"),
    (lambda body, n: {"count": body["count"], "data": body["results"]}, "no 'results' list"),
    (lambda body, n: {**body, "results": [{**body["results"][0], "facility_id": "999999"}]},
     "a row of facility '999999', which was not asked for"),
    (lambda body, n: {**body, "results": [*body["results"][:-1], body["results"][0]]},
     r"row 'H_\w+' is repeated"),
    (lambda body, n: {**body, "results": [{**body["results"][0], "end_date": "Q2 2026"}]},
     "an MM/DD/YYYY start_date and end_date"),
])
def test_a_page_that_does_not_fit_the_walk_is_refused(sim, home, sleeps, monkeypatch, lie, message):
    cms, calls = sim.platforms["cms"], []
    answer = cms.query

    def lying(req):
        body = json.loads(answer(req).body)
        calls.append(req)
        return json_response(lie(body, len(calls) - 1) if len(calls) > 1 else body)

    monkeypatch.setattr(cms, "query", lying)
    with pytest.raises(HcahpsFetchError, match=message):
        fetch(sim, home, sleeps)
    assert latest_landing(home) is None


def test_a_killed_run_is_ignored_and_a_rerun_the_same_day_replaces_it(sim, home, sleeps):
    older = fetch(sim, home, sleeps, today=date(2026, 8, 14))

    def die_on_page_2(page, rows, count):
        if page == 2:
            raise Killed

    with pytest.raises(Killed):
        fetch(sim, home, sleeps, progress=die_on_page_2)
    broken = landing_root(home) / "fetched=2026-11-27"
    assert sorted(p.name for p in broken.iterdir()) == ["page-0001.json", "page-0002.json"]
    assert latest_landing(home) == older.folder and due(home, TODAY)
    landing = fetch(sim, home, sleeps)
    assert landing.folder == broken and latest_landing(home) == broken and not due(home, TODAY)
    assert sorted(p.name for p in broken.iterdir()) == ["_manifest.json",
                                                        *(f"page-000{i}.json" for i in range(1, 6))]


def test_a_complete_landing_is_never_rewritten(sim, home, sleeps):
    first = fetch(sim, home, sleeps)
    again = fetch(sim, home, sleeps, ccns=list(reversed(CCNS)))
    assert again == first and requests_to_cms(sim)["total"] == 5  # nothing fetched again
    with pytest.raises(HcahpsFetchError, match="already holds a complete landing of other CCNs"):
        fetch(sim, home, sleeps, ccns=["140101"])


def test_hospitals_without_results_land_with_their_footnotes(sim, home, sleeps):
    unknown, none = "ZZZZZZ", ccn_with(sim, "Not Available")
    landing = fetch(sim, home, sleeps, ccns=[none])
    rows = json.loads((landing.folder / "page-0001.json").read_bytes())["results"]
    assert {r["number_of_completed_surveys_footnote"] for r in rows} == {"1"}
    empty = fetch(sim, home, sleeps, ccns=[unknown], today=date(2026, 12, 1))
    assert (empty.rows, empty.pages, empty.period_start) == (0, 1, None)
    assert manifest_of(empty.folder)["missing_ccns"] == [unknown]


def test_bad_ccns_are_refused_by_name_before_any_request(sim, home, sleeps):
    with pytest.raises(ValueError, match="'14-010'"):
        fetch(sim, home, sleeps, ccns=["140101", "14-010"])
    with pytest.raises(ValueError, match="no CMS certification number"):
        fetch(sim, home, sleeps, ccns=[])
    with pytest.raises(ValueError, match="page_size"):
        fetch_hcahps(f"{sim.url}/cms", CCNS, home, page_size=501)
    assert requests_to_cms(sim)["total"] == 0 and not landing_root(home).exists()


def complete(home, day: str) -> None:
    folder = landing_root(home) / f"fetched={day}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_manifest.json").write_text("{}")


def test_due_once_a_quarter(home):
    assert due(home, date(2026, 9, 30))  # nothing landed yet
    complete(home, "2026-07-01")
    assert not due(home, date(2026, 7, 1)) and not due(home, date(2026, 9, 30))
    assert due(home, date(2026, 10, 1))
    (landing_root(home) / "fetched=2026-12-31").mkdir()  # interrupted: no manifest
    assert latest_landing(home).name == "fetched=2026-07-01" and due(home, date(2026, 12, 31))
    complete(home, "2027-03-31")
    assert not due(home, date(2027, 1, 1)) and due(home, date(2027, 4, 1))
    complete(home, "2026-12-31")  # an older day landed later changes nothing
    assert latest_landing(home).name == "fetched=2027-03-31"
