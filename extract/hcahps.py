"""CMS HCAHPS benchmarks: the public patient-survey results of the configured hospitals.

CMS publishes them in its Provider Data Catalog (dataset dgck-syfz, "Patient survey (HCAHPS) -
Hospital", public domain) behind an unauthenticated DKAN datastore API, refreshed quarterly:
one row per hospital and survey measure, every value a string. `fetch_hcahps` pages through
the rows of the given CMS certification numbers (CCNs) and lands each response verbatim:

    <home>/raw/benchmarks/hcahps/fetched=<YYYY-MM-DD>/page-0001.json, page-0002.json, ...
    <home>/raw/benchmarks/hcahps/fetched=<YYYY-MM-DD>/_manifest.json

`_manifest.json` is written last and atomically: it lists every page (file, sha256, URL, rows),
the CCNs, when the pages were fetched and the reporting period they cover. A folder without it
is an interrupted fetch: readers (`latest_landing`, the dbt staging model) ignore it and a
rerun on the same day replaces it. A complete folder is never rewritten.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from carepulse import paths
from extract.http import RetryPolicy, wait_hint
from extract.landing import atomic_write, ensure_dir, sha256_bytes

log = logging.getLogger("extract.hcahps")

DATASET = "dgck-syfz"
QUERY_PATH = "/provider-data/api/1/datastore/query/{dataset}/0"
PAGE_MAX = 500  # DKAN refuses a larger limit
MANIFEST = "_manifest.json"
RETRIED = frozenset({429, 500, 502, 503, 504})
_CCN = re.compile(r"[0-9A-Z]{6}")
_FOLDER = re.compile(r"fetched=(\d{4}-\d{2}-\d{2})")
# A quarterly pull of a few pages: retry briefly, then let the next scheduled run try again.
DEFAULT_RETRY = RetryPolicy(max_retries=4, backoff_base_s=1.0, backoff_max_s=30.0, max_wait_s=120.0,
                            timeout_s=30.0)

Progress = Callable[[int, int, int], None]  # (page number, rows landed so far, rows in all)


class HcahpsFetchError(RuntimeError):
    """The datastore kept failing, or answered something that is not a usable page."""


@dataclass(frozen=True)
class HcahpsLanding:
    """One complete landing, as its manifest describes it."""

    folder: Path
    fetched_on: date
    fetched_at: str
    ccns: tuple[str, ...]
    pages: int
    rows: int
    period_start: date | None
    period_end: date | None

    @classmethod
    def read(cls, folder: Path) -> HcahpsLanding:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        period = doc.get("period") or {}
        return cls(folder, date.fromisoformat(doc["fetched_on"]), doc["fetched_at"], tuple(doc["ccns"]),
                   len(doc["pages"]), doc["rows"], _iso(period.get("start")), _iso(period.get("end")))


def landing_root(home: Path) -> Path:
    return paths.raw_dir(home) / "benchmarks" / "hcahps"


def latest_landing(home: Path) -> Path | None:
    """The newest complete landing folder (one with its manifest), or None."""
    root = landing_root(home)
    folders = sorted(p for p in root.glob("fetched=*")
                     if _FOLDER.fullmatch(p.name) and (p / MANIFEST).is_file()) if root.is_dir() else []
    return folders[-1] if folders else None


def due(home: Path, today: date) -> bool:
    """Whether to fetch: no complete landing yet, or the latest is from an earlier calendar
    quarter than `today` (CMS refreshes the dataset quarterly)."""
    latest = latest_landing(home)
    if latest is None:
        return True
    fetched = date.fromisoformat(_FOLDER.fullmatch(latest.name).group(1))
    return _quarter(fetched) < _quarter(today)


def fetch_hcahps(endpoint: str, ccns: list[str], home: Path, *, client: httpx.Client | None = None,
                 today: date | None = None, progress: Progress | None = None,
                 dataset: str = DATASET, page_size: int = PAGE_MAX,
                 retry: RetryPolicy | None = None) -> HcahpsLanding:
    """Land every HCAHPS row of `ccns` under today's folder and return the landing.

    `endpoint` is the catalog's host root (https://data.cms.gov, or the simulator's /cms).
    `progress` is called after each page is on disk. Raises ValueError for a CCN that is not
    one, HcahpsFetchError when the API keeps failing or answers a malformed page.
    """
    wanted = _validated(ccns)
    if not 1 <= page_size <= PAGE_MAX:
        raise ValueError(f"page_size must be 1..{PAGE_MAX}, got {page_size}")
    today = today or datetime.now(UTC).date()
    folder = landing_root(home) / f"fetched={today.isoformat()}"
    if (folder / MANIFEST).is_file():
        return _already_landed(folder, wanted)
    if folder.exists():
        log.warning("hcahps: replacing the incomplete landing %s (an interrupted fetch)", folder)
        shutil.rmtree(folder)
    ensure_dir(folder)
    retry = retry or DEFAULT_RETRY
    own = client is None
    client = client or httpx.Client(timeout=retry.timeout_s, follow_redirects=True,
                                    headers={"User-Agent": "CarePulse HCAHPS benchmarks"})
    try:
        walk = _Walk(_query_url(endpoint, dataset), wanted, page_size, folder)
        pages = walk.run(client, retry, progress)
    finally:
        if own:
            client.close()
    return _write_manifest(folder, walk, pages, today, dataset)


# -- the walk -------------------------------------------------------------------------------------

@dataclass
class _Walk:
    """Pages through one query, checking each page against the others and landing it."""

    url: str
    ccns: tuple[str, ...]
    page_size: int
    folder: Path
    count: int | None = None
    rows: int = 0
    keys: set[tuple[str, str]] = field(default_factory=set)
    start: date | None = None
    end: date | None = None

    def run(self, client: httpx.Client, retry: RetryPolicy, progress: Progress | None) -> list[dict]:
        pages: list[dict] = []
        while True:
            url = str(httpx.URL(self.url, params=self._params(self.rows)))
            content = _get(client, url, retry)
            results = self._check(url, content)
            pages.append(self._land(len(pages) + 1, url, content, len(results)))
            self.rows += len(results)
            log.info("hcahps: page %d landed (%d of %d rows)", len(pages), self.rows, self.count)
            if progress is not None:
                progress(len(pages), self.rows, self.count)
            if self.rows >= self.count:
                return pages
            if not results:
                raise HcahpsFetchError(f"{url}: an empty page at offset {self.rows}, but count says "
                                       f"{self.count} rows")

    def _params(self, offset: int) -> list[tuple[str, str | int]]:
        # DKAN's bracketed query: facility_id in (ccns)
        return [("limit", self.page_size), ("offset", offset),
                ("conditions[0][property]", "facility_id"), ("conditions[0][operator]", "in"),
                *((f"conditions[0][value][{i}]", ccn) for i, ccn in enumerate(self.ccns))]

    def _check(self, url: str, content: bytes) -> list[dict]:
        """The page's rows, once the page is known to fit the walk so far."""
        results, count = _parse_page(url, content)
        if self.count is None:
            self.count = count
        elif count != self.count:  # the dataset was refreshed mid-walk: pages would mix releases
            raise HcahpsFetchError(f"{url}: count changed from {self.count} to {count} between pages")
        if len(results) > self.page_size or self.rows + len(results) > count:
            raise HcahpsFetchError(f"{url}: {len(results)} rows at offset {self.rows} exceed the "
                                   f"page size {self.page_size} or the count {count}")
        for row in results:
            self._note(url, row)
        return results

    def _note(self, url: str, row: Any) -> None:
        """Refuse a row the staging model's key tests would fail on: a complete landing stays
        the latest for a quarter, so it must not break every build until the next one."""
        ccn = row.get("facility_id") if isinstance(row, dict) else None
        if ccn not in self.ccns:  # the filter was not applied: we would land the whole nation
            raise HcahpsFetchError(f"{url}: a row of facility {ccn!r}, which was not asked for")
        key = (ccn, row.get("hcahps_measure_id"))
        start, end = _mdy(row.get("start_date")), _mdy(row.get("end_date"))
        if not key[1] or key in self.keys or start is None or end is None:
            raise HcahpsFetchError(f"{url}: facility {ccn}'s row {key[1]!r} is repeated, or lacks a "
                                   f"measure id or an MM/DD/YYYY start_date and end_date")
        self.keys.add(key)
        self.start = min(start, self.start or start)
        self.end = max(end, self.end or end)

    def _land(self, page_no: int, url: str, content: bytes, rows: int) -> dict:
        name = f"page-{page_no:04d}.json"
        atomic_write(self.folder / name, content)
        return {"file": name, "sha256": sha256_bytes(content), "bytes": len(content), "url": url,
                "rows": rows}


