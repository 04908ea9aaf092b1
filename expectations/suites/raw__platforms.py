"""raw__platforms: one row per platform enabled in the config (or seen in the night's
manifests), summarising the night's finished extraction runs.

Contract: every enabled platform was extracted (at least one finished run covers it); the
platform is a supported one; malformed responses (kept as evidence, counted by the extractor
and retried) stay under MALFORMED_TOLERANCE of the platform's landed files: more means the
API or the connector is misbehaving even though retries filled the gaps.
"""

from __future__ import annotations

from typing import Any

from carepulse.config import PLATFORMS, LoadedConfig
from expectations.raw_zone import RawNight
from expectations.suites import common as c

NAME = "raw__platforms"
MALFORMED_TOLERANCE = 0.10
COLUMNS = ["platform", "enabled", "runs", "pages", "malformed_pages", "malformed_ratio", "status"]


def row(night: RawNight, platform: str, enabled: bool) -> dict[str, Any]:
    totals = night.platform_totals(platform)
    files = totals["pages"] + totals["malformed_pages"]
    return {
        "platform": platform,
        "enabled": enabled,
        "runs": totals["runs"],
        "pages": totals["pages"],
        "malformed_pages": totals["malformed_pages"],
        "malformed_ratio": totals["malformed_pages"] / files if files else 0.0,
        "status": night.platform_status(platform),
    }


def expectations(config: LoadedConfig) -> list:
    return [
        c.in_set("platform", PLATFORMS),
        c.between("runs", 1, None),
        c.between("malformed_ratio", 0, MALFORMED_TOLERANCE),
        c.in_set("status", {"complete", "partial"}),
    ]
