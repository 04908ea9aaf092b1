"""The candidate warehouse as data frames, one per marts suite, plus their parameters.

The candidate is opened read-only (GX's SQLAlchemy route to DuckDB is broken in GX 1.x, and
the gate must never hold a write lock), every frame is read, and the connection is closed
before GX runs. Each suite module's SQL selects only the columns it checks; text columns
are reduced to a verdict by the module's `prepare` before GX sees them.

Facts that grow every night (a module with WINDOW_COLUMN) are checked row by row over the
rows the build wrote (their `_loaded_in_build`, or for a mart without it the dates the build
rewrote, `build.int_build_dates`: a backfilled or resumed older night included) and the last
`window_days` days before the reconciled night, so the gate's cost follows the night's data,
not the history kept; window_days=None checks whole tables.
Counts in the reconciliation are computed in DuckDB over whole tables (cheap aggregates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from carepulse.config import PLATFORMS, LoadedConfig
from carepulse.sources import entities
from expectations import suites
from expectations.raw_frames import scan
from expectations.raw_zone import RawNight
from expectations.suites.marts__fct_data_health_nightly import FRESHNESS_MAX_AGE_DAYS

RECONCILIATION = "marts__reconciliation"
HEALTH = "marts__fct_data_health_nightly"
WINDOW_DAYS = 7


@dataclass
class MartsFrames:
    frames: dict[str, pd.DataFrame]
    parameters: dict[str, dict[str, Any]]
    notes: list[str]
    night: date | None  # the night reconciled and checked for freshness


def _newest_night(con: duckdb.DuckDBPyConnection) -> date | None:
    try:
        (night,) = con.execute("select max(night) from marts.fct_data_health_nightly").fetchone()
    except duckdb.Error:
        return None  # the data-health suite reports the unreadable mart
    return night


def read_marts(candidate: Path, raw_root: Path, config: LoadedConfig, night: date | None,
               window_days: int | None = WINDOW_DAYS) -> MartsFrames:
    platforms = sorted(set(config.config.platforms.enabled()) & set(PLATFORMS))
    notes: list[str] = []
    con = duckdb.connect(str(candidate), read_only=True)
    try:
        reconciled = night or _newest_night(con)
        since = reconciled - timedelta(days=window_days) if reconciled and window_days is not None else None
        rewritten = _has_build_dates(con)
        frames = {name: _read(con, suites.module(name), since, notes, rewritten=rewritten)
                  for name in suites.MARTS if name != RECONCILIATION}
        counts = _read(con, suites.module(RECONCILIATION), None, notes,
                       {"night": reconciled, "platforms": platforms})
        if len(counts.columns):
            counts = _reconciliation(counts, raw_root, reconciled, con)
    finally:
        con.close()
    frames[RECONCILIATION] = counts
    parameters = {HEALTH: _freshness(night)}
    low, high = (parameters[HEALTH][k].date() for k in ("freshness_min", "freshness_max"))
    notes += [f"reconciled night: {reconciled}",
              f"rows checked: the dates this build rewrote and those from {since or 'the start'} "
              f"(window_days={window_days})",
              f"freshness: newest night in [{low}, {high}]"]
    return MartsFrames(frames, parameters, notes, reconciled)


def _has_build_dates(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the candidate names the dates its build rewrote (warehouses built before it
    existed do not)."""
    return con.execute("select count(*) from information_schema.tables "
                       "where table_schema = 'build' and table_name = 'int_build_dates'").fetchone()[0] > 0


def _read(con: duckdb.DuckDBPyConnection, mod: Any, since: date | None, notes: list[str],
          params: dict[str, Any] | None = None, rewritten: bool = False) -> pd.DataFrame:
    """The module's frame; a mart that cannot be read becomes a frame without columns, so every
    one of its expectations fails (raised) and the gate fails with the suite named."""
    column = getattr(mod, "WINDOW_COLUMN", None)
    sql, params = mod.SQL, params or {}
    if column and since is not None:
        # NULL dates stay in: their not-null expectation must see them
        rows = f"{column} >= $since or {column} is null"
        table = re.search(r"\bfrom (marts\.\w+)", mod.SQL).group(1)
        if rewritten and _stamped(con, table):
            # the rows this build wrote (read by their stamp), not every row of their dates
            this_build = "_loaded_in_build = (select build_id from build.int_build)"
            stamped = f"select * from {table} where {rows} or {this_build}"
            sql = mod.SQL.replace(f"from {table}", f"from ({stamped}) as {table.split('.')[1]}", 1)
        else:
            also = f" or {column} in (select activity_date from build.int_build_dates)" if rewritten else ""
            sql = f"select * from ({mod.SQL}) as checked where {rows}{also}"
        params = {"since": since}
    try:
        frame = con.execute(sql, params).df()
    except duckdb.Error as error:
        notes.append(f"{mod.NAME}: could not read the mart ({type(error).__name__})")
        return pd.DataFrame()
    return mod.prepare(frame) if hasattr(mod, "prepare") else frame


def _stamped(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    (found,) = con.execute("select count(*) from information_schema.columns where table_schema = ? "
                           "and table_name = ? and column_name = '_loaded_in_build'",
                           [schema, name]).fetchone()
    return found > 0


def _freshness(night: date | None) -> dict[str, pd.Timestamp]:
    """The night being published must be in the mart, and nothing newer than today: a backfill
    of an earlier night keeps the later nights already there. Without a night, a recent one."""
    today = datetime.now(UTC).date()
    if night is not None:
        return {"freshness_min": pd.Timestamp(night), "freshness_max": pd.Timestamp(max(night, today))}
    return {"freshness_min": pd.Timestamp(today - timedelta(days=FRESHNESS_MAX_AGE_DAYS)),
            "freshness_max": pd.Timestamp(today)}


# Comments are staged at their latest snapshot only: a comment of night N seen again on a later
# night is staged under that night. So for the night reconciled, every comment key of its raw
# pages must be staged (at any snapshot) or held back: the count of those found.
def _loaded_comments_sql(platform: str, table: str, key: str) -> str:
    return f"""
select count(distinct key) from (
    select {key} as key from {table} where {key} in (select unnest($keys))
    union all
    select natural_key from staging.stg_quarantine
    where platform = '{platform}' and entity = 'comment' and natural_key in (select unnest($keys))
)
"""


def _reconciliation(warehouse: pd.DataFrame, raw_root: Path, night: date | None,
                    con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Add the raw zone's side (the night's committed pages and manifests) to the warehouse's."""
    frame = warehouse.copy()
    keys: dict[tuple[str, str], set[str]] = {}
    raw_night = RawNight(raw_root, night) if night else None
    if raw_night is not None:
        keys = scan(raw_night).staging_keys
    primary = suites.module(RECONCILIATION).PRIMARY_ENTITY
    frame["raw_posts"] = [len(keys.get((p, primary[p]), ())) for p in frame["platform"]]
    frame["raw_comments"] = [len(keys.get((p, "comment"), ())) for p in frame["platform"]]
    for source, entity in entities():
        comment_keys = sorted(keys.get((source.name, "comment"), ())) if entity.name == "comment" else []
        if comment_keys:
            sql = _loaded_comments_sql(source.name, f"staging.{entity.staged_model}", entity.key)
            (loaded,) = con.execute(sql, {"keys": comment_keys}).fetchone()
            frame.loc[frame["platform"] == source.name, "staged_comments"] = loaded
    frame["manifest_records"] = [raw_night.platform_totals(p)["records"] if raw_night else 0
                                 for p in frame["platform"]]
    return frame[suites.module(RECONCILIATION).COLUMNS]
