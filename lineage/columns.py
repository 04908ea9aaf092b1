"""Column-level lineage: a mart column traced through dbt's compiled SQL to its source fields.

An auditor must see, for any published column, which raw platform fields, config entries or
reference seeds it is computed from (DESIGN.md, "auditor"). dbt's manifest only knows
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
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, ScopeType, build_scope, find_all_in_scope

DIALECT = "duckdb"
EPHEMERAL_CATALOG = "__dbt_ephemeral__"
SOURCE_CATALOG = "__dbt_source__"
CTE_PREFIX = "__dbt__cte__"
TABLE_FUNCTIONS = frozenset({"read_json", "read_json_auto", "read_ndjson", "read_ndjson_auto",
                             "read_csv", "read_csv_auto", "read_parquet"})
CONSTANT_NOTE = "literal value, no field"
CONDITIONAL_NOTE = "literal value chosen by conditions (INDIRECT/CONDITIONAL inputs)"
DECLARED_NOTE = "declared in yml config.meta.column_lineage (Python model), not parsed"
SNIPPET_CHARS = 160

_JSON_EXTRACTS = (exp.JSONExtract, exp.JSONExtractScalar, exp.JSONBExtract, exp.JSONBExtractScalar)
# Wrappers that hand their argument's value (or elements) on unchanged, so a JSON path asked of
# the result is a path into the argument.
_TRANSPARENT = (exp.Cast, exp.TryCast, exp.Coalesce, exp.Paren, exp.Nullif, exp.Case, exp.If,
                exp.Max, exp.Min, exp.AnyValue, exp.First, exp.Last, exp.ArraySort, exp.ArrayDistinct,
                exp.ArrayFilter, exp.ArrayConcat, exp.Flatten, exp.FromJson, exp.ParseJSON)
_TRANSPARENT_NAMES = frozenset({"list_sort", "list_distinct", "list_filter", "list_concat", "from_json",
                                "map_entries", "ifnull"})
_RANKING = (exp.RowNumber, exp.Rank, exp.DenseRank, exp.PercentRank, exp.CumeDist, exp.Ntile)
_DIRECT_RANK = {"IDENTITY": 0, "TRANSFORMATION": 1, "AGGREGATION": 2}


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


# -- public API ---------------------------------------------------------------------------------


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


def render_text(lineage: ColumnLineage, *, max_depth: int | None = None) -> str:
    """An indented tree for humans; a subtree already printed is referred to, not repeated."""
    lines = [f"column lineage of {lineage.target}"]
    _render(lineage.root, None, 0, max_depth, set(), lines)
    direct = source_fields(lineage, direct_only=True)
    indirect = [f for f in source_fields(lineage) if f not in set(direct)]
    lines.append("")
    lines.append(f"value: {value_origin(lineage)}")
    lines.append(f"source fields the value flows from (DIRECT) ({len(direct)}):")
    lines.extend(f"  {f.kind:<6} {f}" for f in direct)
    lines.append(f"source fields that only filter, join, group or count its rows (INDIRECT) "
                 f"({len(indirect)}):")
    lines.extend(f"  {f.kind:<6} {f}" for f in indirect)
    consts = constants(lineage)
    if consts:
        lines.append(f"constants ({len(consts)}):")
        lines.extend(f"  {c.name}.{c.column} = {c.expression}" for c in consts)
    for node in unresolved(lineage):
        lines.append(f"UNRESOLVED {node.label}: {node.note}")
    return "\n".join(lines)


def to_json(lineage: ColumnLineage) -> dict:
    """The tree as a graph (nodes by id, edges, leaves) that survives shared subtrees."""
    ids: dict[int, str] = {}
    nodes: dict[str, dict] = {}
    edges: list[dict] = []
    for node, direct in lineage.walk():
        nodes[_json_id(node, ids)] = _node_json(node, direct)
    for node, _ in lineage.walk():
        edges.extend({"from": ids[id(node)], "to": _json_id(e.node, ids),
                      "transformations": list(e.transformations), "via": list(e.via)} for e in node.edges)
    return {
        "target": lineage.target,
        "root": ids[id(lineage.root)],
        "nodes": nodes,
        "edges": edges,
        "source_fields": [{"kind": f.kind, "node_id": f.node_id, "column": f.column, "path": f.path,
                           "field": f.field} for f in source_fields(lineage)],
        "constants": [{"node_id": c.node_id, "column": c.column, "expression": c.expression}
                      for c in constants(lineage)],
        "unresolved": [{"node_id": u.node_id, "column": u.column, "note": u.note}
                       for u in unresolved(lineage)],
    }


# -- rendering helpers --------------------------------------------------------------------------


def _render(node: LineageNode, edge: Edge | None, depth: int, max_depth: int | None,
            printed: set[int], lines: list[str]) -> None:
    """One line per node, children indented; repeated subtrees become a back-reference."""
    pad = "  " * depth
    how = f"<- [{', '.join(edge.transformations)}] " if edge else ""
    via = f"   (via {' > '.join(edge.via)})" if edge and edge.via else ""
    lines.append(f"{pad}{how}{_describe(node)}{via}")
    if node.edges and id(node) in printed:
        lines.append(f"{pad}    ... (upstream shown above)")
        return
    printed.add(id(node))
    if max_depth is not None and depth >= max_depth and node.edges:
        lines.append(f"{pad}    ... ({len(node.edges)} upstream, depth limit)")
        return
    for child in node.edges:
        _render(child.node, child, depth + 1, max_depth, printed, lines)


def _describe(node: LineageNode) -> str:
    """A node's one-line description by kind."""
    if node.kind in ("source", "seed", "file"):
        return f"{node.kind.upper()} {node.node_id}: {node.column}" + (f" {node.path}" if node.path else "")
    if node.kind == "constant":
        return f"CONSTANT {node.name}.{node.column} = {node.expression}"
    if node.kind == "unresolved":
        return f"UNRESOLVED {node.label}: {node.note}"
    text = f"{node.label} = {node.expression}" if node.expression else node.label
    return text + (f"  [{node.note}]" if node.note else "")


