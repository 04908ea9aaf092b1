"""A night's cost follows that night's data: each build reads only the runs it has not loaded.

Four nights are extracted from the simulator once; night 3 twice (a run left partial by a
quota fault, then its continuation). Homes are assembled from those runs in different
orders and built with `dbt run` after each arrival, on the same warehouse file, as the
nightly chain does. Every order must give exactly the content of one build over all runs;
a build with nothing new must change nothing and not grow the file; and the last build of
a night must have read that night's files alone.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from carepulse import sources
from carepulse.config import load_config
from carepulse.demo import DEMO_CREDENTIALS
from extract.http import RetryPolicy
from extract.runner import extract_night
from extract.simulator.server import SimulatorServer
from tests.conftest import CONFIG
from tests.dbt.conftest import DBT_DIR, dbt_env, run_dbt, write_config_json

pytestmark = pytest.mark.slow

LAST = (datetime.now(UTC) - timedelta(days=2)).date()
N1, N2, N3, N4 = (LAST - timedelta(days=d) for d in (3, 2, 1, 0))
LAYERS = ("staging", "intermediate", "marts")
SELECT = "staging intermediate marts"


def _policy() -> RetryPolicy:
    return RetryPolicy(max_retries=2, backoff_base_s=0.01, backoff_max_s=0.05, max_wait_s=60,
                       timeout_s=5, sleep=lambda s: None)


def _clock(night):
    return datetime.combine(night + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=2)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """{"raw": the cache's raw root, "N3-partial"/"N3-rest"/night: [run ids]}, extracted once."""
    raw = tmp_path_factory.mktemp("incremental-cache") / "raw"
    saved = {k: os.environ.get(k) for k in ("CAREPULSE_SIMULATOR_URL",)}
    loaded = load_config(CONFIG)
    for platform in loaded.config.platforms.enabled():
        os.environ.setdefault(getattr(loaded.config.platforms, platform).credential_env,
                              DEMO_CREDENTIALS[platform])
    out: dict = {"raw": raw}
    try:
        with SimulatorServer(loaded.config, seed=5, mentions_per_night=120, port=0) as sim:
            os.environ["CAREPULSE_SIMULATOR_URL"] = sim.url
            loaded = load_config(CONFIG)
            for night in (N1, N2, N3, N4):
                sim.set_clock(_clock(night))
                if night == N3:  # a run left partial, then its continuation
                    sim.faults.add("x", {"kind": "quota", "after": 1})
                    extract_night(loaded, night, raw, policy_factory=_policy)
                    out["N3-partial"] = _run_ids(raw, night)
                    sim.faults.clear()
                extract_night(loaded, night, raw, policy_factory=_policy)
                out[night] = _run_ids(raw, night)
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    out["N3-rest"] = [r for r in out[N3] if r not in out["N3-partial"]]
    assert out["N3-partial"] and out["N3-rest"], "night 3 should have a partial run and a continuation"
    return out


def _run_ids(raw: Path, night) -> list[str]:
    return sorted(p.name.removeprefix("run=") for p in (raw / "manifests" / f"date={night}").glob("run=*")
                  if (p / "manifest.json").exists())


def _arrive(raw: Path, home: Path, run_ids: list[str]) -> None:
    """Link these runs' folders (pages of every platform, manifest) into home's raw zone."""
    for run_id in run_ids:
        for src in raw.glob(f"*/date=*/run={run_id}"):
            dst = home / "raw" / src.relative_to(raw)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(src, target_is_directory=True)


def _home(tmp_path: Path, loaded_config) -> Path:
    home = tmp_path / "home"
    write_config_json(loaded_config, home)
    run_dbt(home, "seed", "resource_type:seed")  # the reference lists the analysis marts read
    return home


def _db(home: Path) -> Path:
    return home / "warehouse" / "candidate.duckdb"


BUILD_BOOKKEEPING = ("_loaded_in_build", "_moved_from_published_at")


def content(db: Path) -> dict[str, str]:
    """An ordered digest of every table and view of the layers, without the build bookkeeping
    that differs by construction: _loaded_in_build (the build that wrote a row) and
    _moved_from_published_at (the date a build moved a row from)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute("select table_schema, table_name from information_schema.tables "
                             f"where table_schema in {LAYERS} order by 1, 2").fetchall()
        out = {}
        for schema, table in tables:
            rows = con.execute(f"select columns(lambda c: c not in {BUILD_BOOKKEEPING}) "
                               f"from {schema}.{table}").fetchall()
            out[f"{schema}.{table}"] = sorted(map(repr, rows))
        return out
    finally:
        con.close()


STAGED_POSTS = [(entity.staged_model, entity.key) for _, entity in sources.entities()]

# The sentiment cache keeps the scores of texts a post no longer shows (a later snapshot
# edited it), so an incremental history holds a superset of one build's rows.
CACHE = "intermediate.int_sentiment_scores"


def differing(a: dict, b: dict) -> list[str]:
    """Tables whose content differs between incremental `a` and reference `b`, each with its
    rows found only in `a` and only in `b` (a sample)."""
    out = []
    for t in sorted(a.keys() | b.keys()):
        extra, missing = set(a.get(t, [])) - set(b.get(t, [])), set(b.get(t, [])) - set(a.get(t, []))
        if missing or (extra and t != CACHE):
            out.append(f"{t}: {len(extra)} rows only incremental, {len(missing)} only in one build; "
                       f"e.g. {sorted(extra)[:1]} / {sorted(missing)[:1]}")
    return out


@pytest.fixture(scope="module")
def reference(runs, loaded_config, tmp_path_factory) -> dict:
    """One build over every run."""
    home = _home(tmp_path_factory.mktemp("reference"), loaded_config)
    _arrive(runs["raw"], home, [r for n in (N1, N2, N3, N4) for r in runs[n]])
    run_dbt(home, "run", SELECT)
    return content(_db(home))


def test_nights_in_order_with_a_resumed_night_equal_one_build(runs, reference, loaded_config, tmp_path):
    home = _home(tmp_path, loaded_config)
    for arriving in ([*runs[N1], *runs[N2]], runs["N3-partial"], [*runs["N3-rest"], *runs[N4]]):
        _arrive(runs["raw"], home, arriving)
        run_dbt(home, "run", SELECT)
    found = differing(content(_db(home)), reference)

    assert found == []


def test_nights_out_of_order_equal_one_build(runs, reference, loaded_config, tmp_path):
    home = _home(tmp_path, loaded_config)
    for arriving in ([*runs[N1], *runs[N4]], runs[N3], runs[N2]):  # N3 and N2 after N4
        _arrive(runs["raw"], home, arriving)
        run_dbt(home, "run", SELECT)
    found = differing(content(_db(home)), reference)

    assert found == []


def test_a_build_reads_only_the_runs_it_loads_and_a_rerun_changes_nothing(runs, loaded_config, tmp_path):
    home = _home(tmp_path, loaded_config)
    _arrive(runs["raw"], home, [r for n in (N1, N2, N3) for r in runs[n]])
    run_dbt(home, "run", SELECT)
    _arrive(runs["raw"], home, runs[N4])
    run_dbt(home, "run", SELECT)

    con = duckdb.connect(str(_db(home)), read_only=True)
    try:
        (build,) = con.execute("select _loaded_in_build from staging.stg_raw__loaded_manifests "
                               f"where night = '{N4}'").fetchone()
        ledger = con.execute("select night, run_id from staging.stg_raw__loaded_manifests "
                             "where _loaded_in_build = ?", [build]).fetchall()
        files = con.execute("select distinct night from staging.stg_raw__manifest_files "
                            "where _loaded_in_build = ?", [build]).fetchall()
        older_rows = con.execute("select count(*) from staging.stg_raw__manifest_files "
                                 "where night < ? and _loaded_in_build = ?", [N4, build]).fetchone()[0]
        staged = {k for (k,) in con.execute(" union ".join(
            f"select {key} from staging.{model} where _loaded_in_build = $build"
            for model, key in STAGED_POSTS), {"build": build}).fetchall()}
        rewritten = {k for (k,) in con.execute("select post_key from intermediate.int_posts_unified "
                                               "where _loaded_in_build = ?", [build]).fetchall()}
    finally:
        con.close()
    assert sorted(r for _, r in ledger) == runs[N4] and {n for n, _ in ledger} == {N4}
    assert files == [(N4,)] and older_rows == 0
    # an older post is not rewritten because its author was seen again (its follower count is
    # the one captured with it): the night's cost does not grow with the authors' histories
    assert rewritten and rewritten - staged == set()
    # what the build ran: each page reader's file list names the new night's pages alone, and
    # only the base models read pages (through the ephemeral src_ readers): one parse per page
    compiled = list((home / "dbt_target" / "compiled").rglob("*.sql"))
    readers = {f.stem for f in compiled if re.search(r"platform=\w+/date=", f.read_text())}
    assert readers and all(r.startswith(("base_", "src_")) for r in readers), readers
    read = {m for f in compiled for m in re.findall(r"platform=\w+/date=([\d-]+)/", f.read_text())}
    assert read == {str(N4)}, read

    before, size = content(_db(home)), _db(home).stat().st_size
    run_dbt(home, "run", SELECT)  # nothing new landed
    assert differing(content(_db(home)), before) == []
    # nothing rewritten: the file may only gain the few blocks DuckDB takes for the Python
    # models' empty results (each is registered as a table before the merge), never a table's
    # worth; how many depends on how dbt's two threads interleave (4 and 5 blocks were seen)
    assert _db(home).stat().st_size <= size + 8 * 262_144


def test_a_page_listed_by_another_run_fails_the_build_naming_it(runs, loaded_config, tmp_path):
    """The envelope's run id must be the run whose manifest lists the page: checked in the one
    read of each page, so the build fails and names the file."""
    home = _home(tmp_path, loaded_config)
    _arrive(runs["raw"], home, runs[N1])
    (page,) = sorted((home / "raw").glob("platform=x/date=*/run=*/*/page-*.jsonl.gz"))[:1]
    import gzip
    import json

    envelope = json.loads(gzip.decompress(page.read_bytes()))
    envelope["run_id"] = "some-other-run"
    target = page.resolve()
    page.parent.parent.unlink()  # replace the run's symlink by a copy that holds the moved page
    _copy_run(runs["raw"], home, runs[N1][0], "x")
    copied = home / "raw" / page.relative_to(home / "raw")
    copied.write_bytes(gzip.compress((json.dumps(envelope) + "\n").encode()))
    assert target.exists()
    from dbt.cli.main import dbtRunner

    with dbt_env(home):
        res = dbtRunner().invoke(["run", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
                                  "--select", SELECT, "--target-path", str(home / "dbt_target"),
                                  "--log-path", str(home / "dbt_logs"), "--quiet"])
    errors = [r.message for r in res.result.results if str(r.status) == "error"]
    assert not res.success
    moved = str(copied.relative_to(home / "raw"))
    assert errors and all(moved in m and "some-other-run" in m for m in errors)


def _copy_run(raw: Path, home: Path, run_id: str, platform: str) -> None:
    import shutil

    for src in raw.glob(f"platform={platform}/date=*/run={run_id}"):
        shutil.copytree(src, home / "raw" / src.relative_to(raw), symlinks=False)
