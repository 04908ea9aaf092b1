"""The raw zone of one night as data frames, one per raw suite, plus their parameters.

One pass over the night's landed files: each is hashed, its envelope read, its items
counted by extract.items (for raw__pages: the rule the connectors counted its records by), and
the items of current pages turned into rows by the dataset module that owns the endpoint.
Rows hold ids, times, counts, enumerated values and "text present" flags, never the text
itself, so no patient text reaches GX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from carepulse.config import LoadedConfig
from expectations import suites, volume
from expectations.raw_zone import RawNight, ReadPage, previous_nights
from extract import items


@dataclass
class NightScan:
    """What one pass over a night's files yields."""

    entity_rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page_rows: list[dict[str, Any]] = field(default_factory=list)
    staging_keys: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    damaged: list[str] = field(default_factory=list)  # one explanation per missing/altered file


@dataclass
class RawFrames:
    frames: dict[str, pd.DataFrame]
    parameters: dict[str, dict[str, Any]]
    notes: list[str]
    damaged: list[str] = field(default_factory=list)


def damage(page: ReadPage, night: date) -> str | None:
    """What is wrong with a landed file and what to do, naming it; None when it is intact.
    File paths name evidence, never patient text, so they may be shown and stored."""
    entry = page.file.entry
    if page.found and page.sha256_matches and page.envelope is not None:
        return None
    problem = ("is missing" if not page.found else "no longer matches the sha256 its manifest recorded "
               "(changed or cut after landing)" if not page.sha256_matches else "cannot be read")
    manifest = f"manifests/date={night}/run={page.file.run_id}/manifest.json"
    return (f"raw/{entry['path']} {problem} (listed in raw/{manifest}). No build can read the raw zone "
            f"while it is so: restore the file from a backup of the raw zone (the manifest's sha256 "
            f"{str(entry.get('sha256'))[:12]}... identifies the right bytes), then run night {night} again; "
            "raw files are evidence and are never rewritten in place")


def frame(module: ModuleType, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A dataset's rows as a frame with its columns; times as naive UTC (GX's pandas metrics
    drop the zone of zone-aware columns, with a deprecation warning)."""
    result = pd.DataFrame(rows, columns=module.COLUMNS)
    for column in result.columns:
        if isinstance(result[column].dtype, pd.DatetimeTZDtype):
            result[column] = result[column].dt.tz_convert(None)
    return result


def entity_modules() -> dict[str, ModuleType]:
    """Endpoint -> the raw dataset module that reads its items."""
    return {endpoint: mod for name in suites.RAW_ENTITIES
            for mod in [suites.module(name)] for endpoint in mod.ENDPOINTS}


def items_found(page: ReadPage) -> int:
    """The items on a landed page by the rule the connectors counted its records with."""
    if page.envelope is None or page.file.entry.get("kind") != "page":
        return 0
    return items.count(page.file.entry["endpoint"], page.body)


def scan(night: RawNight) -> NightScan:
    """Read every file once: raw__pages rows for all, dataset rows for current pages, and the
    keys staging would load from any committed page (for the marts reconciliation)."""
    owners = entity_modules()
    result = NightScan(entity_rows={mod.NAME: [] for mod in owners.values()})
    pages_module = suites.module("raw__pages")
    for page in night.read_pages():
        result.page_rows.append(pages_module.row(page, items_found(page)))
        problem = damage(page, night.night)
        if problem:
            result.damaged.append(problem)
        endpoint = page.file.entry["endpoint"]
        mod = owners.get(endpoint)
        if mod is None or page.envelope is None or page.file.entry.get("kind") != "page":
            continue
        keys = result.staging_keys.setdefault((mod.PLATFORM, mod.ENTITY), set())
        keys |= mod.staging_keys(endpoint, page.body)
        if page.file.current:
            result.entity_rows[mod.NAME] += mod.rows(endpoint, page.body, page.file.context())
    return result


def volume_bands(night: RawNight) -> dict[str, volume.Band]:
    """The volume band of every raw entity dataset, from the previous nights' manifests."""
    history = [RawNight(night.raw_root, d) for d in previous_nights(night.night, volume.HISTORY_DAYS)]
    bands = {}
    for name in suites.RAW_ENTITIES:
        mod = suites.module(name)
        counts = [n.current_records(mod.ENDPOINTS) for n in history
                  if n.platform_status(mod.PLATFORM) == "complete"]
        bands[name] = volume.band(counts, partial_tonight=night.platform_status(mod.PLATFORM) == "partial")
    return bands


def read_raw(raw_root: Path, night_date: date, config: LoadedConfig) -> RawFrames:
    night = RawNight(raw_root, night_date)
    result = scan(night)
    enabled = set(config.config.platforms.enabled())
    seen = {m for manifest in night.manifests for m in manifest.get("platforms", [])}
    frames: dict[str, pd.DataFrame] = {}
    parameters: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for name, band in volume_bands(night).items():
        mod = suites.module(name)
        if mod.PLATFORM not in enabled | seen:
            continue  # a platform switched off and not extracted tonight has nothing to check
        frames[name] = frame(mod, result.entity_rows[name])
        parameters[name] = band.parameters()
        upper = "no upper bound" if band.max_value is None else band.max_value
        notes.append(f"{name}: {len(frames[name])} rows, volume band [{band.min_value}, {upper}] "
                     f"({band.rule})")
    frames["raw__pages"] = frame(suites.module("raw__pages"), result.page_rows)
    platforms = suites.module("raw__platforms")
    platform_rows = [platforms.row(night, p, p in enabled) for p in sorted(enabled | seen)]
    frames["raw__platforms"] = frame(platforms, platform_rows)
    notes += [f"{r['platform']}: {r['malformed_pages']} malformed of "
              f"{r['pages'] + r['malformed_pages']} landed files ({r['malformed_ratio']:.1%})"
              for r in platform_rows]
    return RawFrames(frames, parameters, notes + result.damaged, result.damaged)