def _json_id(node: LineageNode, ids: dict[int, str]) -> str:
    """A readable, unique id for a node in the JSON graph."""
    if id(node) not in ids:
        base = f"{node.node_id}:{node.column}{node.path}"
        taken = set(ids.values())
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}#{n}"
        ids[id(node)] = name
    return ids[id(node)]


def _node_json(node: LineageNode, direct: bool) -> dict:
    """A node's fields for to_json()."""
    return {"kind": node.kind, "node_id": node.node_id, "name": node.name, "column": node.column,
            "path": node.path, "expression": node.expression, "note": node.note, "direct": direct}


# -- the project: manifest index, parsed models, tracing ----------------------------------------

_PROJECTS: dict[tuple[int, str], tuple[dict, _Project]] = {}


def _project_for(manifest: dict, warehouse: str | Path | None) -> _Project:
    """The cached project of this manifest object (a sweep parses each model once)."""
    key = (id(manifest), str(warehouse or ""))
    cached = _PROJECTS.get(key)
    if cached is None or cached[0] is not manifest:
        if len(_PROJECTS) >= 4:
            _PROJECTS.pop(next(iter(_PROJECTS)))
        cached = (manifest, _Project(manifest, warehouse))
        _PROJECTS[key] = cached
    return cached[1]


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


@dataclass
class _Parsed:
    """One model's own SQL, qualified, with its scope tree and the original projections."""

    root: Scope
    snippets: dict[str, str]


@dataclass(frozen=True)
class _TableFunction:
    """A table function (read_json ...) the SQL reads a source through."""

    source_uid: str | None
    pattern: str
    columns: dict[str, str]


