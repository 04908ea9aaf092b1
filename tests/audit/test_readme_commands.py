"""The README's read-only commands run as written on a published warehouse, whatever today's
date: no example may name a night a fresh demo does not hold."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# commands that only read what a night published (the others extract, build or serve)
READ_ONLY = ("lineage trace", "lineage columns", "audit verify", "config check", "raw purge --dry-run")


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    lines = [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("uv run carepulse ")
            and any(f"carepulse {c}" in line for c in READ_ONLY)]


def test_the_readme_shows_read_only_commands():
    assert len(readme_commands()) >= 4


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_runs_as_written(command, published_world):
    args = shlex.split(command)[3:]  # after "uv run carepulse"
    env = dict(published_world["env"], CAREPULSE_HOME=str(published_world["home"]))
    env.pop("CAREPULSE_SIMULATOR_URL", None)
    proc = subprocess.run([sys.executable, "-m", "carepulse.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    assert "no row" not in proc.stdout + proc.stderr
