"""raw__pages: one row per file the night's finished manifests list (every run, current or
superseded), checked against the manifest.

Contract: the file is there and its bytes hash to the manifest's sha256 (raw is evidence:
nothing may alter it); its envelope line reads; kind is page or malformed; HTTP 200 (or 304
on a conditional feed read: the feed had nothing new); the
platform and endpoint are ones the extractors know (a new value means code and data drifted
apart); the items on the page are as many as the manifest's record count says.
"""

from __future__ import annotations

from typing import Any

from carepulse.config import PLATFORMS, LoadedConfig
from expectations.raw_zone import ReadPage
from expectations.suites import common as c
from extract.items import KEYS

NAME = "raw__pages"
COLUMNS = ["platform", "endpoint", "kind", "http_status", "http_status_ok", "file_found",
           "sha256_matches", "envelope_readable", "records", "items_found"]
# statuses a landed page may have besides 200, per endpoint
NOT_MODIFIED_OK = {"news.feed"}


def row(page: ReadPage, items_found: int) -> dict[str, Any]:
    entry = page.file.entry
    return {
        "platform": page.file.platform,
        "endpoint": entry.get("endpoint"),
        "kind": entry.get("kind"),
        "http_status": entry.get("http_status"),
        "http_status_ok": entry.get("http_status") == 200
        or (entry.get("http_status") == 304 and entry.get("endpoint") in NOT_MODIFIED_OK),
        "file_found": page.found,
        "sha256_matches": page.sha256_matches,
        "envelope_readable": page.envelope is not None,
        "records": entry.get("records"),
        "items_found": items_found,
    }


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("platform", "endpoint", "kind", "records"),
        *c.all_true("file_found", "sha256_matches", "envelope_readable", "http_status_ok"),
        c.in_set("platform", PLATFORMS),
        c.in_set("endpoint", KEYS),
        c.in_set("kind", {"page", "malformed"}),
        c.equal("items_found", "records"),
    ]
