"""Where runtime data lives: everything under $CAREPULSE_HOME (default ./data)."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    return Path(os.environ.get("CAREPULSE_HOME") or "data")


def raw_dir(root: Path | None = None) -> Path:
    return (root or home()) / "raw"


def manifests_dir(root: Path | None = None) -> Path:
    return raw_dir(root) / "manifests"


def warehouse_dir(root: Path | None = None) -> Path:
    return (root or home()) / "warehouse"


def audit_dir(root: Path | None = None) -> Path:
    return (root or home()) / "audit"


def lineage_dir(root: Path | None = None) -> Path:
    return (root or home()) / "lineage"