class _Project:
    """Manifest index plus caches: parsed SQL, column lists, resolved scopes, lineage nodes."""

    def __init__(self, manifest: dict, warehouse: str | Path | None = None) -> None:
        self.manifest = manifest
        self.nodes: dict[str, dict] = {**manifest.get("nodes", {}), **manifest.get("sources", {})}
        self.by_name = _names(self.nodes)
        self.relations = _relations(self.nodes)
        self.relation_of = {uid: key for key, uid in self.relations.items()}
        self.keys = _grain_keys(manifest)
        self.warehouse = _warehouse_columns(warehouse) if warehouse else {}
        self.functions: dict[tuple[str, ...], _TableFunction] = {}
        self._parsed: dict[str, _Parsed] = {}
        self._columns: dict[str, dict[str, str]] = {}
        self._busy: set[Any] = set()
        self._resolved: dict[tuple, tuple[_Hit, ...]] = {}
        self._rows: dict[int, tuple[_Hit, ...]] = {}
        self._traced: dict[tuple, LineageNode] = {}

    # -- lookups --

    def model_uid(self, name: str, target: str) -> str:
        """The unique_id of a model named by the user; a clear error names what is unknown."""
        uid = self.by_name.get(name.split(".")[-1]) if name not in self.nodes else name
        if uid is None or self.nodes[uid].get("resource_type") != "model":
            marts = ", ".join(sorted(self.nodes[u]["name"] for u in self.marts()))
            raise LineageError(f"unknown model {name!r} in {target!r}: no such model in the dbt "
                               f"manifest (marts: {marts})")
        return uid

    def marts(self) -> list[str]:
        """Models published in schema ``marts``, by unique_id."""
        return sorted(uid for uid, n in self.nodes.items()
                      if n.get("resource_type") == "model" and n.get("config", {}).get("schema") == "marts")

    def columns(self, uid: str) -> dict[str, str]:
        """A node's output columns (name -> type), from its SQL where it has any."""
        if uid not in self._columns:
            self._columns[uid] = self._compute_columns(uid)
        return self._columns[uid]

    def _compute_columns(self, uid: str) -> dict[str, str]:
        """SQL models: what the qualified SQL selects; seeds: the CSV header; others (Python
        models): the warehouse's columns if given, else the documented ones."""
        node = self.nodes[uid]
        if node.get("resource_type") == "model" and node.get("language", "sql") == "sql":
            parsed = self.parsed(uid)
            return {name: "UNKNOWN" for name in parsed.root.expression.named_selects}
        found = _csv_header(node) or self.warehouse.get((node.get("schema", "").lower(),
                                                          _identifier(node).lower()))
        if found:
            return found
        return {c: (v.get("data_type") or "UNKNOWN") for c, v in node.get("columns", {}).items()}

    def table_columns(self, key: tuple[str, ...]) -> dict[str, str]:
        """Columns of a relation key found in compiled SQL (model, seed or table function)."""
        if key in self.functions:
            return self.functions[key].columns
        uid = self.relations.get(key)
        if uid is None:
            return {}
        if uid in self._busy:  # an incremental model reading itself ({{ this }})
            return {c: "UNKNOWN" for c in self.nodes[uid].get("columns", {})}
        return self.columns(uid)

    # -- parsing --

    def parsed(self, uid: str) -> _Parsed:
        """The model's own SQL (injected ephemeral CTEs become refs), qualified, cached."""
        if uid not in self._parsed:
            self._busy.add(uid)
            try:
                self._parsed[uid] = self._parse(uid)
            finally:
                self._busy.discard(uid)
        return self._parsed[uid]

    def _parse(self, uid: str) -> _Parsed:
        node = self.nodes[uid]
        if not node.get("compiled_code"):
            raise LineageError(f"{uid} has no compiled SQL in the manifest (run `dbt compile`/`build`)")
        try:
            tree = sqlglot.parse_one(_own_sql(node), dialect=DIALECT)
        except SqlglotError as err:
            raise LineageError(f"sqlglot cannot parse the compiled SQL of {uid}: {err}") from err
        _drop_injected_ctes(tree)
        self._rewrite_relations(uid, tree)
        snippets = {s.alias_or_name: _snippet(s.unalias())
                    for s in tree.selects if not isinstance(s, exp.Star)}
        schema = self._schema_for(tree)
        try:
            tree = qualify(tree, dialect=DIALECT, schema=schema, validate_qualify_columns=False,
                           identify=False)
        except SqlglotError as err:
            raise LineageError(f"sqlglot cannot qualify the compiled SQL of {uid}: {err}") from err
        root = build_scope(tree)
        if root is None:
            raise LineageError(f"the compiled SQL of {uid} is not a query")
        for projection in tree.selects:  # `select *` and friends: the expanded projection
            snippets.setdefault(projection.alias_or_name, _snippet(projection.unalias()))
        return _Parsed(root, snippets)

    def _rewrite_relations(self, uid: str, tree: exp.Expr) -> None:
        """Ephemeral CTE refs and raw-file table functions become plain three-part tables."""
        for table in list(tree.find_all(exp.Table)):
            if isinstance(table.this, exp.Func) and _func_name(table.this) in TABLE_FUNCTIONS:
                self._replace_table_function(uid, table)
            elif table.name.startswith(CTE_PREFIX) and not table.args.get("db"):
                name = table.name[len(CTE_PREFIX):]
                alias = table.alias or table.name
                table.set("this", exp.to_identifier(name))
                table.set("db", exp.to_identifier("ephemeral"))
                table.set("catalog", exp.to_identifier(EPHEMERAL_CATALOG))
                table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        for select in list(tree.find_all(exp.Select)):
            if _is_empty_file_relation(select):
                self._replace_empty_relation(uid, select)

    def _replace_table_function(self, uid: str, table: exp.Table) -> None:
        """read_json(...) -> a synthetic table whose columns are the function's `columns`."""
        func = table.this
        pattern = _first_string(func)
        key = (SOURCE_CATALOG, self.nodes[uid]["name"].lower(), f"f{len(self.functions)}")
        self.functions[key] = _TableFunction(self._source_of(uid, pattern), pattern, _function_columns(func))
        table.set("this", exp.to_identifier(key[2]))
        table.set("db", exp.to_identifier(key[1]))
        table.set("catalog", exp.to_identifier(key[0]))

    def _replace_empty_relation(self, uid: str, select: exp.Select) -> None:
        """The typed empty relation a reader builds when no file exists yet: same as a read."""
        pattern = _empty_relation_pattern(select)
        key = (SOURCE_CATALOG, self.nodes[uid]["name"].lower(), f"f{len(self.functions)}")
        columns = {s.alias_or_name: s.unalias().to.sql(DIALECT) for s in select.selects}
        self.functions[key] = _TableFunction(self._source_of(uid, pattern), pattern, columns)
        table = exp.Table(this=exp.to_identifier(key[2]), db=exp.to_identifier(key[1]),
                          catalog=exp.to_identifier(key[0]))
        wrapper = select.parent if isinstance(select.parent, exp.Subquery) else select
        alias = wrapper.args.get("alias") if isinstance(wrapper, exp.Subquery) else None
        if alias is not None:
            table.set("alias", alias)
        wrapper.replace(table)

    def _source_of(self, uid: str, pattern: str) -> str | None:
        """The dbt source a table function reads: the node's only source, or the one whose
        ``meta.location`` matches the file pattern."""
        depends_on = self.nodes[uid].get("depends_on", {}).get("nodes", [])
        sources = [d for d in depends_on if d.startswith("source.")]
        if len(sources) == 1:
            return sources[0]
        for sid in sources:
            location = self.nodes[sid].get("config", {}).get("meta", {}).get("location") \
                or self.nodes[sid].get("meta", {}).get("location", "")
            if location and pattern.endswith(location.rsplit("$CAREPULSE_HOME/", 1)[-1]):
                return sid
        return None

    def _schema_for(self, tree: exp.Expr) -> dict:
        """The sqlglot schema of every relation the SQL reads (so `select *` expands)."""
        schema: dict = {}
        for table in tree.find_all(exp.Table):
            key = _table_key(table)
            if len(key) == 3:
                columns = self.table_columns(key)
                if columns:
                    schema.setdefault(key[0], {}).setdefault(key[1], {})[key[2]] = columns
        return schema

    # -- tracing a model column --

    def trace_output(self, uid: str, column: str, target: str) -> LineageNode:
        """The lineage node of a model's output column; unknown columns are a clear error."""
        if column not in self.columns(uid):
            name = self.nodes[uid]["name"]
            raise LineageError(f"unknown column {column!r} in {target!r}: {name} has columns "
                               f"{', '.join(self.columns(uid))}")
        return self.trace(self._key_of(uid), column, "")

    def trace(self, key: tuple[str, ...], column: str, path: str) -> LineageNode:
        """Memoised lineage node of (relation, column, path); cycles become a marked leaf."""
        memo = (key, column, path)
        if memo in self._traced:
            return self._traced[memo]
        if memo in self._busy:
            return LineageNode("unresolved", self._uid_of(key), key[-1], column, path,
                               note="cycle: the column is read from itself")
        self._busy.add(memo)
        try:
            node = self._trace(key, column, path)
        finally:
            self._busy.discard(memo)
        self._traced[memo] = node
        return node

    def _trace(self, key: tuple[str, ...], column: str, path: str) -> LineageNode:
        """Dispatch by what the relation is: table function, seed, Python or SQL model."""
        if key in self.functions:
            return self._function_leaf(self.functions[key], column, path)
        uid = self.relations.get(key)
        if uid is None:
            return LineageNode("unresolved", ".".join(key), key[-1], column, path,
                               note="relation is not a node of the dbt manifest")
        node = self.nodes[uid]
        if node.get("resource_type") == "seed":
            return LineageNode("seed", uid, node["name"], column, path,
                               expression=node.get("original_file_path", ""))
        if node.get("language") == "python":
            return self._declared(uid, column)
        return self._sql_node(uid, column, path)

    def _function_leaf(self, func: _TableFunction, column: str, path: str) -> LineageNode:
        """A raw file read in place: the dbt source and field, or the bare file pattern."""
        expression = f"read_json('{func.pattern}')"
        if func.source_uid is None:
            return LineageNode("file", func.pattern, func.pattern, column, _display(path), expression,
                               note="no dbt source declares this file pattern")
        source = self.nodes[func.source_uid]
        name = f"{source.get('source_name')}.{source.get('name')}"
        return LineageNode("source", func.source_uid, name, column, _display(path), expression)

    def _sql_node(self, uid: str, column: str, path: str) -> LineageNode:
        """A SQL model's column: resolve inside its query, then trace each boundary reached."""
        parsed = self.parsed(uid)
        name = self.nodes[uid]["name"]
        node = LineageNode("model", uid, name, column, _display(path), parsed.snippets.get(column, ""))
        hits = self.resolve(parsed.root, column, path)
        node.edges = self._edges(uid, name, hits)
        return node

    def _edges(self, uid: str, name: str, hits: tuple[_Hit, ...]) -> list[Edge]:
        """Boundary hits -> edges to upstream nodes, merged per upstream node."""
        merged: dict[int, Edge] = {}
        for hit in hits:
            for child in self._hit_nodes(uid, name, hit):
                edge = merged.get(id(child))
                label = "/".join(hit.transform)
                if edge is None:
                    merged[id(child)] = Edge((label,), hit.via, child)
                elif label not in edge.transformations:
                    edge.transformations = tuple(sorted((*edge.transformations, label)))
        return list(merged.values())

    def _hit_nodes(self, uid: str, name: str, hit: _Hit) -> list[LineageNode]:
        """The upstream node(s) one hit stands for."""
        if hit.kind == "column":
            if self.relations.get(hit.table) == uid:
                return []  # an incremental model filtering on its own previous content
            return [self.trace(hit.table, hit.column, hit.path)]
        if hit.kind == "rows":
            return self._rows_nodes(uid, hit.table)
        column = hit.via[-1].rpartition(".")[0] + "." + hit.column if hit.via else hit.column
        if hit.kind == "constant":
            return [self._constant(uid, name, column, hit)]
        return [LineageNode("unresolved", uid, name, column, note=hit.detail)]

    def _constant(self, uid: str, name: str, column: str, hit: _Hit) -> LineageNode:
        """A literal value: a leaf, or with INDIRECT edges to what decides the rows it labels."""
        memo = ("constant", uid, column, hit.detail, hit.note, hit.context)
        if memo not in self._traced:
            node = LineageNode("constant", uid, name, column, expression=hit.detail, note=hit.note)
            self._traced[memo] = node
            node.edges = self._edges(uid, name, hit.context)
        return self._traced[memo]

    def _rows_nodes(self, uid: str, key: tuple[str, ...] | None) -> list[LineageNode]:
        """Rows counted from a relation depend on its grain: its unique key column(s)."""
        if key in self.functions:
            return [self._function_leaf(self.functions[key], "*", "")]
        target = self.relations.get(key)
        if target is None or target == uid:
            return []
        grain = self.keys.get(target)
        if grain:
            return [self.trace(key, column, "") for column in grain]
        node = self.nodes[target]
        if node.get("resource_type") == "model" and node.get("language", "sql") == "sql":
            return self._ungrained_rows(target, key)
        return [LineageNode("unresolved", target, node["name"], "*",
                            note="rows of a relation without a unique key")]

    def _ungrained_rows(self, uid: str, key: tuple[str, ...]) -> list[LineageNode]:
        """Rows of a model without a declared key: what filters, joins and groups its query."""
        memo = ("rows", key)
        if memo not in self._traced:
            name = self.nodes[uid]["name"]
            node = LineageNode("model", uid, name, "*", note="rows (no unique key declared)")
            self._traced[memo] = node
            node.edges = self._edges(uid, name, self.rows(self.parsed(uid).root))
        return [self._traced[memo]]

    def _declared(self, uid: str, column: str) -> LineageNode:
        """A Python model's column: the lineage its yml declares, marked as declared."""
        node = self.nodes[uid]
        declared = _meta(node).get("column_lineage") or {}
        entry = declared.get(column)
        result = LineageNode("python", uid, node["name"], column,
                             expression=node.get("original_file_path", ""), note=DECLARED_NOTE)
        if entry is None:
            result.edges = [Edge(("DIRECT/TRANSFORMATION (declared)",), (), LineageNode(
                "unresolved", uid, node["name"], column,
                note=f"Python model: no config.meta.column_lineage entry for {column!r} in its yml"))]
            return result
        result.edges = self._declared_edges(uid, column, entry)
        return result

    def _declared_edges(self, uid: str, column: str, entry: dict) -> list[Edge]:
        """Edges of one declaration: ``from`` upstream columns, or a ``constant``."""
        name = self.nodes[uid]["name"]
        label = f"DIRECT/{entry.get('transformation', 'TRANSFORMATION')} (declared)"
        if "constant" in entry:
            label = "DIRECT/IDENTITY (declared)"
            hit = _Hit("constant", None, column, "", ("DIRECT", "IDENTITY"), (), str(entry["constant"]),
                       "constant declared for a Python model (from code, not data)")
            return [Edge((label,), (), self._constant(uid, name, column, hit))]
        edges = []
        for ref in entry.get("from", []):
            model, _, upstream_column = str(ref).rpartition(".")
            upstream = self.by_name.get(model)
            if upstream is None or upstream not in self.nodes[uid].get("depends_on", {}).get("nodes", []):
                child = LineageNode("unresolved", uid, name, column,
                                    note=f"declared upstream {ref!r} is not a dbt.ref() of {name}")
            else:
                child = self.trace(self._key_of(upstream), upstream_column, "")
            edges.append(Edge((label,), (), child))
        return edges

    def _key_of(self, uid: str) -> tuple[str, ...]:
        """The relation key compiled SQL uses for a node."""
        if uid not in self.relation_of:
            raise LineageError(f"{uid} has no relation in the manifest")
        return self.relation_of[uid]

    def _uid_of(self, key: tuple[str, ...]) -> str:
        return self.relations.get(key) or ".".join(key)

    # -- resolution inside one query --

    def resolve(self, scope: Scope, column: str, path: str) -> tuple[_Hit, ...]:
        """Boundary hits of one output column of a scope (memoised per scope, column, path)."""
        memo = (id(scope), column, path)
        if memo not in self._resolved:
            self._resolved[memo] = ()  # a recursive CTE reading itself stops here
            self._resolved[memo] = tuple(self._resolve(scope, column, path))
        return self._resolved[memo]

    def _resolve(self, scope: Scope, column: str, path: str) -> list[_Hit]:
        """Set operations by position; selects through their projection's expression."""
        query = scope.expression
        if isinstance(query, exp.SetOperation):
            return self._resolve_union(scope, column, path)
        projection = next((s for s in query.selects if s.alias_or_name == column), None)
        if projection is None:
            return [_Hit("unresolved", None, column, path, ("DIRECT", "IDENTITY"), (),
                         f"column {column!r} is not selected by {_snippet(query)}")]
        return self._resolve_expression(scope, projection.unalias(), path, column)

    def _resolve_union(self, scope: Scope, column: str, path: str) -> list[_Hit]:
        """A UNION's column is the same-position column of every branch."""
        names = scope.expression.named_selects
        if column not in names:
            return [_Hit("unresolved", None, column, path, ("DIRECT", "IDENTITY"), (),
                         f"column {column!r} is not selected by the union")]
        index = names.index(column)
        hits: list[_Hit] = []
        for branch in scope.set_operation_scopes:
            branch_names = branch.expression.named_selects
            if index < len(branch_names):
                hits.extend(h._replace(column=column) if h.kind == "constant" and not h.via else h
                            for h in self.resolve(branch, branch_names[index], path))
        return hits

    def _resolve_expression(self, scope: Scope, value: exp.Expr, path: str, column: str) -> list[_Hit]:
        """Every column, subquery and counted row set the expression reads. A value that no
        column flows into is a constant: reported as one, with the rows it labels (INDIRECT)."""
        hits: list[_Hit] = []
        flows = False  # some column or subquery value flows into this one
        for ref in find_all_in_scope(value, exp.Column):
            transform = _classify(ref, value)
            flows = flows or transform[0] == "DIRECT"
            pending = path if transform[0] == "DIRECT" else ""
            hits.extend(self._follow(scope, ref, _child_path(ref, value, pending), transform, (),
                                     outer=transform[0] == "DIRECT"))
        subqueries = self._subquery_hits(scope, value, ("DIRECT", "TRANSFORMATION"))
        hits.extend(subqueries)
        if _counts_rows(value):
            hits.extend(self._group_keys(scope))
            hits.extend(self.rows(scope))
        elif not flows and not subqueries:
            note = CONDITIONAL_NOTE if hits else CONSTANT_NOTE
            context = () if hits else self.rows(scope)  # a bare literal labels these rows
            hits.append(_Hit("constant", None, column, "", ("DIRECT", "IDENTITY"), (), _snippet(value), note,
                             context))
        return hits

    def _subquery_hits(self, scope: Scope, value: exp.Expr, transform: tuple[str, str]) -> list[_Hit]:
        """Scalar / IN / EXISTS subqueries inside an expression: every column they select."""
        inner = {id(s.expression): s for s in scope.subquery_scopes}
        hits: list[_Hit] = []
        for query in find_all_in_scope(value, exp.Select, exp.SetOperation):
            sub = inner.get(id(query))
            if sub is None:
                continue
            for name in query.named_selects:
                hits.extend(_retag(h, transform) for h in self.resolve(sub, name, ""))
        return hits

    def _follow(self, scope: Scope, ref: exp.Column, path: str, transform: tuple[str, str],
                via: tuple[str, ...], *, outer: bool = False) -> list[_Hit]:
        """One column reference to its source in this scope: a CTE / derived table, an unnest,
        or a relation (a boundary). With ``outer``, a value read from the nullable side of an
        outer join also depends on the join condition (INDIRECT/JOIN)."""
        located = _locate(scope, ref, self.table_columns)
        while located is None and ref.table and scope.parent is not None:  # a correlated reference
            scope = scope.parent
            located = _locate(scope, ref, self.table_columns)
        if located is None:
            return [_Hit("unresolved", None, ref.name, path, transform, via,
                         f"cannot tell which relation {ref.sql(DIALECT)} comes from")]
        alias, column, extra = located
        joined = [h._replace(via=(*via, *h.via)) for h in self._outer_join_hits(scope, alias)
                  ] if outer else []
        return joined + self._follow_source(scope, alias, column, extra + path, transform, via)

    def _follow_source(self, scope: Scope, alias: str, column: str, path: str, transform: tuple[str, str],
                       via: tuple[str, ...]) -> list[_Hit]:
        """A located column: a boundary hit for a relation, else resolve in the inner scope."""
        source = scope.sources[alias]
        if isinstance(source, exp.Table):
            return [_Hit("column", _table_key(source), column, path, transform, via)]
        if source.scope_type == ScopeType.UDTF:
            return self._follow_unnest(source, column, path, transform, via)
        hop = (*via, f"{alias}.{column}")
        return [h._replace(transform=_compose(transform, h.transform), via=(*hop, *h.via))
                for h in self.resolve(source, column, path)]

    def _follow_unnest(self, scope: Scope, column: str, path: str, transform: tuple[str, str],
                       via: tuple[str, ...]) -> list[_Hit]:
        """A column of ``unnest(list) as alias(column)``: elements of the list expression."""
        unnest = scope.expression
        alias = unnest.args.get("alias")
        names = [c.name for c in alias.columns] if alias and alias.columns else []
        position = names.index(column) if column in names else 0
        argument = unnest.expressions[min(position, len(unnest.expressions) - 1)]
        hits: list[_Hit] = []
        for ref in find_all_in_scope(argument, exp.Column):
            child = _child_path(ref, argument, path, element=True)
            element = _compose(transform, ("DIRECT", "TRANSFORMATION"))
            hits.extend(self._follow(scope, ref, child, element, via))
        return hits or [_Hit("constant", None, column, "", transform, via, _snippet(unnest))]

    def _outer_join_hits(self, scope: Scope, alias: str) -> tuple[_Hit, ...]:
        """The ON columns of the outer join that makes ``alias`` nullable (memoised)."""
        memo = ("outer", id(scope), alias)
        if memo not in self._resolved:
            self._resolved[memo] = ()
            query = scope.expression
            joins = query.args.get("joins") or [] if isinstance(query, exp.Select) else []
            from_alias = query.args["from_"].this.alias_or_name if query.args.get("from_") else None
            hits: list[_Hit] = []
            for join in joins:
                nullable = (join.side == "LEFT" and join.alias_or_name == alias) or (
                    join.side == "FULL" and alias in (join.alias_or_name, from_alias))
                if nullable and join.args.get("on"):
                    hits.extend(self._clause_hits(scope, join.args["on"], ("INDIRECT", "JOIN")))
            self._resolved[memo] = tuple(hits)
        return self._resolved[memo]

    def _group_keys(self, scope: Scope) -> list[_Hit]:
        """GROUP BY columns: what a row count is counted per."""
        group = scope.expression.args.get("group")
        return self._clause_hits(scope, group, ("INDIRECT", "GROUP_BY")) if group else []

    def rows(self, scope: Scope) -> tuple[_Hit, ...]:
        """What decides which rows a scope has: filters, inner-join conditions, grouping,
        DISTINCT, unnests, and the rows of what it reads (memoised per scope)."""
        if id(scope) not in self._rows:
            self._rows[id(scope)] = ()
            self._rows[id(scope)] = tuple(self._compute_rows(scope))
        return self._rows[id(scope)]

    def _compute_rows(self, scope: Scope) -> list[_Hit]:
        query = scope.expression
        if isinstance(query, exp.SetOperation):
            return [h for branch in scope.set_operation_scopes for h in self.rows(branch)]
        if not isinstance(query, exp.Select):
            return []
        hits: list[_Hit] = []
        for clause, subtype in (("where", "FILTER"), ("having", "FILTER"), ("qualify", "FILTER"),
                                ("group", "GROUP_BY")):
            if query.args.get(clause):
                hits.extend(self._clause_hits(scope, query.args[clause], ("INDIRECT", subtype)))
        if query.args.get("distinct"):
            for projection in query.selects:
                hits.extend(self._clause_hits(scope, projection, ("INDIRECT", "GROUP_BY")))
        for projection in query.selects:
            for unnest in find_all_in_scope(projection, exp.Explode, exp.Unnest):
                hits.extend(self._clause_hits(scope, unnest, ("INDIRECT", "ROWS")))
        hits.extend(self._join_rows(scope, query))
        return hits

    def _join_rows(self, scope: Scope, query: exp.Select) -> list[_Hit]:
        """Row sources: FROM and every join that can drop or add rows (not the right side of a
        LEFT join, which only adds columns to rows that exist anyway)."""
        hits: list[_Hit] = []
        sources = [query.args["from_"].this] if query.args.get("from_") else []
        for join in query.args.get("joins") or []:
            if join.side == "LEFT":
                continue
            sources.append(join.this)
            if join.args.get("on"):
                hits.extend(self._clause_hits(scope, join.args["on"], ("INDIRECT", "JOIN")))
        for source in sources:
            hits.extend(self._source_rows(scope, source))
        return hits

    def _source_rows(self, scope: Scope, source: exp.Expr) -> list[_Hit]:
        """The rows of one FROM / JOIN item."""
        alias = source.alias_or_name
        found = scope.sources.get(alias)
        if isinstance(found, exp.Table):
            return [_Hit("rows", _table_key(found), "*", "", ("INDIRECT", "ROWS"), ())]
        if isinstance(found, Scope) and found.scope_type == ScopeType.UDTF:
            return self._clause_hits(found, found.expression, ("INDIRECT", "ROWS"))
        if isinstance(found, Scope):
            return [h._replace(via=(f"{alias}.*", *h.via)) for h in self.rows(found)]
        return []

    def _clause_hits(self, scope: Scope, clause: exp.Expr, transform: tuple[str, str]) -> list[_Hit]:
        """Columns (and subquery columns) read by a filter / join / grouping clause."""
        hits: list[_Hit] = []
        for ref in find_all_in_scope(clause, exp.Column):
            hits.extend(self._follow(scope, ref, _child_path(ref, clause, ""), transform, ()))
        hits.extend(self._subquery_hits(scope, clause, transform))
        return hits


