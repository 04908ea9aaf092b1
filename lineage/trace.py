"""`carepulse lineage trace <mart> <key...>`: one published row down to its raw evidence.

From the row: the mentions (or, for a location's daily rating, the reviews) behind it, which
must reproduce its counts, each one's
staging row, the raw file and line it was parsed from (the file re-hashed against its
extraction manifest, and the record located inside the stored API response), the
extraction runs with their config hash and code version, and the publishing run's dbt
invocation, sentiment lexicon version and quality-gate results. Raw text is never printed:
the raw zone is the only place verbatim text lives.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from carepulse import paths
from carepulse.urls import article_id
from extract.landing import sha256_file

COUNTS = {  # measure -> how to recompute it from the mentions behind a row
    "mentions": "count(*)",
    "engagements": "sum(engagements)",
    "reach": "sum(reach)",
    "positive_mentions": "count_if(adjusted_label = 'positive')",
    "neutral_mentions": "count_if(adjusted_label = 'neutral')",
    "negative_mentions": "count_if(adjusted_label = 'negative')",
    "reviews": "count(*)",
    **{f"rating_{k}": f"count_if(star_rating = {k})" for k in range(1, 6)},
}

# the evidence rows behind a published row, in the shape the rest of the trace reads: one per
# mention (or review) with its post key, platform, entity, native id and raw file
MENTIONS_BEHIND = """
    select m.mention_key, m.post_key, m.brand_id, m.platform,
           cast(m.mention_date as varchar) as mention_date, p.entity_type, p.native_post_id,
           m.adjusted_label, m.adjusted_compound, m.lexicon_version,
           m.engagements, m.reach, cast(null as integer) as star_rating, m._run_id as run_id,
           m._source_file as source_file, m._source_sha256 as source_sha256, p._source_line as source_line
    from marts.fct_mentions as m
    left join intermediate.int_posts_unified as p on p.post_key = m.post_key"""
REVIEWS_BEHIND = """
    select m.review_key as mention_key, m.review_key as post_key, m.brand_id, m.platform,
           cast(m.created_date as varchar) as mention_date, 'review' as entity_type,
           m.native_review_id as native_post_id, m.sentiment_label as adjusted_label,
           m.sentiment_compound as adjusted_compound, cast(null as varchar) as lexicon_version,
           0 as engagements, 0 as reach, m.star_rating, m._run_id as run_id,
           m._source_file as source_file, m._source_sha256 as source_sha256, p._source_line as source_line
    from (select *, created_date as date_day from marts.fct_reviews) as m
    left join intermediate.int_posts_unified as p on p.post_key = m.review_key"""


@dataclass(frozen=True)
class Traceable:
    keys: tuple[str, ...]  # the row's key columns, in the order the CLI takes them
    measures: tuple[str, ...]  # columns the evidence rows must reproduce (names in COUNTS)
    behind: str = MENTIONS_BEHIND  # the evidence rows, filtered on the key columns (alias m)


TRACEABLE = {
    "fct_share_of_voice_daily": Traceable(
        ("mention_date", "platform", "brand_id"),
        ("mentions", "engagements", "reach", "positive_mentions", "neutral_mentions", "negative_mentions")),
    "fct_influencer_mentions_daily": Traceable(
        ("author_key", "brand_id", "mention_date"),
        ("mentions", "engagements", "reach", "positive_mentions", "negative_mentions")),
    "fct_mentions": Traceable(("mention_key",), ("engagements", "reach")),
    "fct_location_rating_daily": Traceable(
        ("location_id", "date_day"), ("reviews", *(f"rating_{k}" for k in range(1, 6))), REVIEWS_BEHIND),
}


class TraceError(ValueError):
    """The mart cannot be traced or the key names no published row; the message says which."""


def trace(home: Path, mart: str, key: list[str]) -> dict[str, Any]:
    """The whole trace as a JSON-ready dict (render_text prints it for people)."""
    spec = TRACEABLE.get(mart)
    if spec is None:
        raise TraceError(f"mart {mart!r} cannot be traced; traceable marts: {', '.join(sorted(TRACEABLE))}")
    if len(key) != len(spec.keys):
        raise TraceError(f"{mart} is keyed by {' '.join(spec.keys)}; got {len(key)} value(s): {key}")
    published = paths.warehouse_dir(home) / "carepulse.duckdb"
    if not published.exists():
        raise TraceError(f"{published}: nothing published yet")
    con = duckdb.connect(str(published), read_only=True)
    try:
        key = _resolve_latest(con, mart, spec, key)
        row = _published_row(con, mart, spec, key)
        mentions = _mentions(con, spec, key)
        _attach_staging(con, mentions)
    finally:
        con.close()
    files = _verify_files(home, mentions)
    result = {
        "mart": mart, "key": dict(zip(spec.keys, key, strict=True)), "row": row,
        "reproduced": _reproduce(row, mentions, spec),
        "mentions": mentions, "raw_files": files,
        "extraction_runs": _extraction_runs(home, {m["run_id"] for m in mentions}),
        "lexicon_versions": sorted({m["lexicon_version"] for m in mentions if m["lexicon_version"]}),
        "publish": _publishing_run(home),
    }
    result["verified"] = (all(r["match"] for r in result["reproduced"].values())
                          and all(f["verified"] for f in files.values())
                          and all(m["raw"]["record_found"] for m in mentions))
    return result


DATE_KEYS = ("mention_date", "date_day")


def _resolve_latest(con, mart: str, spec: Traceable, key: list[str]) -> list[str]:
    """`latest` as a date key: the newest date the mart holds for the other key values, so a
    command can name a row without naming today's calendar."""
    resolved = list(key)
    for i, (column, value) in enumerate(zip(spec.keys, key, strict=True)):
        if value != "latest" or column not in DATE_KEYS:
            continue
        others = [(c, v) for c, v in zip(spec.keys, key, strict=True) if c != column]
        where = " and ".join(f"cast({c} as varchar) = ?" for c, _ in others) or "true"
        (newest,) = con.execute(f"select cast(max({column}) as varchar) from marts.{mart} where {where}",
                                [v for _, v in others]).fetchone()
        if newest is None:
            raise TraceError(f"no row in marts.{mart} with " + ", ".join(f"{c}={v}" for c, v in others))
        resolved[i] = newest
    return resolved


