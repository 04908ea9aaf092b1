"""Shared fixtures: the project's config, a fresh CAREPULSE_HOME per test."""

from __future__ import annotations

import importlib.machinery
import sys
from datetime import date
from pathlib import Path

import pytest

from carepulse.config import LoadedConfig, load_config

# A pytest-xdist worker's __main__ has neither a file nor a spec, which pyspark's Connect
# modules (imported by Great Expectations once pyspark is installed) take for a doctest run:
# they print "Skipping doctests" and exit the worker. Give the worker's __main__ a spec named
# "__main__": multiprocessing's spawn children then leave their own __main__ alone (a made-up
# __file__ instead made every spawn child try to run that file and die, hanging its pool).
_main = sys.modules["__main__"]
if getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "monitoring.yml"


@pytest.fixture(scope="session")
def loaded_config() -> LoadedConfig:
    return load_config(CONFIG)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CAREPULSE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


# -- one published warehouse shared by the dashboard, lineage and audit tests ---------------------

PUBLISHED_PSEUDONYM_KEY = "published-world-pseudonym-key-0123456789"
PUBLISHED_SEED, PUBLISHED_VOLUME = 11, 200  # the simulator behind it (tests extending it reuse them)


# The longest modules, started first: `make test` hands whole modules to two xdist workers in
# collection order (--no-loadscope-reorder), so these run beside the rest instead of last.
LONGEST_FIRST = ("tests/deploy/test_scheduler_local.py", "tests/e2e/test_nightly.py",
                 "tests/deploy/test_scheduler_celery.py", "tests/e2e/test_break_a_night.py",
                 "tests/dbt/test_marts.py", "tests/e2e/test_disk_full.py", "tests/dbt/test_screening.py",
                 "tests/notify/test_real_night.py")


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        module = item.nodeid.split("::")[0]
        return LONGEST_FIRST.index(module) if module in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the rest keep their order


@pytest.fixture(scope="session")
def published_world(tmp_path_factory, worker_id) -> dict:
    """Two nights run by `carepulse run` against the simulator, published.

    Returns {"home", "nights", "run_id", "audit", "env"}. Built once per test session, only
    when a test asks for it (under pytest-xdist by the first worker that does, the others
    wait for it); tests must treat it as read-only (copy it to tamper with it).
    """
    import json

    from filelock import FileLock

    if worker_id == "master":
        return _build_published_world(tmp_path_factory.mktemp("published"))
    shared = tmp_path_factory.getbasetemp().parent  # this session's, shared by its workers
    done = shared / "published" / "world.json"
    with FileLock(str(shared / "published.lock")):
        if not done.exists():
            world = _build_published_world(shared / "published")
            done.write_text(json.dumps({**world, "nights": [n.isoformat() for n in world["nights"]]},
                                       default=str))
    world = json.loads(done.read_text())
    return {**world, "home": Path(world["home"]), "audit": Path(world["audit"]),
            "nights": [date.fromisoformat(n) for n in world["nights"]]}


def _build_published_world(root: Path) -> dict:
    import os
    import subprocess
    import sys
    from datetime import UTC, datetime, timedelta

    from extract.simulator.server import SimulatorServer

    home = root / "home"
    cfg = load_config(CONFIG)
    # X search reaches 7 days back; tests extending the world add the night after `last`
    last = (datetime.now(UTC) - timedelta(days=3)).date()
    nights = [last - timedelta(days=1), last]
    env = dict(os.environ, CAREPULSE_HOME=str(home), CAREPULSE_CONFIG=str(CONFIG), DO_NOT_TRACK="1",
               CAREPULSE_PSEUDONYM_KEY=PUBLISHED_PSEUDONYM_KEY)
    from carepulse.demo import DEMO_CREDENTIALS
    for name, pcfg in cfg.config.platforms.enabled().items():
        env[pcfg.credential_env] = DEMO_CREDENTIALS[name]
    with SimulatorServer(cfg.config, seed=PUBLISHED_SEED, mentions_per_night=PUBLISHED_VOLUME, port=0) as sim:
        sim.set_clock(datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
                      + timedelta(hours=2))
        env["CAREPULSE_SIMULATOR_URL"] = sim.url
        proc = subprocess.run([sys.executable, "-m", "carepulse.cli", "run", "--start", nights[0].isoformat(),
                               "--end", nights[1].isoformat()], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    audits = sorted((home / "audit").glob("run-*"))
    assert len(audits) == 1, audits
    return {"home": home, "nights": nights, "run_id": audits[0].name, "audit": audits[0], "env": env}