# -- manifest indexes ---------------------------------------------------------------------------


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


# -- SQL helpers --------------------------------------------------------------------------------


def _own_sql(node: dict) -> str:
    """Compiled SQL without the ephemeral CTEs dbt injected (each is traced as its own node).

    Cutting the injected text before parsing saves re-parsing every ephemeral ancestor in each
    model; when the text is not found the AST step (_drop_injected_ctes) still removes them.
    """
    code = node["compiled_code"]
    ctes = node.get("extra_ctes") or []
    block = ", ".join(c.get("sql", "") for c in ctes)
    start = code.find(block) if block else -1
    if start < 0:
        return code
    head, tail = code[:start], code[start + len(block):]
    if tail.lstrip().startswith(","):
        return head + " " + tail.lstrip()[1:]
    stripped = head.rstrip()
    if stripped.lower().endswith("with"):
        return stripped[:-4] + " " + tail
    return code


def _drop_injected_ctes(tree: exp.Expr) -> None:
    """Remove any ``__dbt__cte__*`` CTE still in the tree."""
    with_ = tree.args.get("with_")
    if not with_:
        return
    kept = [c for c in with_.expressions if not c.alias.startswith(CTE_PREFIX)]
    if not kept:
        tree.set("with_", None)
    elif len(kept) != len(with_.expressions):
        with_.set("expressions", kept)


