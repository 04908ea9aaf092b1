"""Row-by-row equality of two warehouses built by different engines, read through DuckDB.

A DuckDB-built warehouse is a DuckDB file; a Spark-built one is published as a pointer file of
views over a parquet snapshot (transform/spark_warehouse.py). Both are read with DuckDB into
Python values (not pandas, whose NaN/NaT and dtype coercions would hide differences), and
compared after this normalisation of types, nothing more:

- columns are matched by name (Spark keeps partition columns last); both sides must have the same
  column names;
- integers of any width compare as Python ints, DECIMALs as exact Decimal values (0.50 == 0.5);
- DOUBLE/REAL are rounded to 12 significant digits: the engines may add in another order;
- JSON (a DuckDB type) and the same document as text (Spark has no JSON type) compare as the
  parsed document;
- lists and structs compare element by element under the same rules; timestamps are naive UTC;
- the build bookkeeping (_loaded_in_build: which build wrote a row; _moved_from_published_at)
  differs between any two builds by construction and is left out.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb

BOOKKEEPING = ("_loaded_in_build", "_moved_from_published_at")


def _columns(con, alias: str, schema: str, table: str) -> dict[str, str]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ?", [alias, schema, table]).fetchall()
    return {name: kind for name, kind in rows if name not in BOOKKEEPING}


def _tables(con, alias: str, schema: str) -> set[str]:
    rows = con.execute("select table_name from information_schema.tables where table_catalog = ? "
                       "and table_schema = ?", [alias, schema]).fetchall()
    return {r[0] for r in rows}


def normal(value, kind: str = ""):
    """The comparable form of one value (see the module docstring)."""
    if value is None:
        return None
    if kind == "JSON" and isinstance(value, str):
        return _doc(json.loads(value))
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return _doc(json.loads(value))
        except ValueError:
            return value
    if isinstance(value, list | tuple):
        return tuple(normal(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, normal(v)) for k, v in value.items()))
    return value


def _doc(value):
    """A parsed JSON document as a hashable value."""
    if isinstance(value, dict):
        return tuple(sorted((k, _doc(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_doc(v) for v in value)
    return normal(value)


def rows(con, alias: str, schema: str, table: str, columns: list[str],
         kinds: dict[str, str]) -> list[tuple]:
    select = ", ".join(f'"{c}"' for c in columns)
    fetched = con.execute(f'select {select} from "{alias}"."{schema}"."{table}"').fetchall()
    return sorted((tuple(normal(v, kinds[c]) for v, c in zip(row, columns, strict=True)) for row in fetched),
                  key=repr)


def compare(left: Path, right: Path,
            schemas: tuple[str, ...] = ("marts",)) -> tuple[dict[str, str], list[str]]:
    """({schema.table: what differs}, ["schema.table (n rows)" compared]) over every table of
    `schemas` in either warehouse; the first is empty when they are equal."""
    con = duckdb.connect()
    problems: dict[str, str] = {}
    compared = []
    try:
        con.execute(f"attach '{left}' as l (read_only)")
        con.execute(f"attach '{right}' as r (read_only)")
        for schema in schemas:
            for table in sorted(_tables(con, "l", schema) | _tables(con, "r", schema)):
                name = f"{schema}.{table}"
                lcols, rcols = _columns(con, "l", schema, table), _columns(con, "r", schema, table)
                if not lcols or not rcols:
                    problems[name] = f"only in {'left' if lcols else 'right'}"
                    continue
                if set(lcols) != set(rcols):
                    problems[name] = (f"columns differ: only left {sorted(set(lcols) - set(rcols))}, "
                                      f"only right {sorted(set(rcols) - set(lcols))}")
                    continue
                columns = sorted(lcols)
                a = rows(con, "l", schema, table, columns, lcols)
                b = rows(con, "r", schema, table, columns, rcols)
                compared.append(f"{name} ({len(a)} rows)")
                if a != b:
                    problems[name] = _difference(columns, a, b)
    finally:
        con.close()
    return problems, compared


def _difference(columns: list[str], a: list[tuple], b: list[tuple]) -> str:
    only_a = [r for r in a if r not in set(b)]
    only_b = [r for r in b if r not in set(a)]
    text = f"{len(a)} vs {len(b)} rows; {len(only_a)} only left, {len(only_b)} only right"
    if only_a and only_b:
        pairs = zip(columns, only_a[0], only_b[0], strict=True)
        diff = [f"{c}: {x!r} != {y!r}" for c, x, y in pairs if x != y]
        text += "; first pair differs in " + ", ".join(diff[:6])
    elif only_a or only_b:
        text += f"; e.g. {dict(zip(columns, (only_a or only_b)[0], strict=True))}"
    return text
