"""Column lineage results: the tree of nodes and edges, and the questions asked of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

DIALECT = "duckdb"
EPHEMERAL_CATALOG = "__dbt_ephemeral__"
SOURCE_CATALOG = "__dbt_source__"
CTE_PREFIX = "__dbt__cte__"
TABLE_FUNCTIONS = frozenset({"read_json", "read_json_auto", "read_ndjson", "read_ndjson_auto",
                             "read_csv", "read_csv_auto", "read_parquet", "read_text"})
# a table function whose columns are fixed, not declared in its call
FIXED_COLUMNS = {"read_text": {"filename": "VARCHAR", "content": "VARCHAR", "size": "BIGINT",
                               "last_modified": "TIMESTAMP"}}
CONSTANT_NOTE = "literal value, no field"
CONDITIONAL_NOTE = "literal value chosen by conditions (INDIRECT/CONDITIONAL inputs)"
DECLARED_NOTE = "declared in yml config.meta.column_lineage (Python model), not parsed"
SNIPPET_CHARS = 160


class LineageError(Exception):
    """A lineage question that cannot be answered: unknown model or column, unusable manifest."""


# -- public result types ------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class SourceField:
    """A leaf input: a dbt source or seed column, with the JSON / struct path read from it."""

    kind: str  # "source" | "seed" | "file" (a table function no dbt source declares)
    node_id: str
    column: str
    path: str = ""  # "$.data[*].id" inside the column's value, "" for the whole column

    @property
    def field(self) -> str:
        """The column and path as one dotted name, e.g. ``body.data[*].id``."""
        return self.column + self.path[1:] if self.path else self.column

    def __str__(self) -> str:
        return f"{self.node_id}:{self.field}"


@dataclass(eq=False)
class Edge:
    """How a node reads an upstream node: transformation types and the CTE hops in between."""

    transformations: tuple[str, ...]
    via: tuple[str, ...]
    node: LineageNode

    @property
    def direct(self) -> bool:
        """True when the upstream value flows into the column (not only filters or groups it)."""
        return any(t.startswith("DIRECT") for t in self.transformations)


@dataclass(eq=False)
class LineageNode:
    """One (dbt node, column, path) of the lineage tree, or a constant / unresolved leaf."""

    kind: str  # model | python | source | seed | file | constant | unresolved
    node_id: str
    name: str
    column: str
    path: str = ""
    expression: str = ""
    note: str = ""
    edges: list[Edge] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``name.column`` plus the JSON path, as humans read it."""
        return f"{self.name}.{self.column}" + (f" {self.path}" if self.path else "")

    def source_field(self) -> SourceField | None:
        """The leaf as a SourceField, or None for models, constants and unresolved leaves."""
        if self.kind in ("source", "seed", "file"):
            return SourceField(self.kind, self.node_id, self.column, self.path)
        return None


@dataclass
class ColumnLineage:
    """The lineage tree of one column (``target`` is ``model.column``)."""

    target: str
    root: LineageNode

    def walk(self) -> Iterator[tuple[LineageNode, bool]]:
        """Every node once, with whether some all-DIRECT path from the root reaches it."""
        best: dict[int, bool] = {}
        stack: list[tuple[LineageNode, bool]] = [(self.root, True)]
        order: list[LineageNode] = []
        while stack:
            node, direct = stack.pop()
            seen = best.get(id(node))
            if seen is not None and (seen or not direct):
                continue
            if seen is None:
                order.append(node)
            best[id(node)] = direct
            stack.extend((e.node, direct and e.direct) for e in node.edges)
        for node in order:
            yield node, best[id(node)]


class _Hit(NamedTuple):
    """A boundary reached while resolving inside one model's SQL (a NamedTuple: hits are
    copied at every CTE hop, and ``_replace`` is much cheaper than ``dataclasses.replace``)."""

    kind: str  # column | rows | constant | unresolved
    table: tuple[str, ...] | None
    column: str
    path: str
    transform: tuple[str, str]
    via: tuple[str, ...]
    detail: str = ""
    note: str = ""
    context: tuple = ()  # a constant's hits: what decides the rows it labels



# -- questions asked of a lineage tree ---------------------------------------------------------


def source_fields(lineage: ColumnLineage, *, direct_only: bool = False) -> list[SourceField]:
    """The distinct source / seed fields the column reads (only value flows if ``direct_only``)."""
    found = {node.source_field() for node, direct in lineage.walk() if direct or not direct_only}
    return sorted(f for f in found if f is not None)


def value_origin(lineage: ColumnLineage) -> str:
    """Where the column's value comes from, following value flows (DIRECT edges):
    ``field`` (a source / seed field flows in), ``rows`` (it counts rows: INDIRECT/ROWS),
    ``conditional`` (literals chosen by conditions on fields, CASE WHEN ... THEN 'a'),
    ``constant`` (literals only; at most the rows they label depend on data), or
    ``unresolved``."""
    reached = [node for node, direct in lineage.walk() if direct]
    kinds = {node.kind for node in reached}
    if kinds & {"source", "seed", "file"}:
        return "field"
    if any("INDIRECT/ROWS" in e.transformations for node in reached if node.kind != "constant"
           for e in node.edges):
        return "rows"
    notes = {node.note for node in reached if node.kind == "constant"}
    if CONDITIONAL_NOTE in notes:
        return "conditional"
    return "constant" if notes else "unresolved"


def constants(lineage: ColumnLineage) -> list[LineageNode]:
    """The constant leaves: values the column takes from literals, not from any field."""
    return [node for node, _ in lineage.walk() if node.kind == "constant"]


def unresolved(lineage: ColumnLineage) -> list[LineageNode]:
    """Leaves the walk could not resolve (each carries the reason in ``note``)."""
    return [node for node, _ in lineage.walk() if node.kind == "unresolved"]
