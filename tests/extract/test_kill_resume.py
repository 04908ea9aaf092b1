"""SIGKILL the extractor at a random point, rerun: the landed items equal an uninterrupted run's.

The extractor runs as a real `carepulse extract` process against the simulator; the kill
lands after a random number of committed pages (seed printed for reproduction), twice in a
row, before a final rerun completes the night. Counting items over the files the final
manifest lists must give exactly the uninterrupted run's counts: nothing lost, nothing twice.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from carepulse.config import load_config
from carepulse.demo import DEMO_CREDENTIALS
from extract.items import manifest_items
from extract.manifest import ExtractionRun
from extract.simulator.server import SimulatorServer
from tests.conftest import ROOT
from tests.extract.test_extract_simulator import CLOCK, NIGHT

pytestmark = pytest.mark.slow
ENV_NAMES = {p: c.credential_env
             for p, c in load_config(ROOT / "config" / "monitoring.yml").config.platforms.enabled().items()}


def extractor(home: Path, sim_url: str) -> subprocess.Popen:
    env = {**os.environ, "CAREPULSE_HOME": str(home), "CAREPULSE_SIMULATOR_URL": sim_url,
           **{ENV_NAMES[p]: v for p, v in DEMO_CREDENTIALS.items()}}
    return subprocess.Popen(
        [sys.executable, "-m", "carepulse.cli", "extract", "--date", NIGHT.isoformat()],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def committed_pages(raw: Path) -> int:
    return sum(1 for j in raw.glob("manifests/date=*/run=*/journal/*.jsonl")
               for line in j.read_text().splitlines() if '"type":"file"' in line)


def kill_after(proc: subprocess.Popen, raw: Path, pages: int) -> bool:
    """SIGKILL once `pages` pages are committed; False if the run finished first."""
    deadline = time.time() + 120
    while proc.poll() is None and time.time() < deadline:
        if committed_pages(raw) >= pages:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.005)
    proc.wait()
    return False


def finished_manifest(raw: Path) -> tuple[dict, list[ExtractionRun]]:
    runs = ExtractionRun.all_runs(raw, NIGHT)
    return runs[-1].manifest(), runs


def test_sigkill_then_rerun_equals_uninterrupted(loaded_config, tmp_path):
    seed = int(os.environ.get("KILL_SEED") or random.randrange(1 << 30))
    print(f"kill seed {seed}")
    rng = random.Random(seed)
    with SimulatorServer(loaded_config.config, seed=5, mentions_per_night=1500, port=0,
                         clock=CLOCK) as sim:
        clean_home = tmp_path / "clean"
        assert extractor(clean_home, sim.url).wait(300) == 0
        clean, _ = finished_manifest(clean_home / "raw")
        total_pages = clean["totals"]["pages"]
        assert clean["status"] == "complete" and total_pages > 20

        home = tmp_path / "killed"
        kills = 0
        for _ in range(2):
            target = committed_pages(home / "raw") + rng.randint(1, total_pages // 3)
            kills += kill_after(extractor(home, sim.url), home / "raw", target)
        assert kills >= 1
        rerun = extractor(home, sim.url)
        assert rerun.wait(300) == 0, rerun.stderr.read().decode()

    final, runs = finished_manifest(home / "raw")
    assert len(runs) == 1, "a crashed run is resumed, not replaced"
    assert final["status"] == "complete"
    got = Counter(manifest_items(home / "raw", final))
    want = Counter(manifest_items(clean_home / "raw", clean))
    assert got == want
    assert final["totals"]["records"] == clean["totals"]["records"]