def examples(published: Path) -> list[list[str]]:
    """Rows of a published warehouse to trace, as `carepulse lineage trace` arguments: the
    busiest share-of-voice row of the newest day, one mention behind it, and the newest day's
    busiest influencer. Empty when the marts hold no mention."""
    con = duckdb.connect(str(published), read_only=True)
    try:
        sov = con.execute("""
            select cast(mention_date as varchar), platform, brand_id
            from marts.fct_share_of_voice_daily where mentions > 0
            order by mention_date desc, mentions desc, platform, brand_id limit 1""").fetchone()
        if sov is None:
            return []
        (mention,) = con.execute("""
            select min(mention_key) from marts.fct_mentions
            where cast(mention_date as varchar) = ? and platform = ? and brand_id = ?""",
                                 list(sov)).fetchone()
        influencer = con.execute("""
            select author_key, brand_id, cast(mention_date as varchar)
            from marts.fct_influencer_mentions_daily
            order by mention_date desc, mentions desc, author_key, brand_id limit 1""").fetchone()
        rating = _busiest_rating_day(con)
    finally:
        con.close()
    rows = [["fct_share_of_voice_daily", *sov]]
    if mention is not None:
        rows.append(["fct_mentions", mention])
    if influencer is not None:
        rows.append(["fct_influencer_mentions_daily", *influencer])
    if rating is not None:
        rows.append(["fct_location_rating_daily", *rating])
    return rows


