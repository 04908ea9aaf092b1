"""Indexes over the dbt manifest: names, relations, grain keys, warehouse and seed columns."""

from __future__ import annotations

from pathlib import Path

from sqlglot import exp

from lineage.columns.model import DIALECT, EPHEMERAL_CATALOG
from lineage.columns.sql import _table_key


def _names(nodes: dict[str, dict]) -> dict[str, str]:
    """Model and seed names -> unique_id."""
    return {n["name"]: uid for uid, n in nodes.items() if n.get("resource_type") in ("model", "seed")}


def _relations(nodes: dict[str, dict]) -> dict[tuple[str, ...], str]:
    """Relation keys as compiled SQL spells them -> unique_id (ephemerals get a synthetic one)."""
    relations: dict[tuple[str, ...], str] = {}
    for uid, node in nodes.items():
        if node.get("resource_type") not in ("model", "seed", "source"):
            continue
        if node.get("config", {}).get("materialized") == "ephemeral":
            relations[(EPHEMERAL_CATALOG, "ephemeral", node["name"].lower())] = uid
        elif node.get("relation_name"):
            relations[_table_key(exp.to_table(node["relation_name"], dialect=DIALECT))] = uid
    return relations


def _grain_keys(manifest: dict) -> dict[str, list[str]]:
    """Each node's grain from its tests: a ``unique`` column, else a unique combination."""
    single: dict[str, list[str]] = {}
    combined: dict[str, list[str]] = {}
    for test in manifest.get("nodes", {}).values():
        meta = test.get("test_metadata") or {}
        attached = test.get("attached_node")
        kwargs = meta.get("kwargs") or {}
        if not attached:
            continue
        if meta.get("name") == "unique" and kwargs.get("column_name"):
            single.setdefault(attached, [kwargs["column_name"]])
        elif meta.get("name") == "unique_combination" and kwargs.get("columns"):
            combined.setdefault(attached, list(kwargs["columns"]))
    return {**combined, **single}


def _warehouse_columns(path: str | Path) -> dict[tuple[str, str], dict[str, str]]:
    """(schema, table) -> columns of a built warehouse, opened read-only."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as conn:
        rows = conn.execute("select table_schema, table_name, column_name, data_type "
                            "from information_schema.columns order by ordinal_position").fetchall()
    found: dict[tuple[str, str], dict[str, str]] = {}
    for schema, table, column, data_type in rows:
        found.setdefault((schema.lower(), table.lower()), {})[column] = data_type
    return found


def _csv_header(node: dict) -> dict[str, str]:
    """A seed's columns from its CSV header, when the file is where the manifest says."""
    path = Path(node.get("root_path", "")) / node.get("original_file_path", "")
    if node.get("resource_type") != "seed" or not path.is_file():
        return {}
    with path.open() as handle:
        header = handle.readline().strip()
    return {c.strip(): "UNKNOWN" for c in header.split(",") if c.strip()}


def _identifier(node: dict) -> str:
    return node.get("alias") or node.get("identifier") or node.get("name", "")


def _meta(node: dict) -> dict:
    """A node's meta (dbt 1.11 keeps custom keys under config.meta)."""
    return {**(node.get("meta") or {}), **(node.get("config", {}).get("meta") or {})}
