"""A private copy of the shared published world, for tests that tamper with evidence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def world_copy(published_world, tmp_path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(published_world["home"], home, symlinks=True)
    for path in home.rglob("*"):  # bundles are sealed read-only; the copy must be editable
        if path.is_file():
            path.chmod(0o644)
    return home
