"""The run's evidence folder, `audit/<run_id>/`: what an auditor needs beside the gate results.

Written from the validated candidate just before it is published (carepulse.publish seals the
folder, then swaps): the content hash of every mart (order-independent, so two builds of the
same raw zone compare equal), the dbt manifest and run results of the build, the extraction
manifests whose rows the build read (paths and sha256), the dbt docs page and the run's
OpenLineage events so far. `gate.json`, `publish.json` and the GX results are written by their
own steps into the same folder; `carepulse.audit.seal` then hashes it all.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb

from carepulse import paths
from carepulse.publish import DOCS_PAGE
from extract.landing import atomic_write
from transform.build import docs_dir, target_dir

# A mart's content digest, computed in DuckDB so that sealing a night never pulls a history
# table into Python: each row (as text) is md5-hashed, the two 64-bit halves are summed over
# the table (order-independent, exact in HUGEINT), and sha256 binds the row count and sums.
DIGEST = "sha256(rows, sum md5 lower, sum md5 upper) v1"
_SUMS = ('count(*), coalesce(sum(md5_number_lower(t::varchar)::hugeint), 0), '
         'coalesce(sum(md5_number_upper(t::varchar)::hugeint), 0)')
_DIGEST_SQL = f'select {_SUMS} from {{schema}}."{{name}}" as t'
VIEW_DIGEST = "sha256(view definition) v1"
STAMP = "_loaded_in_build"
# The key of each mart whose rows carry their build: what tells the rows a build deleted.
KEYS = {"dim_authors": "author_key", "fct_mentions": "mention_key", "fct_share_of_voice_daily": "sov_key",
        "fct_post_engagement_daily": "post_snapshot_key",
        "fct_influencer_mentions_daily": "influencer_day_key", "fct_misinformation_watch": "post_key"}


def digest_sql(name: str, schema: str = "marts") -> str:
    """The sums of DIGEST over one mart (`schema`: "previous.marts" for the attached published file)."""
    return _DIGEST_SQL.format(schema=schema, name=name)


def mart_hashes(db: Path, known: dict | None = None,
                previous: Path | None = None) -> tuple[dict[str, dict], dict[str, dict]]:
    """({mart: {"rows", "sha256" (DIGEST), "digest"}}, parts) for schema marts.

    The sums are additive, so a mart whose rows carry the build that wrote them is summed per
    build (`parts`: {mart: {build: [rows, lower, upper]}}). A build's rows are never changed
    in place, only deleted (a rewrite stamps its rows with the new build), so a part of
    `known` (the parts of `previous`, the published warehouse `db` was copied from) whose row
    count is unchanged is reused, and one that lost rows is reduced by the sums of the rows
    `previous` has and `db` no longer has (found by key): sealing a night sums the rows that
    night wrote and deleted, not the history. The digest is the same as summing the whole
    table, which is how an auditor checks it."""
    known = known or {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        if previous is not None and known:
            con.execute(f"attach '{previous}' as previous (read_only)")
        columns: dict[str, set[str]] = {}
        for table, column in con.execute("select table_name, column_name from information_schema.columns "
                                         "where table_schema = 'marts'").fetchall():
            columns.setdefault(table, set()).add(column)
        views = dict(con.execute("select view_name, sql from duckdb_views() "
                                 "where schema_name = 'marts'").fetchall())
        hashes, parts = {}, {}
        for name in sorted(columns):
            if name in views:
                # a view's rows depend on when it is read (fct_patient_questions ages open items),
                # so a digest of them could never be checked later; its definition can
                (rows,) = con.execute(f'select count(*) from marts."{name}"').fetchone()
                hashes[name] = {"rows": rows, "sha256": hashlib.sha256(views[name].encode()).hexdigest(),
                                "digest": VIEW_DIGEST}
                continue
            if STAMP in columns[name]:
                reduce = previous is not None and name in KEYS
                parts[name] = _parts(con, name, known.get(name) or {}, KEYS[name] if reduce else None)
                sums = [sum(part[i] for part in parts[name].values()) for i in range(3)]
            else:
                sums = con.execute(digest_sql(name)).fetchone()
            rows, lower, upper = sums
            digest = hashlib.sha256(f"{rows}:{lower}:{upper}".encode()).hexdigest()
            hashes[name] = {"rows": rows, "sha256": digest, "digest": DIGEST}
        return hashes, parts
    finally:
        con.close()


def _parts(con: duckdb.DuckDBPyConnection, name: str, known: dict[str, list],
           key: str | None) -> dict[str, list]:
    counts = dict(con.execute(f'select {STAMP}, count(*) from marts."{name}" group by 1').fetchall())
    rewritten = _rewritten(con, name, known, counts, key) if key is not None else {}
    out = {}
    for build, rows in counts.items():
        part = "" if build is None else build
        if part in known and known[part][0] == rows:
            out[part] = known[part]
            continue
        if part in known and key is not None and build is not None and rows < known[part][0]:
            gone = rewritten.get(build, [0, 0, 0])
            if known[part][0] - gone[0] != rows:  # rows deleted for good: find them by anti-join
                gone = con.execute(
                    f'{digest_sql(name, "previous.marts")} '
                    f'where {STAMP} = $build and not exists (select 1 from marts."{name}" as kept '
                    f'where kept.{STAMP} = $build and kept.{key} = t.{key})', {"build": build}).fetchone()
            if known[part][0] - gone[0] == rows:
                out[part] = [known[part][i] - gone[i] for i in range(3)]
                continue
        where = f"{STAMP} is null" if build is None else f"{STAMP} = $build"
        out[part] = list(con.execute(f"{digest_sql(name)} where {where}",
                                     {} if build is None else {"build": build}).fetchone())
    return out


def _rewritten(con: duckdb.DuckDBPyConnection, name: str, known: dict[str, list], counts: dict,
               key: str) -> dict[str, list]:
    """{build: sums} of the rows of older builds in `previous` whose key a new build (a part not
    in `known`) wrote again: usually every row a night took from older parts. One pass over the
    previous table's keys, probed against the night's keys (a key is unique in a mart, so such
    a row is gone from its old part); the digest is computed for those rows alone."""
    new = [b for b in counts if b is not None and b not in known]
    if not new or not known:
        return {}
    rows = con.execute(
        f'select t.{STAMP}, {_SUMS} from previous.marts."{name}" as t '
        f'where t.{key} in (select {key} from marts."{name}" where {STAMP} in (select unnest($new))) '
        f'group by 1', {"new": new}).fetchall()
    return {build: list(sums) for build, *sums in rows}


def collect(home: Path, audit: Path, nights: list[str], warehouse: Path, known_parts: dict | None = None,
            previous: Path | None = None) -> dict:
    """Write marts.json (of `warehouse`, the candidate about to be published), copy the dbt
    artifacts and docs page, and list the extraction manifests the build read. `known_parts`:
    the digest parts of `previous`, the published warehouse (mart_hashes), returned updated as
    "mart_parts"."""
    hashes, parts = mart_hashes(warehouse, known_parts, previous)
    atomic_write(audit / "marts.json", json.dumps(hashes, indent=1, sort_keys=True).encode(), mode=0o644)
    dbt_source = copy_dbt_artifacts(home, audit)
    manifests = [{"path": str(p.relative_to(home)), "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
                 for p in manifests_read(home, nights)]
    atomic_write(audit / "extraction_manifests.json",
                 json.dumps(manifests, indent=1).encode(), mode=0o644)
    return {"marts": len(hashes), "mart_parts": parts, "manifests": len(manifests), "audit": str(audit),
            "dbt": dbt_source,
            "docs": copy_docs(home, audit), "lineage_events": copy_lineage_events(home, audit)}


def manifests_read(home: Path, nights: list[str]) -> list[Path]:
    """The finished extraction manifests whose rows this build may publish: every one no sealed
    bundle has listed yet (a night extracted earlier, or backfilled out of order, is read by the
    next build whatever night it runs for), plus the run's own nights' (a rerun re-reads them)."""
    from carepulse.audit import recorded_manifests

    recorded = recorded_manifests(home)
    out = []
    for path in sorted(paths.manifests_dir(home).glob("date=*/run=*/manifest.json")):
        night = path.parent.parent.name.removeprefix("date=")
        if str(path.relative_to(home)) not in recorded or night in nights:
            out.append(path)
    return out


def copy_dbt_artifacts(home: Path, audit: Path) -> str | None:
    """The build's dbt manifest and run results into the evidence; says where they came from.

    One `dbt build` leaves both in the home's target. Under Cosmos each model was its own dbt
    call in a temporary folder: the manifest is then the docs step's (compiled from the same
    project, so column lineage works) and the run results are the tasks' results merged."""
    from transform.cosmos_group import merged_run_results

    built = target_dir(home)
    if (built / "manifest.json").is_file():
        for artifact in ("manifest.json", "run_results.json"):
            if (built / artifact).is_file():
                shutil.copyfile(built / artifact, audit / f"dbt_{artifact}")
        return "dbt build"
    merged = merged_run_results(home)
    if merged is None:
        return None
    if (docs_dir(home) / "manifest.json").is_file():
        shutil.copyfile(docs_dir(home) / "manifest.json", audit / "dbt_manifest.json")
    atomic_write(audit / "dbt_run_results.json", json.dumps(merged, indent=1).encode(), mode=0o644)
    return f"cosmos ({len(merged['metadata']['invocations'])} tasks)"