def _func_name(func: exp.Func) -> str:
    return (func.name if isinstance(func, exp.Anonymous) else func.sql_name()).lower()


def _first_string(func: exp.Func) -> str:
    """The file pattern: the first string argument of a table function."""
    for arg in func.expressions if isinstance(func, exp.Anonymous) else func.iter_expressions():
        if isinstance(arg, exp.Literal) and arg.is_string:
            return arg.this
    return func.sql(DIALECT)


def _function_columns(func: exp.Func) -> dict[str, str]:
    """Column names and types a table function declares (``columns = {...}``, ``filename``)."""
    columns: dict[str, str] = {}
    has_filename = False
    for arg in func.expressions if isinstance(func, exp.Anonymous) else []:
        if not isinstance(arg, exp.EQ):
            continue
        name = arg.this.name.lower()
        if name == "columns" and isinstance(arg.expression, exp.Struct):
            for item in arg.expression.expressions:
                declared = item.expression
                columns[item.this.name] = declared.name if isinstance(declared, exp.Literal) else "UNKNOWN"
        elif name == "filename":
            has_filename = arg.expression.sql(DIALECT).upper() not in ("FALSE", "0")
    if has_filename:
        columns["filename"] = "VARCHAR"
    return columns


def _is_empty_file_relation(select: exp.Select) -> bool:
    """The empty, typed relation raw_zone.sql builds when no file matches a pattern yet."""
    return any("no file matches" in c for c in _comments(select)) and all(
        isinstance(s.unalias(), exp.Cast) and isinstance(s.unalias().this, exp.Null) for s in select.selects)


