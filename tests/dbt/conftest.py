"""dbt fixtures: a raw zone extracted from the simulator, config.json, dbt run in-process."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from carepulse.config import LoadedConfig

ROOT = Path(__file__).resolve().parents[2]
DBT_DIR = ROOT / "dbt_project"
PSEUDONYM_KEY = "test-pseudonym-key-for-dbt-0123456789"


def write_config_json(loaded: LoadedConfig, home: Path) -> Path:
    """What the transform step writes before dbt runs: the parsed config as JSON."""
    target = home / "warehouse" / "config.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    doc = {"sha256": loaded.sha256, "path": loaded.path, "config": loaded.config.model_dump(mode="json")}
    target.write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")
    return target


@contextmanager
def dbt_env(home: Path) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("CAREPULSE_HOME", "CAREPULSE_PSEUDONYM_KEY", "DO_NOT_TRACK")}
    os.environ.update(CAREPULSE_HOME=str(home), CAREPULSE_PSEUDONYM_KEY=PSEUDONYM_KEY, DO_NOT_TRACK="1")
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_dbt(home: Path, command: str = "build", select: str = "staging intermediate"):
    """dbt in-process against $CAREPULSE_HOME=home; target and logs stay under home."""
    from dbt.cli.main import dbtRunner

    args = [command, "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
            "--select", select, "--target-path", str(home / "dbt_target"),
            "--log-path", str(home / "dbt_logs"), "--quiet"]
    with dbt_env(home):
        res = dbtRunner().invoke(args)
    results = getattr(res.result, "results", None) or []
    failed = [f"{r.node.unique_id}: {r.status} {r.message}" for r in results
              if str(r.status) in ("error", "fail", "runtime error")]
    assert res.success and res.exception is None, (res.exception, failed)
    return res


@contextmanager
def warehouse(home: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(home / "warehouse" / "candidate.duckdb"), read_only=True)
    try:
        yield con
    finally:
        con.close()


def tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("select table_schema, table_name from information_schema.tables "
                       "order by 1, 2").fetchall()
    return [f'"{s}"."{t}"' for s, t in rows]


def text_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Columns holding text: VARCHAR, lists of VARCHAR, JSON, structs (cast to text)."""
    schema, name = (p.strip('"') for p in table.split("."))
    rows = con.execute("select column_name, data_type from information_schema.columns "
                       "where table_schema = ? and table_name = ?", [schema, name]).fetchall()
    return [c for c, t in rows if re.search(r"VARCHAR|JSON|STRUCT|MAP", t)]


def finished_manifests(raw: Path) -> list[dict]:
    """Every finished extraction run's manifest under a raw zone, oldest night first."""
    return [json.loads(p.read_text()) for p in sorted(raw.glob("manifests/date=*/run=*/manifest.json"))]


def all_text_values(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[str, str]]:
    """(table, value) for every non-empty text value of every table in the warehouse."""
    for table in tables(con):
        cols = text_columns(con, table)
        if not cols:
            continue
        select = ", ".join(f'cast("{c}" as varchar)' for c in cols)
        for row in con.execute(f"select {select} from {table}").fetchall():
            for value in row:
                if value:
                    yield table, value


def ordered_digest(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Content hash of a table, independent of physical row order."""
    import hashlib
    rows = con.execute(f"select * from {table} order by all").fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()
