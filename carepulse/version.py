"""Versions recorded with every run: our code (git commit when available) and key libraries."""

from __future__ import annotations

import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("duckdb", "dbt-core", "dbt-duckdb", "great-expectations", "vaderSentiment",
             "google-api-python-client", "httpx", "apache-airflow")


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


@cache
def code_version() -> dict[str, object]:
    """Package version, git commit and whether the work tree had uncommitted changes."""
    commit = _git("rev-parse", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no")) if commit else None
    try:
        package = metadata.version("carepulse")
    except metadata.PackageNotFoundError:
        package = "unknown"
    return {"package": package, "git_commit": commit, "git_dirty": dirty}


@cache
def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