def _get(client: httpx.Client, url: str, retry: RetryPolicy) -> bytes:
    """The body of a 200 answer; 429, 5xx and network errors are retried a few times."""
    failure = ""
    for attempt in range(retry.max_retries + 1):
        try:
            response = client.get(url, timeout=retry.timeout_s)
        except httpx.TransportError as exc:
            failure, wait = f"{type(exc).__name__}: {exc}", retry.backoff(attempt)
        else:
            if response.status_code == 200:
                return response.content
            failure = f"HTTP {response.status_code}: {response.text[:200]!r}"
            if response.status_code not in RETRIED:
                raise HcahpsFetchError(f"{url}: {failure}")
            hint = wait_hint(response.headers, retry.clock())
            wait = retry.backoff(attempt) if hint is None else hint
        if attempt == retry.max_retries:
            break
        if wait > retry.max_wait_s:
            raise HcahpsFetchError(f"{url}: asked to wait {wait:.0f}s, more than {retry.max_wait_s:.0f}s "
                                   f"({failure})")
        log.warning("hcahps: %s answered %s; retrying in %.1fs", url, failure, wait)
        retry.sleep(wait)
    raise HcahpsFetchError(f"{url}: gave up after {retry.max_retries + 1} attempts ({failure})")


def _parse_page(url: str, content: bytes) -> tuple[list, int]:
    try:
        body = json.loads(content)
    except ValueError as exc:
        raise HcahpsFetchError(f"{url}: the body is not JSON ({exc}): {content[:80]!r}") from None
    results = body.get("results") if isinstance(body, dict) else None
    count = body.get("count") if isinstance(body, dict) else None
    if not isinstance(results, list):
        raise HcahpsFetchError(f"{url}: the body has no 'results' list")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise HcahpsFetchError(f"{url}: the body has no row 'count' (got {count!r})")
    return results, count


