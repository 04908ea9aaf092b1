"""The project being traced: parsed models, resolved scopes and lineage nodes, cached."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, ScopeType, build_scope, find_all_in_scope

from lineage.columns.manifest import (
    _csv_header,
    _grain_keys,
    _identifier,
    _meta,
    _names,
    _relations,
    _warehouse_columns,
)
from lineage.columns.model import (
    CONDITIONAL_NOTE,
    CONSTANT_NOTE,
    CTE_PREFIX,
    DECLARED_NOTE,
    DIALECT,
    EPHEMERAL_CATALOG,
    SOURCE_CATALOG,
    TABLE_FUNCTIONS,
    Edge,
    LineageError,
    LineageNode,
    _Hit,
)
from lineage.columns.sql import (
    _child_path,
    _classify,
    _compose,
    _counts_rows,
    _display,
    _drop_injected_ctes,
    _empty_relation_pattern,
    _first_string,
    _func_name,
    _function_columns,
    _is_empty_file_relation,
    _locate,
    _own_sql,
    _retag,
    _snippet,
    _table_key,
)

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
