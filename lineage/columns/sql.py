"""sqlglot helpers: the model's own SQL, table functions, JSON paths, column classification."""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, find_all_in_scope

from lineage.columns.model import CTE_PREFIX, DIALECT, FIXED_COLUMNS, SNIPPET_CHARS, _Hit

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
    """Column names and types a table function declares (``columns = {...}``, ``filename``),
    or has whatever its call says (read_text)."""
    fixed = FIXED_COLUMNS.get(func.name.lower() if isinstance(func, exp.Anonymous) else "")
    if fixed:
        return dict(fixed)
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
        picked = _picked_path(node.parent, node, path + pending)
        if picked is not None:  # one path of a multi-path extract, chosen by the caller's index
            path, pending = picked
            node = node.parent
            continue
        step = _step(node.parent, node, path)
        if step is None:
            return path
        path += step
        node = node.parent
    if element and "[*]" not in path:
        path += "[*]"
    return path + pending


def _picked_path(parent: exp.Expr, child: exp.Expr, read: str) -> tuple[str, str] | None:
    """``json_extract_string(doc, ['$.a', '$.b'])`` read at ``[i]`` (a JSON document's field list,
    macros/adapters/json.sql): the i-th path, and what is read beyond it; None otherwise."""
    if not (isinstance(parent, _JSON_EXTRACTS) and child is parent.this
            and isinstance(parent.expression, exp.Array)):
        return None
    match = re.match(r"\[(\d+)\]", read)
    paths = parent.expression.expressions
    if match is None or int(match.group(1)) >= len(paths):
        return None
    path = _json_path(paths[int(match.group(1))])
    return None if path is None else (path, read[match.end():])


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
        if isinstance(index, exp.Literal) and not path:  # a list element by position (0-based)
            return f"[{index.this}]"
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