def copy_docs(home: Path, audit: Path) -> str | None:
    """The candidate's docs page into the evidence; the publish makes it the published one."""
    page = docs_dir(home) / "static_index.html"
    if not page.exists():
        return None
    shutil.copyfile(page, audit / DOCS_PAGE)
    return str(audit / DOCS_PAGE)


def copy_lineage_events(home: Path, audit: Path) -> int:
    """The run's OpenLineage events into `openlineage/`: the Airflow run's task events (file
    transport) and the dbt models' events, emitted here from the build's artifacts."""
    from carepulse.nightly import folder_name
    from lineage.openlineage_dbt import emit_dbt_events

    target = audit / "openlineage"
    copied = 0
    for event_file in sorted((paths.lineage_dir(home) / "airflow").glob("*.json")):
        event = json.loads(event_file.read_text())
        dag_run = event.get("run", {}).get("facets", {}).get("airflow", {}).get("dagRun", {})
        if folder_name(str(dag_run.get("run_id", ""))) == audit.name:
            target.mkdir(exist_ok=True)
            shutil.copyfile(event_file, target / event_file.name)
            copied += 1
    if emit_dbt_events(home, audit):
        shutil.copytree(paths.lineage_dir(home) / "dbt" / audit.name, target / "dbt", dirs_exist_ok=True)
        copied += len(list((target / "dbt").glob("*.json")))
    return copied
