"""A full disk, for real: CAREPULSE_HOME on a small tmpfs (the tests run as root).

- a night on a nearly full disk is refused before anything is written, in one line that says
  what the step needs, what it used to estimate it and how much is free;
- a publish whose evidence fills the disk leaves the published warehouse as it was, seals
  nothing and leaves no half-done publish; once space is freed, the same candidate publishes
  and `audit verify` accepts it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path

import pytest

from carepulse.publish import record_gate
from extract.landing import sha256_file
from tests.conftest import ROOT
from tests.e2e.helpers import N1

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")]


@contextmanager
def tmpfs(where: Path, size: str):
    where.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(folder: Path) -> Path:
    """Write a filler file until the file system is full."""
    filler = folder / "filler"
    with filler.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * (1 << 16))
                fh.flush()
        except OSError:
            pass
    return filler


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "carepulse.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_a_night_on_a_nearly_full_disk_is_refused_before_it_writes(tmp_path, published_world):
    with tmpfs(tmp_path / "disk", "4m") as disk:
        env = dict(published_world["env"], CAREPULSE_HOME=str(disk / "home"), COLUMNS="200")
        proc = cli(env, "run", "--date", N1.isoformat())
        out = proc.stdout + proc.stderr
        said = " ".join(out.split())  # the console wraps long paths
        assert proc.returncode == 5, out
        assert "extraction not started: it needs about 64 MB free" in said and "MB is free" in said
        assert "Traceback" not in out and len(out.splitlines()) < 30
        assert not (disk / "home" / "raw").exists() or not any((disk / "home" / "raw").rglob("*.gz"))


PUBLISH = textwrap.dedent("""
    import sys
    from pathlib import Path
    from carepulse import nightly
    home = Path(sys.argv[1])
    nightly.publish(home, home / "audit" / "run-full", [])
""")


def test_a_publish_that_fills_the_disk_changes_nothing_and_can_be_redone(tmp_path, published_world):
    source = published_world["home"] / "warehouse" / "carepulse.duckdb"
    size_mb = 2 * source.stat().st_size // (1 << 20) + 48  # room for the publish once freed
    with tmpfs(tmp_path / "disk", f"{size_mb}m") as disk:
        home = disk / "home"
        (home / "warehouse").mkdir(parents=True)
        shutil.copyfile(source, home / "warehouse" / "carepulse.duckdb")
        shutil.copyfile(source, home / "warehouse" / "candidate.duckdb")
        before = sha256_file(home / "warehouse" / "carepulse.duckdb")
        audit = home / "audit" / "run-full"
        audit.mkdir(parents=True)
        record_gate(audit, home / "warehouse" / "candidate.duckdb",
                    {"raw": {"success": True, "failures": []}, "marts": {"success": True, "failures": []}})
        filler = fill(disk)

        proc = subprocess.run([sys.executable, "-c", PUBLISH, str(home)], cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode != 0 and "No space left on device" in proc.stderr, proc.stderr[-2000:]
        assert sha256_file(home / "warehouse" / "carepulse.duckdb") == before
        assert (home / "warehouse" / "candidate.duckdb").exists()
        assert not (home / "warehouse" / "publishing.json").exists()
        assert not (audit / "bundle.json").exists() and not (audit / "publish.json").exists()

        filler.unlink()
        env = dict(published_world["env"], CAREPULSE_HOME=str(home), COLUMNS="200")
        redo = cli(env, "publish", "--run-id", "run-full")
        assert redo.returncode == 0, redo.stdout + redo.stderr
        verify = cli(env, "audit", "verify", "--json")
        report = json.loads(verify.stdout[verify.stdout.index("{"):])
        assert report["ok"], report["problems"]