def _busiest_rating_day(con) -> tuple | None:
    """The newest day with reviews of the location with most reviews (None in a warehouse
    without reviews, or from before they existed)."""
    try:
        return con.execute("""
            select location_id, cast(date_day as varchar) from marts.fct_location_rating_daily
            where reviews > 0 order by date_day desc, reviews desc, location_id limit 1""").fetchone()
    except duckdb.CatalogException:
        return None


# -- the warehouse side ---------------------------------------------------------------------------


def _where(columns: tuple[str, ...], alias: str) -> str:
    return " and ".join(f"cast({alias}.{c} as varchar) = ?" for c in columns)


def _published_row(con, mart: str, spec: Traceable, key: list[str]) -> dict:
    cur = con.execute(f"select * from marts.{mart} as t where {_where(spec.keys, 't')}", key)
    rows = cur.fetchall()
    if not rows:
        raise TraceError(f"no row in marts.{mart} with " + ", ".join(
            f"{k}={v}" for k, v in zip(spec.keys, key, strict=True)))
    return _jsonable(dict(zip([d[0] for d in cur.description], rows[0], strict=True)))


def _mentions(con, spec: Traceable, key: list[str]) -> list[dict]:
    """The evidence rows behind the row (mentions, or reviews), with where each was parsed from."""
    cur = con.execute(f"{spec.behind} where {_where(spec.keys, 'm')} order by mention_key", key)
    names = [d[0] for d in cur.description]
    return [_jsonable(dict(zip(names, r, strict=True))) for r in cur.fetchall()]


def _reproduce(row: dict, mentions: list[dict], spec: Traceable) -> dict[str, dict]:
    """Each measure recomputed from the listed mentions, against the published value."""
    if not mentions:
        recomputed = dict.fromkeys(spec.measures, 0)
    else:
        con = duckdb.connect()
        try:
            con.execute("create table m (engagements bigint, reach bigint, adjusted_label varchar, "
                        "star_rating integer)")
            con.executemany("insert into m values (?, ?, ?, ?)",
                            [(m["engagements"], m["reach"], m["adjusted_label"], m["star_rating"])
                             for m in mentions])
            sql = ", ".join(f"coalesce({COUNTS[c]}, 0)" for c in spec.measures)
            recomputed = dict(zip(spec.measures, con.execute(f"select {sql} from m").fetchone(), strict=True))
        finally:
            con.close()
    return {c: {"published": row[c], "from_mentions": int(recomputed[c]),
                "match": int(row[c] or 0) == int(recomputed[c])} for c in spec.measures}


def _staging_model(platform: str, entity_type: str | None) -> tuple[str, str]:
    """The staging model of the entity and its key column, as the source registry declares them."""
    from carepulse.sources import SOURCES

    entities = {e.name: (e.staged_model, e.key) for e in SOURCES[platform].entities}
    return entities.get(entity_type or "post") or entities["post"]


def _attach_staging(con, mentions: list[dict]) -> None:
    """The staging rows of each mention's post, and whether one was parsed from the cited file."""
    by_model: dict[tuple[str, str], list[dict]] = {}
    for m in mentions:
        by_model.setdefault(_staging_model(m["platform"], m["entity_type"]), []).append(m)
    for (model, key), group in by_model.items():
        keys = sorted({m["post_key"] for m in group})
        rows = con.execute(f"select {key}, _source_file from staging.{model} "
                           f"where {key} in (select unnest(?))", [keys]).fetchall()
        files: dict[str, set[str]] = {}
        for post_key, source_file in rows:
            files.setdefault(post_key, set()).add(source_file)
        for m in group:
            seen = files.get(m["post_key"], set())
            m["staging"] = {"model": f"staging.{model}", "rows": len(seen),
                            "cites_same_file": m["source_file"] in seen}


# -- the raw side ---------------------------------------------------------------------------------


