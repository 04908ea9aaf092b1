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
Counts in the reconciliation are computed in the warehouse over whole tables (cheap aggregates).

Two engines (expectations/engines.py): `read_marts` opens the candidate DuckDB file and gives
pandas frames; `read_marts_spark` reads the same tables from a SparkSession's metastore and
gives Spark DataFrames (GX validates them with its Spark datasource). The SQL, the rows read
and the suites are the same; on Spark the SQL is translated by sqlglot. A `prepare` that needs
Python over text runs on Spark as a pandas UDF (suites/common.py, without_phi): the text stays
in Spark and only its verdict reaches GX. The reconciliation's few count rows (one per platform)
come to pandas to add the raw zone's side, then go back to Spark to be validated.
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
from expectations.engines import DuckDBWarehouse, SparkWarehouse, warehouse
from expectations.raw_frames import scan
from expectations.raw_zone import RawNight
from expectations.suites.marts__fct_data_health_nightly import FRESHNESS_MAX_AGE_DAYS

RECONCILIATION = "marts__reconciliation"
HEALTH = "marts__fct_data_health_nightly"
WINDOW_DAYS = 7
Warehouse = DuckDBWarehouse | SparkWarehouse


@dataclass
class MartsFrames:
    frames: dict[str, Any]  # pandas frames (DuckDB) or Spark DataFrames (Spark)
    parameters: dict[str, dict[str, Any]]
    notes: list[str]
    night: date | None  # the night reconciled and checked for freshness


def _newest_night(db: Warehouse) -> date | None:
    try:
        night = db.scalar("select max(night) from marts.fct_data_health_nightly")
    except db.errors:
        return None  # the data-health suite reports the unreadable mart
    return night.date() if isinstance(night, datetime) else night


def read_marts(candidate: Path, raw_root: Path, config: LoadedConfig, night: date | None,
               window_days: int | None = WINDOW_DAYS) -> MartsFrames:
    """The marts frames (pandas) of the candidate DuckDB file, opened read-only."""
    con = duckdb.connect(str(candidate), read_only=True)
    try:
        return _read_marts(DuckDBWarehouse(con), raw_root, config, night, window_days)
    finally:
        con.close()


def read_marts_spark(spark: Any, raw_root: Path, config: LoadedConfig, night: date | None,
                     window_days: int | None = WINDOW_DAYS) -> MartsFrames:
    """The marts frames (Spark DataFrames) of the candidate held by the SparkSession's metastore
    (schemas marts, intermediate, staging, build as dbt-spark builds them)."""
    return _read_marts(SparkWarehouse(spark), raw_root, config, night, window_days)


def _read_marts(db: Warehouse, raw_root: Path, config: LoadedConfig, night: date | None,
                window_days: int | None) -> MartsFrames:
    platforms = sorted(set(config.config.platforms.enabled()) & set(PLATFORMS))
    notes: list[str] = []
    reconciled = night or _newest_night(db)
    since = reconciled - timedelta(days=window_days) if reconciled and window_days is not None else None
    rewritten = _has_build_dates(db)
    frames = {name: _read(db, suites.module(name), since, notes, rewritten=rewritten)
              for name in suites.MARTS if name != RECONCILIATION}
    counts = _read(db, suites.module(RECONCILIATION), None, notes,
                   {"night": reconciled, "platforms": platforms})
    if len(counts.columns):
        counts = _reconciliation(counts, raw_root, reconciled, db)
    frames[RECONCILIATION] = counts
    parameters = {HEALTH: _freshness(night)}
    low, high = (parameters[HEALTH][k].date() for k in ("freshness_min", "freshness_max"))
    notes += [f"reconciled night: {reconciled}",
              f"rows checked: the dates this build rewrote and those from {since or 'the start'} "
              f"(window_days={window_days})",
              f"freshness: newest night in [{low}, {high}]"]
    if db.engine != "duckdb":
        notes.append(f"engine: {db.engine}")
    return MartsFrames(frames, parameters, notes, reconciled)


def _has_build_dates(db: Warehouse) -> bool:
    """Whether the candidate names the dates its build rewrote (warehouses built before it
    existed do not)."""
    return db.has_table("build", "int_build_dates")


def _read(con: Any, mod: Any, since: date | None, notes: list[str],
          params: dict[str, Any] | None = None, rewritten: bool = False) -> Any:
    """The module's frame; a mart that cannot be read becomes a frame without columns, so every
    one of its expectations fails (raised) and the gate fails with the suite named.
    `con`: a DuckDB connection, a SparkSession, or a reader of engines.py."""
    db = warehouse(con)
    column = getattr(mod, "WINDOW_COLUMN", None)
    sql, params = mod.SQL, params or {}
    if column and since is not None:
        # NULL dates stay in: their not-null expectation must see them
        rows = f"{column} >= $since or {column} is null"
        table = re.search(r"\bfrom (marts\.\w+)", mod.SQL).group(1)
        if rewritten and _stamped(db, table):
            # the rows this build wrote (read by their stamp), not every row of their dates
            this_build = "_loaded_in_build = (select build_id from build.int_build)"
            stamped = f"select * from {table} where {rows} or {this_build}"
            sql = mod.SQL.replace(f"from {table}", f"from ({stamped}) as {table.split('.')[1]}", 1)
        else:
            also = f" or {column} in (select activity_date from build.int_build_dates)" if rewritten else ""
            sql = f"select * from ({mod.SQL}) as checked where {rows}{also}"
        params = {"since": since}
    try:
        frame = db.frame(sql, params)
        return db.settle(mod.prepare(frame) if hasattr(mod, "prepare") else frame)
    except db.errors as error:
        notes.append(f"{mod.NAME}: could not read the mart ({type(error).__name__})")
        return db.empty()


def _stamped(db: Warehouse, table: str) -> bool:
    schema, name = table.split(".")
    return db.has_column(schema, name, "_loaded_in_build")


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


def _reconciliation(warehouse_counts: Any, raw_root: Path, night: date | None, db: Warehouse) -> Any:
    """Add the raw zone's side (the night's committed pages and manifests) to the warehouse's
    (a few count rows, one per platform: in pandas on either engine, then back to the engine)."""
    frame = db.to_pandas(warehouse_counts).copy()
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
            loaded = db.scalar(sql, {"keys": comment_keys})
            frame.loc[frame["platform"] == source.name, "staged_comments"] = loaded
    frame["manifest_records"] = [raw_night.platform_totals(p)["records"] if raw_night else 0
                                 for p in frame["platform"]]
    return db.from_pandas(frame[suites.module(RECONCILIATION).COLUMNS])
