"""Free space before each step that writes, and one clear line when the disk fills anyway.

A full disk used to surface as a traceback after the harm was done (a warehouse swapped in
without its evidence, a truncated docs page). Each step now checks the free space of
CAREPULSE_HOME's file system against an estimate of what it writes, and says which estimate it
used; the estimates are generous multiples of what is already there, not guarantees, so a
disk that still fills mid-step ends in `disk_full`: one line naming the step and the file.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from carepulse import paths

MB = 1 << 20
# A first night has no earlier one to measure: room for it.
FIRST_NIGHT_RAW = 64 * MB
BUILD_HEADROOM = 64 * MB  # dbt's temporary tables, the write-ahead log, artifacts
GATE_AND_EVIDENCE = 32 * MB  # GX results and Data Docs, mart hashes, dbt docs, bundle


class NotEnoughSpace(RuntimeError):
    """A step was not started: too little free space for what it writes. Nothing was changed."""


def _mb(n: float) -> str:
    return f"{n / MB:,.0f} MB"


def free_bytes(path: Path) -> int:
    """Free bytes on the file system that holds `path` (or its nearest existing parent)."""
    probe = Path(path).resolve()
    while not probe.exists():
        probe = probe.parent
    return shutil.disk_usage(probe).free


def require(home: Path, step: str, need: int, basis: str) -> None:
    free = free_bytes(home)
    if free < need:
        raise NotEnoughSpace(
            f"{step} not started: it needs about {_mb(need)} free on the file system of {home} "
            f"({basis}), and {_mb(free)} is free; free some space or move CAREPULSE_HOME, then run "
            "again (nothing was changed)")


def raw_night_estimate(home: Path) -> tuple[int, str]:
    """Twice the largest night in the raw zone's recent manifests, or a first-night allowance."""
    import json

    sizes = []
    for manifest in sorted(paths.manifests_dir(home).glob("date=*/run=*/manifest.json"))[-40:]:
        try:
            sizes.append(json.loads(manifest.read_text())["totals"]["bytes"])
        except (OSError, ValueError, KeyError):
            continue
    if not sizes:
        return FIRST_NIGHT_RAW, f"{_mb(FIRST_NIGHT_RAW)} for a first night"
    return 2 * max(sizes), f"twice the largest recent night's raw files, {_mb(max(sizes))}"


def check_extract(home: Path, nights: int) -> None:
    per_night, basis = raw_night_estimate(home)
    require(home, "extraction", nights * per_night, f"{nights} night(s) x {basis}")


def check_transform(home: Path) -> None:
    """The candidate starts as a copy of the published file and grows while dbt builds it."""
    published = paths.warehouse_dir(home) / "carepulse.duckdb"
    size = published.stat().st_size if published.exists() else 0
    raw, _ = raw_night_estimate(home)
    require(home, "transform", 2 * size + 4 * raw + BUILD_HEADROOM,
            f"twice the published warehouse ({_mb(size)}), four times a night's raw files and "
            f"{_mb(BUILD_HEADROOM)} for dbt")


def check_gate_and_publish(home: Path) -> None:
    require(home, "validation and publish", GATE_AND_EVIDENCE, "quality-gate results, Data Docs and "
            "the evidence bundle")


def disk_full(exc: BaseException) -> OSError | None:
    """The ENOSPC/EDQUOT error behind `exc` (itself, or what caused it), if the disk filled."""
    seen = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def disk_full_message(step: str, error: OSError) -> str:
    where = f" writing {error.filename}" if error.filename else ""
    return (f"{step} stopped: the disk is full{where}; the published warehouse is unchanged. Free some "
            "space, then run again (a rerun resumes where this one stopped)")
