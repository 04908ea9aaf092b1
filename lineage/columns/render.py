"""A lineage tree as indented text for people and as a JSON graph for tools."""

from __future__ import annotations

from lineage.columns.model import (
    ColumnLineage,
    Edge,
    LineageNode,
    constants,
    source_fields,
    unresolved,
    value_origin,
)


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
