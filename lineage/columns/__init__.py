"""Column-level lineage: a mart column traced through dbt's compiled SQL to its source fields.

An auditor must see, for any published column, which raw platform fields, config entries or
reference seeds it is computed from (docs/architecture.md, "auditor"). dbt's manifest only knows
table-level lineage, so this module reads each model's *compiled* SQL (what actually ran) with
sqlglot and follows column references through CTEs, subqueries, unions, unnests and refs,
model by model, down to the leaves:

- **source fields**: a dbt source (raw-zone pages and manifests, the config JSON, all read in
  place with ``read_json``), its column and the JSON / struct path the SQL extracts from it,
  e.g. ``source.carepulse.raw_zone.x_pages`` column ``body`` path
  ``$.data[*].public_metrics.like_count``;
- **seed** columns (reference data versioned with the code);
- **constants**: values computed from literals only, reported as such, never as a field;
- **declared** hops: the dbt Python model ``int_sentiment_scores`` cannot be parsed; its yml
  ``config.meta.column_lineage`` says which upstream columns each output reads, and the tree
  marks that hop as declared, not parsed.

Edges carry OpenLineage column-lineage transformation types. ``DIRECT/IDENTITY``,
``DIRECT/TRANSFORMATION`` and ``DIRECT/AGGREGATION`` are value flows; ``INDIRECT/FILTER``,
``JOIN``, ``GROUP_BY``, ``WINDOW`` and ``CONDITIONAL`` are columns that decide which rows exist
or which value is taken, and ``INDIRECT/ROWS`` (an extension) stands for "the rows of that
relation". Every reference in a column's own expression is followed, whatever its role (a
CASE condition is INDIRECT/CONDITIONAL, a PARTITION BY is INDIRECT/WINDOW). Beyond that,
indirect inputs are followed only where a value would otherwise have no lineage or would hide
a data dependency:

- a row count (``count(*)``, ``sum(case when ... then 1 else 0 end)``, ``row_number()``)
  depends on its GROUP BY keys, on the filters and inner-join conditions of the query it
  counts in, and on the rows of each relation read, which are its grain key (the column of
  its ``unique`` / ``unique_combination`` test; the model's own query when none is declared);
- a literal (``'x' as platform``) is a constant node whose only (INDIRECT) edges are the rows
  it labels (same rules); a literal chosen by conditions (``CASE WHEN ... THEN 'a'``) is a
  constant beside its CONDITIONAL inputs;
- a value read from the nullable side of an outer join also depends on the join condition.

``value_origin()`` sums a column up as ``field``, ``rows``, ``conditional`` or ``constant``.
Tree nodes are (dbt node, column, JSON path) triples; the CTE hops inside one model are kept on
the edge (``via``) rather than as nodes, so the tree stays readable.
"""

from __future__ import annotations

import json
from pathlib import Path

from lineage.columns.model import (
    DECLARED_NOTE,
    ColumnLineage,
    Edge,
    LineageError,
    LineageNode,
    SourceField,
    constants,
    source_fields,
    unresolved,
    value_origin,
)
from lineage.columns.project import _project_for
from lineage.columns.render import render_text, to_json


def load_manifest(path: str | Path) -> dict:
    """Read a dbt manifest.json; it must come from `dbt build`/`compile` (compiled SQL)."""
    path = Path(path)
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise LineageError(f"cannot read dbt manifest {path}: {err}") from err
    if not any(n.get("compiled_code") for n in manifest.get("nodes", {}).values()):
        raise LineageError(f"dbt manifest {path} holds no compiled SQL: use the manifest of a "
                           "`dbt build` or `dbt compile` (e.g. audit/<run>/dbt_manifest.json)")
    return manifest


def column_lineage(manifest: dict, target: str, *, warehouse: str | Path | None = None) -> ColumnLineage:
    """Lineage tree of ``"<model>.<column>"`` (e.g. ``fct_share_of_voice_daily.mention_sov``).

    ``warehouse`` (optional) is a built DuckDB file opened read-only for the column lists of
    nodes whose SQL cannot tell them (Python models, seeds); the manifest's documented
    columns are used otherwise. Parsed models are cached per manifest, so a sweep over every
    mart column costs one parse per model.
    """
    model, _, column = target.rpartition(".")
    if not model or not column:
        raise LineageError(f"expected <model>.<column>, got {target!r}")
    project = _project_for(manifest, warehouse)
    uid = project.model_uid(model, target)
    return ColumnLineage(target, project.trace_output(uid, column, target))


def mart_columns(manifest: dict, *, warehouse: str | Path | None = None) -> dict[str, list[str]]:
    """Every mart (models in schema ``marts``) with its output columns as its SQL selects them."""
    project = _project_for(manifest, warehouse)
    return {project.nodes[uid]["name"]: list(project.columns(uid)) for uid in project.marts()}


__all__ = ["DECLARED_NOTE", "ColumnLineage", "Edge", "LineageError", "LineageNode", "SourceField",
           "column_lineage", "constants", "load_manifest", "mart_columns", "render_text",
           "source_fields", "to_json", "unresolved", "value_origin"]