# -- landing --------------------------------------------------------------------------------------

def _write_manifest(folder: Path, walk: _Walk, pages: list[dict], today: date,
                    dataset: str) -> HcahpsLanding:
    seen = {ccn for ccn, _ in walk.keys}
    missing = [c for c in walk.ccns if c not in seen]
    if missing:
        log.warning("hcahps: no rows for CCN(s) %s (not in the dataset this quarter?)", ", ".join(missing))
    doc = {
        "manifest_version": 1,
        "source": "CMS Provider Data Catalog: Patient survey (HCAHPS) - Hospital",
        "dataset": dataset,
        "license": "public domain",
        "query_url": walk.url,
        "ccns": list(walk.ccns),
        "missing_ccns": missing,
        "fetched_on": today.isoformat(),
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "count": walk.count,
        "rows": walk.rows,
        "period": {"start": _iso_or_none(walk.start), "end": _iso_or_none(walk.end)},
        "pages": pages,
    }
    atomic_write(folder / MANIFEST, json.dumps(doc, indent=1).encode("utf-8"))
    log.info("hcahps: landed %d rows of %d hospitals in %d page(s) at %s", walk.rows,
             len(seen), len(pages), folder)
    return HcahpsLanding.read(folder)


def _already_landed(folder: Path, wanted: tuple[str, ...]) -> HcahpsLanding:
    """Today's complete landing again (a retried task): kept as it is if it has these CCNs."""
    landing = HcahpsLanding.read(folder)
    if set(landing.ccns) != set(wanted):
        raise HcahpsFetchError(f"{folder} already holds a complete landing of other CCNs "
                               f"({', '.join(landing.ccns)}); landings are never rewritten, fetch again "
                               f"tomorrow or move that folder away")
    log.info("hcahps: %s is already complete, not fetched again", folder)
    return landing


# -- small helpers --------------------------------------------------------------------------------

def _validated(ccns: list[str]) -> tuple[str, ...]:
    for ccn in ccns:
        if not isinstance(ccn, str) or not _CCN.fullmatch(ccn):
            raise ValueError(f"not a CMS certification number: {ccn!r} (6 digits or capital letters)")
    if not ccns:
        raise ValueError("no CMS certification number to fetch")
    return tuple(dict.fromkeys(ccns))


def _query_url(endpoint: str, dataset: str) -> str:
    root = endpoint.rstrip("/").removesuffix("/provider-data/api/1")  # a root given with the API path
    return root + QUERY_PATH.format(dataset=dataset)


def _quarter(day: date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def _mdy(value: Any) -> date | None:
    """CMS's MM/DD/YYYY dates; None for anything else."""
    try:
        return datetime.strptime(value, "%m/%d/%Y").date()
    except (TypeError, ValueError):
        return None


def _iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso_or_none(value: date | None) -> str | None:
    return value.isoformat() if value else None