def _verify_files(home: Path, mentions: list[dict]) -> dict[str, dict]:
    """Each cited raw file re-hashed against its manifest entry; each record located in it."""
    entries = _manifest_entries(home)
    files: dict[str, dict] = {}
    envelopes: dict[tuple[str, int], Any] = {}
    for m in mentions:
        path = m["source_file"]
        if path not in files:
            entry = entries.get(path, {})
            full = paths.raw_dir(home) / path
            actual = sha256_file(full) if full.exists() else None
            files[path] = {"manifest": entry.get("manifest"), "manifest_sha256": entry.get("sha256"),
                           "sha256": actual, "warehouse_sha256": m["source_sha256"],
                           "verified": actual is not None and actual == entry.get("sha256")
                           == m["source_sha256"]}
        where = (path, m["source_line"] or 0)
        if where not in envelopes:
            envelopes[where] = _envelope(paths.raw_dir(home) / path, where[1])
        m["raw"] = {"file": f"raw/{path}", "line": m["source_line"],
                    **_locate(envelopes[where], m["native_post_id"])}
    return files


def _manifest_entries(home: Path) -> dict[str, dict]:
    out = {}
    for manifest in sorted(paths.manifests_dir(home).glob("date=*/run=*/manifest.json")):
        for entry in json.loads(manifest.read_text())["files"]:
            out[entry["path"]] = {"sha256": entry["sha256"], "manifest": str(manifest.relative_to(home))}
    return out


def _locate(envelope: Any, native_id: str | None) -> dict:
    """Where in the stored API response the record is: a JSON path, never the text."""
    found = _find_id(envelope, native_id, "$") if envelope is not None and native_id else None
    return {"record_found": found is not None, "json_path": found}


def _envelope(path: Path, line: int) -> Any:
    """The JSON on `line` of a raw file (None when the file or line is missing)."""
    if not path.exists():
        return None
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for number, text in enumerate(fh, start=1):
            if number == line:
                return json.loads(text)
    return None


def _find_id(node: Any, native_id: str, where: str) -> str | None:
    """The JSON path of the object holding the id; a pseudonymised id (`anon_x/rkey`) is
    matched on the part the pseudonym leaves (Bluesky's record key), a news article's id (the
    hash of its canonical link) on the link GDELT returned (`url`)."""
    tail = "/" + native_id.rsplit("/", 1)[-1] if "/" in native_id else None
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, str) and (v == native_id or (tail and k == "uri" and v.endswith(tail))
                                       or (k == "url" and article_id(v) == native_id)):
                return where
        children = node.items()
    elif isinstance(node, list):
        children = enumerate(node)
    else:
        return None
    for k, v in children:
        found = _find_id(v, native_id, f"{where}[{k}]" if isinstance(k, int) else f"{where}.{k}")
        if found:
            return found
    return None


def _extraction_runs(home: Path, run_ids: set[str]) -> list[dict]:
    out = []
    for run_id in sorted(run_ids):
        for manifest in paths.manifests_dir(home).glob(f"date=*/run={run_id}/manifest.json"):
            doc = json.loads(manifest.read_text())
            libs = doc.get("library_versions", {})
            out.append({"run_id": run_id, "night": doc["night"], "status": doc["status"],
                        "manifest": str(manifest.relative_to(home)),
                        "config_sha256": doc["config"]["sha256"],
                        "panel_version": doc["config"].get("panel_version"),
                        "code_version": doc["code_version"],
                        "versions": {k: libs[k] for k in ("dbt-core", "vaderSentiment") if k in libs}})
    return out