def _empty_relation_pattern(select: exp.Select) -> str:
    for comment in _comments(select):
        match = re.search(r"no file matches (\S+)", comment)
        if match:
            return match.group(1).rstrip(":")
    return ""


def _comments(select: exp.Select) -> list[str]:
    found = list(select.comments or [])
    parent = select.parent
    if isinstance(parent, exp.Subquery):
        found.extend(parent.comments or [])
    for projection in select.selects[:1]:
        found.extend(projection.comments or [])
    return found


def _table_key(table: exp.Table) -> tuple[str, ...]:
    """(catalog, db, name) in lower case, as the relation index stores it."""
    return tuple(part.lower() for part in (table.catalog, table.db, table.name) if part)


def _locate(scope: Scope, ref: exp.Column, columns_of) -> tuple[str, str, str] | None:
    """(source alias, column, struct path) of a reference; a bare column is matched to the one
    source that has it; ``a.b.c`` whose ``a`` is a source is column ``b`` with path ``.c``."""
    parts = [p.name for p in ref.parts]
    for i in range(len(parts) - 1):
        if parts[i] in scope.sources:
            return parts[i], parts[i + 1], "".join(f".{p}" for p in parts[i + 2:])
    if ref.table:
        return None
    owners = [alias for alias, source in scope.sources.items()
              if ref.name in _source_columns(source, columns_of)]
    return (owners[0], ref.name, "") if len(owners) == 1 else None


