"""Shared fixtures: the project's config, a fresh CAREPULSE_HOME per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from carepulse.config import LoadedConfig, load_config

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "monitoring.yml"


@pytest.fixture(scope="session")
def loaded_config() -> LoadedConfig:
    return load_config(CONFIG)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CAREPULSE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"