def _publishing_run(home: Path) -> dict | None:
    """The sealed run that published the current warehouse: gate, dbt invocation, bundle."""
    from carepulse.audit import latest_published_run

    folder = latest_published_run(home)
    if folder is None:
        return None
    gate = json.loads((folder / "gate.json").read_text())
    results = folder / "dbt_run_results.json"
    meta = json.loads(results.read_text())["metadata"] if results.exists() else {}
    return {"run_id": folder.name, "evidence": str(folder.relative_to(home)),
            "published": json.loads((folder / "publish.json").read_text()),
            "gate": {"passed": gate["passed"], **{s: {"success": v["success"], "suites": v.get("suites"),
                                                      "failures": v["failures"]}
                                                  for s, v in gate["stages"].items()}},
            "dbt": {"invocation_id": meta.get("invocation_id"), "version": meta.get("dbt_version"),
                    "cosmos_invocations": meta.get("invocations")}}


def _invocation(dbt: dict) -> str:
    """One dbt build's invocation id, or how many per-model Cosmos invocations built it."""
    if dbt.get("cosmos_invocations"):
        return f"{len(dbt['cosmos_invocations'])} Cosmos task invocations (listed in --json)"
    return f"invocation {dbt['invocation_id']}"


def _jsonable(doc: dict) -> dict:
    def value(v):
        if isinstance(v, (date, datetime)):
            return v.isoformat()
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, list):
            return [value(x) for x in v]
        return v
    return {k: value(v) for k, v in doc.items()}


# -- for people -----------------------------------------------------------------------------------


def render_text(result: dict, limit: int = 20) -> str:
    key = ", ".join(f"{k}={v}" for k, v in result["key"].items())
    lines = [f"{result['mart']} [{key}]: {'VERIFIED' if result['verified'] else 'NOT VERIFIED'}", "",
             "reproduced from the mentions listed below:"]
    lines += [f"  {c:<18} published {r['published']!s:>10}  from mentions {r['from_mentions']:>10}  "
              f"{'ok' if r['match'] else 'MISMATCH'}" for c, r in result["reproduced"].items()]
    lines += ["", f"mentions ({len(result['mentions'])}):"]
    for m in result["mentions"][:limit]:
        lines.append(f"  {m['mention_key']}  {m['platform']} post {m['native_post_id']}  "
                     f"{m['adjusted_label'] or 'unscored'}  engagements {m['engagements']}  "
                     f"reach {m['reach']}")
        lines.append(f"    staging {m['staging']['model']} ({m['staging']['rows']} row(s))  "
                     f"raw {m['raw']['file']} line {m['raw']['line']} at {m['raw']['json_path']}")
    if len(result["mentions"]) > limit:
        lines.append(f"  ... {len(result['mentions']) - limit} more (--limit, or --json for all)")
    bad = [p for p, f in result["raw_files"].items() if not f["verified"]]
    lines += ["", f"raw files: {len(result['raw_files'])} cited, "
                  f"{len(result['raw_files']) - len(bad)} re-hashed equal to their manifest"]
    lines += [f"  MISMATCH raw/{p}: sha256 {result['raw_files'][p]['sha256']} != manifest "
              f"{result['raw_files'][p]['manifest_sha256']}" for p in bad]
    lines += ["", "extraction runs:"]
    lines += [f"  {r['run_id']} night {r['night']} {r['status']}  config {r['config_sha256'][:12]} "
              f"(panel {r['panel_version']})  code {r['code_version'].get('git_commit', '?')[:12]}  "
              f"{' '.join(f'{k} {v}' for k, v in r['versions'].items())}" for r in result["extraction_runs"]]
    lines.append(f"sentiment lexicon: {', '.join(result['lexicon_versions']) or 'none'}")
    pub = result["publish"]
    if pub:
        gate = pub["gate"]
        lines += ["", f"published by run {pub['run_id']} at {pub['published']['published_at']}  "
                      f"(evidence {pub['evidence']})",
                  f"  quality gate: {'passed' if gate['passed'] else 'FAILED'}  "
                  + "  ".join(f"{s} {v['suites']} suites" for s, v in gate.items() if isinstance(v, dict)),
                  f"  dbt {pub['dbt']['version']} {_invocation(pub['dbt'])}"]
    else:
        lines += ["", "publishing run: not found in the sealed evidence chain"]
    return "\n".join(lines)