def _source_columns(source: exp.Table | Scope, columns_of) -> list[str]:
    if isinstance(source, exp.Table):
        return list(columns_of(_table_key(source)))
    if isinstance(source.expression, exp.Unnest):
        alias = source.expression.args.get("alias")
        return [c.name for c in alias.columns] if alias else []
    return list(getattr(source.expression, "named_selects", []))


def _classify(ref: exp.Column, top: exp.Expr) -> tuple[str, str]:
    """OpenLineage transformation of a reference inside a projection expression."""
    aggregated = False
    node: exp.Expr = ref
    while node is not top and node.parent is not None:
        parent = node.parent
        if isinstance(parent, exp.Window) and node is not parent.this:
            return "INDIRECT", "WINDOW"
        if isinstance(parent, exp.If | exp.Case) and node is parent.this:
            return "INDIRECT", "CONDITIONAL"
        if isinstance(parent, exp.Filter) and node is parent.expression:
            return "INDIRECT", "FILTER"
        aggregated = aggregated or isinstance(parent, exp.AggFunc)
        node = parent
    if aggregated:
        return "DIRECT", "AGGREGATION"
    return ("DIRECT", "IDENTITY") if ref is top else ("DIRECT", "TRANSFORMATION")


def _compose(outer: tuple[str, str], inner: tuple[str, str]) -> tuple[str, str]:
    """Transformation over two hops: INDIRECT wins, then the stronger DIRECT kind."""
    if outer[0] == "INDIRECT":
        return outer
    if inner[0] == "INDIRECT":
        return inner
    return max(outer, inner, key=lambda t: _DIRECT_RANK[t[1]])


