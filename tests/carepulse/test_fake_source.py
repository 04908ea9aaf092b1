"""Adding a source takes its registry entry and its own files, nothing else.

A copy of the project gains a fake review source, `fakerev`, made the way
docs/adding-a-source.md says: its own files (cloned from the Google reviews source, renamed)
plus one entry in each shared file the page lists (the registry, extract/items.py, the config,
the raw zone's sources YAML). No other file of the copy is touched. In the copy, the registry
macro and the dbt manifest are regenerated, the registry completeness test passes for the new
source, and one night extracted from the simulator (which serves the new source because the
registry names its class) builds through dbt into the review marts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

NAME = "fakerev"
SKIP = shutil.ignore_patterns(".venv", ".git", "data", "target*", "__pycache__", ".pytest_cache",
                              ".ruff_cache", "dbt_logs", "logs")
# the fake source's own files: each gbp file, renamed
OWN_FILES = {
    "extract/gbp.py": "extract/fakerev.py",
    "extract/simulator/platforms/gbp.py": "extract/simulator/platforms/fakerev.py",
    "dbt_project/models/sources/src_gbp__pages.sql": "dbt_project/models/sources/src_fakerev__pages.sql",
    "dbt_project/macros/sources/gbp.sql": "dbt_project/macros/sources/fakerev.sql",
    "expectations/suites/raw__gbp_reviews.py": "expectations/suites/raw__fakerev_reviews.py",
    **{f"dbt_project/models/staging/gbp/{f}": f"dbt_project/models/staging/fakerev/{f.replace('gbp', NAME)}"
       for f in ("_gbp__models.yml", "base_gbp__reviews.sql", "stg_gbp__reviews.sql",
                 "stg_gbp__review_observations.sql")},
}

NIGHT_SCRIPT = """
import json, os, sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from carepulse.config import load_config
from extract.runner import extract_night
from extract.simulator.server import SimulatorServer
from tests.dbt.conftest import run_dbt, warehouse, write_config_json

home = Path(sys.argv[1])
night = date.today() - timedelta(days=2)
cfg = load_config("config/monitoring.yml")
with SimulatorServer(cfg.config, seed=3, mentions_per_night=20, port=0,
                     clock=datetime.combine(night + timedelta(days=1), datetime.min.time(), UTC)) as sim:
    os.environ["CAREPULSE_SIMULATOR_URL"] = sim.url
    os.environ["CAREPULSE_FAKEREV_CREDENTIALS"] = "fake-client:fake-secret:sim-refresh-fake"
    manifest = extract_night(load_config("config/monitoring.yml"), night, home / "raw", ["fakerev"]).manifest
write_config_json(cfg, home)
run_dbt(home, "run", select="+fct_reviews")
with warehouse(home) as con:
    rows = con.execute("select platform, count(*) from marts.fct_reviews group by 1").fetchall()
print(json.dumps({"status": manifest["status"], "records": manifest["totals"]["records"], "reviews": rows}))
"""


def _clone_own_files(copy: Path) -> None:
    for source, target in OWN_FILES.items():
        text = (ROOT / source).read_text(encoding="utf-8")
        text = text.replace("gbp", NAME).replace("Gbp", "Fakerev").replace("GBP", "FAKEREV")
        (copy / target).parent.mkdir(parents=True, exist_ok=True)
        (copy / target).write_text(text, encoding="utf-8")


def _one_entry_per_shared_file(copy: Path) -> None:
    def edit(path: str, old: str, new: str) -> None:
        text = (copy / path).read_text(encoding="utf-8")
        assert old in text, f"{path} no longer holds {old!r}"
        (copy / path).write_text(text.replace(old, new, 1), encoding="utf-8")

    edit("carepulse/sources.py", "\n)}\n", """
    Source("fakerev", "Fake reviews", "reviews", "extract.fakerev:FakerevConnector",
           "extract.simulator.platforms.fakerev:Fakerev", ("fakerev.reviews.list",),
           (Entity("review", "base_fakerev__reviews", "stg_fakerev__reviews", "post_key",
                   "raw__fakerev_reviews"),),
           "client_id:client_secret:refresh_token", "fake-client:fake-secret:sim-refresh-fake"),
)}
""")
    gbp_items = '    "gbp.reviews.list": Endpoint(_at("reviews"), _key("review", "reviewId")),\n'
    edit("extract/items.py", gbp_items, gbp_items + gbp_items.replace("gbp.", "fakerev."))
    edit("config/monitoring.yml", "\n# News feeds", """
  fakerev:
    endpoint: "${CAREPULSE_SIMULATOR_URL:-http://127.0.0.1:8765}/fakerev"
    auth_endpoint: "${CAREPULSE_SIMULATOR_URL:-http://127.0.0.1:8765}/fakerev"
    credential_env: CAREPULSE_FAKEREV_CREDENTIALS
    page_size: 50

# News feeds""")
    sources_yml = "dbt_project/models/sources/_sources__sources.yml"
    edit(sources_yml, "      - name: gbp_pages\n", """      - name: fakerev_pages
        description: The fake review source's pages.
        config:
          meta:
            location: "platform=fakerev/date=*/run=*/*/*.jsonl.gz"
      - name: gbp_pages
""")


def _run(copy: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CAREPULSE_"))}
    env.update(PYTHONPATH=str(copy), DO_NOT_TRACK="1", CAREPULSE_HOME=str(copy / "data"))
    proc = subprocess.run([sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, (args, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("fake-source") / "project"
    shutil.copytree(ROOT, copy, ignore=SKIP)
    before = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    _clone_own_files(copy)
    _one_entry_per_shared_file(copy)
    _run(copy, "-m", "carepulse.cli", "dbt-manifest")
    changed = {p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()
               and before.get(p.relative_to(copy)) != p.read_bytes()}
    generated = {"dbt_project/macros/registry.sql"}  # written by `carepulse dbt-manifest`
    shared = {"carepulse/sources.py", "extract/items.py", "config/monitoring.yml",
              "dbt_project/models/sources/_sources__sources.yml"}
    touched = {c for c in changed if not c.startswith(("dbt_project/target", "dbt_project/logs"))}
    assert touched == set(OWN_FILES.values()) | shared | generated, sorted(touched)
    return copy


def test_the_registry_test_passes_for_the_new_source(copy):
    proc = _run(copy, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/carepulse/test_sources.py")
    assert re.search(r"\bfakerev\b", proc.stdout) or "passed" in proc.stdout
    assert "failed" not in proc.stdout and "error" not in proc.stdout.lower().replace("0 errors", "")


def test_a_night_of_the_new_source_reaches_the_review_marts(copy):
    proc = _run(copy, "-c", NIGHT_SCRIPT, str(copy / "night-home"))
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["status"] == "complete" and result["records"] > 100, result
    assert dict(result["reviews"]).get(NAME, 0) > 100, result
