"""Trying to break a night, as a new user and an attacker would, through the `carepulse` command.

One home and one simulator, in this order:
- two `carepulse run` of one night at once: the second is refused naming the first, which
  publishes a clean night that `audit verify` accepts;
- nights that have not ended are refused before anything is written;
- a night where no platform delivers (every token expired) fails saying so per platform;
- the README's step-by-step flow (extract, transform, validate, publish) seals its evidence;
- an earlier night backfilled after later ones passes the gate, its bundle lists the manifests
  it published, and the failed night shows as failed in data health;
- a missing credential is named up front and stored by its config key;
- a damaged raw file is named by the gate with what to do.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from carepulse.config import load_config
from extract.simulator.server import SimulatorServer
from tests.conftest import CONFIG, ROOT
from tests.e2e.helpers import N1, N2, child_env, night_clock

pytestmark = pytest.mark.slow

FAILED, EARLIER = N1 - timedelta(days=2), N1 - timedelta(days=1)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home = tmp_path_factory.mktemp("break") / "home"
    cfg = load_config(CONFIG)
    env = dict(child_env(cfg), CAREPULSE_HOME=str(home), PYTHONUNBUFFERED="1", COLUMNS="200")
    with SimulatorServer(cfg.config, seed=19, mentions_per_night=40, port=0) as sim:
        sim.set_clock(night_clock(N2))
        env["CAREPULSE_SIMULATOR_URL"] = sim.url
        yield {"home": home, "env": env, "sim": sim}


def cli(world, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "carepulse.cli", *args], cwd=ROOT, env=env or world["env"],
                          capture_output=True, text=True, timeout=900)


def said(proc: subprocess.CompletedProcess) -> str:
    return (proc.stdout + proc.stderr).replace("\n", " ")


def verify(world) -> dict:
    proc = cli(world, "audit", "verify", "--json")
    return json.loads(proc.stdout[proc.stdout.index("{"):])


@pytest.fixture(scope="module")
def concurrent(world):
    """`carepulse run --date N1` twice at once: the second starts while the first writes."""
    lock = world["home"] / ".writer.lock"
    first = subprocess.Popen([sys.executable, "-m", "carepulse.cli", "run", "--date", N1.isoformat()],
                             cwd=ROOT, env=world["env"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not (lock.exists() and "carepulse run" in lock.read_text()):
        time.sleep(0.1)
    second = cli(world, "run", "--date", N1.isoformat())
    extract = cli(world, "extract", "--date", N1.isoformat())
    out, _ = first.communicate(timeout=900)
    return {"first": first, "first_out": out, "second": second, "extract": extract}


def test_a_second_run_of_the_night_is_refused_naming_the_first(world, concurrent):
    assert concurrent["first"].returncode == 0, concurrent["first_out"][-3000:]
    for refused in (concurrent["second"], concurrent["extract"]):
        assert refused.returncode == 4, said(refused)
        text = said(refused)
        assert f"`carepulse run` (pid {concurrent['first'].pid}" in text and f"night(s) {N1}" in text
        assert "wait until it finishes" in text and "Traceback" not in text


def test_the_first_run_published_a_clean_night(world, concurrent):
    runs = list((world["home"] / "raw" / "manifests" / f"date={N1}").glob("run=*/manifest.json"))
    assert len(runs) == 1, runs
    for journal in runs[0].parent.glob("journal/*.jsonl"):
        pages = [json.loads(line)["page"] for line in journal.read_text().splitlines()
                 if json.loads(line)["type"] == "file"]
        assert len(pages) == len(set(pages)), journal
    report = verify(world)
    assert report["ok"], report["problems"]


@pytest.mark.parametrize("offset", [0, 200])
def test_a_night_that_has_not_ended_is_refused(world, concurrent, offset):
    night = (datetime.now(UTC) + timedelta(days=offset)).date().isoformat()
    proc = cli(world, "run", "--date", night)
    assert proc.returncode == 2 and "has not ended" in said(proc) and "run it after" in said(proc)
    assert not list((world["home"] / "raw" / "manifests").glob(f"date={night}"))


def test_a_night_no_platform_delivers_fails_saying_so(world, concurrent):
    world["sim"].faults.add("*", {"kind": "expired_token", "times": 1_000_000})
    # the news needs no credential: its feeds and GDELT are down instead
    world["sim"].faults.add("news", {"kind": "server_error", "status": 503, "times": 1_000_000})
    try:
        proc = cli(world, "run", "--date", FAILED.isoformat())
    finally:
        world["sim"].reset()
        world["sim"].set_clock(night_clock(N2))
    text = said(proc)
    assert proc.returncode == 1, text
    assert f"no platform delivered data for night {FAILED}:" in text
    for platform in load_config(CONFIG).config.platforms.enabled():
        assert f"{platform}: " in text.split("no platform delivered data", 1)[1]
    assert "auth_failed" in text and "expect_column" not in text


def test_step_by_step_publish_is_sealed(world, concurrent):
    night = N2.isoformat()
    for step in (["extract", "--date", night], ["transform", "--date", night], ["validate", "--date", night],
                 ["publish"]):
        proc = cli(world, *step)
        assert proc.returncode == 0, f"{step}: {said(proc)[-3000:]}"
    report = verify(world)
    assert report["ok"], report["problems"]
    assert report["checked"]["bundles"] == 2


@pytest.fixture(scope="module")
def backfilled(world, concurrent):
    """After N1 and N2 were published (and FAILED failed): the night before N1, alone."""
    proc = cli(world, "run", "--date", EARLIER.isoformat())
    return proc


def test_an_earlier_night_backfills_alone(world, backfilled):
    assert backfilled.returncode == 0, said(backfilled)[-4000:]
    report = verify(world)
    assert report["ok"], report["problems"]
    assert not [n for n in report["notes"] if "not yet read by a sealed run" in n], report["notes"]


def test_the_night_no_platform_delivered_shows_as_failed_in_data_health(world, backfilled):
    with duckdb.connect(str(world["home"] / "warehouse" / "carepulse.duckdb"), read_only=True) as con:
        states = dict(con.execute("select platform, health_status from marts.fct_data_health_nightly "
                                  "where night = ?", [FAILED]).fetchall())
    assert states and set(states.values()) == {"failed"}, states


def test_a_missing_credential_is_named_up_front_and_stored_by_config_key(world, backfilled):
    env = {k: v for k, v in world["env"].items() if k != "CAREPULSE_X_BEARER_TOKEN"}
    check = cli(world, "config", "check", env=env)
    assert check.returncode == 0
    assert "x: CAREPULSE_X_BEARER_TOKEN is not set in this environment" in said(check)
    proc = cli(world, "extract", "--date", N1.isoformat(), "--platform", "x", "--fresh", env=env)
    assert proc.returncode == 0, said(proc)
    assert "CAREPULSE_X_BEARER_TOKEN is not set" in said(proc)
    manifests = sorted((world["home"] / "raw" / "manifests" / f"date={N1}").glob("run=*/manifest.json"),
                       key=lambda p: json.loads(p.read_text())["started_at"])
    latest = manifests[-1].read_text()
    assert "platforms.x.credential_env is not set" in latest and "CAREPULSE_X_BEARER_TOKEN" not in latest


def test_a_damaged_raw_file_is_named_by_the_gate(world, backfilled, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(world["home"] / "raw", home / "raw")
    listed = next((home / "raw" / "manifests" / f"date={N2}").glob("run=*/manifest.json"))
    manifest = json.loads(listed.read_text())
    victim = next(f for f in manifest["files"] if f["kind"] == "page" and f["records"])
    path = home / "raw" / victim["path"]
    path.chmod(0o600)
    path.write_bytes(path.read_bytes()[: victim["bytes"] // 2])
    proc = cli(world, "validate", "--date", N2.isoformat(), env=dict(world["env"], CAREPULSE_HOME=str(home)))
    text = said(proc)
    assert proc.returncode == 1
    assert f"raw/{victim['path']} no longer matches the sha256" in text
    assert "restore the file from a backup" in text
    results = json.loads(next(home.glob("audit/*/raw-*/gx_raw_results.json")).read_text())
    assert any(victim["path"] in note for note in results["notes"])