def _retag(hit: _Hit, transform: tuple[str, str]) -> _Hit:
    return hit._replace(transform=_compose(transform, hit.transform))


def _child_path(ref: exp.Column, top: exp.Expr, pending: str, *, element: bool = False) -> str:
    """The JSON / struct path of ``ref`` the expression reads: the paths of the JSON functions,
    struct fields and subscripts wrapped around it (inner first), then ``pending`` (what the
    caller reads of the result) when every wrapper hands the value on unchanged."""
    path = ""
    node: exp.Expr = ref
    while node is not top and node.parent is not None:
        step = _step(node.parent, node, path)
        if step is None:
            return path
        path += step
        node = node.parent
    if element and "[*]" not in path:
        path += "[*]"
    return path + pending


def _step(parent: exp.Expr, child: exp.Expr, path: str) -> str | None:
    """What one wrapper adds to the path ("" if it passes the value on, None if opaque)."""
    if isinstance(parent, _JSON_EXTRACTS):
        return _json_path(parent.expression) if child is parent.this else None
    if isinstance(parent, exp.Dot):
        return f".{parent.name}" if child is parent.this else None
    if isinstance(parent, exp.Bracket):
        if child is not parent.this:
            return None
        index = parent.expressions[0] if parent.expressions else None
        if isinstance(index, exp.Literal) and index.is_string:
            return f".{index.this}"
        return "" if "[*]" in path else "[*]"
    if isinstance(parent, exp.Explode | exp.Unnest):
        return "" if "[*]" in path else "[*]"
    if isinstance(parent, (*_TRANSPARENT, exp.Alias)) or (
            isinstance(parent, exp.Anonymous) and parent.name.lower() in _TRANSPARENT_NAMES):
        return _transparent_step(parent, child)
    return None


def _transparent_step(parent: exp.Expr, child: exp.Expr) -> str | None:
    """Wrappers pass the value on, except through their conditions (CASE WHEN ...)."""
    if isinstance(parent, exp.If) and child is parent.this:
        return None
    if isinstance(parent, exp.Case) and child is parent.this:
        return None
    return ""


def _json_path(path: exp.Expr | None) -> str | None:
    """A literal JSON path as text without ``$`` (``.data[*].id``); None if not literal."""
    if isinstance(path, exp.JSONPath):
        return "".join(_json_part(p) for p in path.expressions)
    if isinstance(path, exp.Literal) and path.is_string:
        return path.this.lstrip("$")
    return None


def _json_part(part: exp.Expr) -> str:
    if isinstance(part, exp.JSONPathRoot):
        return ""
    if isinstance(part, exp.JSONPathKey):
        key = part.this
        return ".*" if isinstance(key, exp.JSONPathWildcard) else f".{key}"
    if isinstance(part, exp.JSONPathSubscript):
        index = part.this
        return "[*]" if isinstance(index, exp.JSONPathWildcard) else f"[{index}]"
    if isinstance(part, exp.JSONPathWildcard):
        return ".*"
    return "[*]"


def _counts_rows(value: exp.Expr) -> bool:
    """The expression counts rows: a count or sum no column value flows into (``count(*)``,
    ``sum(case when c then 1 else 0 end)``) or a rank (``row_number() over (...)``); its value
    depends on which rows exist."""
    for agg in find_all_in_scope(value, exp.Count, exp.Sum, *_RANKING):
        refs = list(find_all_in_scope(agg, exp.Column))
        if not any(_classify(ref, agg)[0] == "DIRECT" for ref in refs):
            return True
    return False


def _display(path: str) -> str:
    return f"${path}" if path else ""


def _snippet(expression: exp.Expr) -> str:
    """One line of SQL, shortened for display."""
    text = " ".join(expression.sql(DIALECT).split())
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 3] + "..."
