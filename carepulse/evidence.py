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
_DIGEST_SQL = ('select count(*), coalesce(sum(md5_number_lower(t::varchar)::hugeint), 0), '
               'coalesce(sum(md5_number_upper(t::varchar)::hugeint), 0) from marts."{name}" as t')


def mart_hashes(db: Path) -> dict[str, dict]:
    """{mart: {"rows": n, "sha256": content digest (DIGEST), "digest": DIGEST}} for schema marts."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                           "where table_schema = 'marts' order by 1").fetchall()]
        out = {}
        for name in names:
            rows, lower, upper = con.execute(_DIGEST_SQL.format(name=name)).fetchone()
            digest = hashlib.sha256(f"{rows}:{lower}:{upper}".encode()).hexdigest()
            out[name] = {"rows": rows, "sha256": digest, "digest": DIGEST}
        return out
    finally:
        con.close()


def collect(home: Path, audit: Path, nights: list[str], warehouse: Path) -> dict:
    """Write marts.json (of `warehouse`, the candidate about to be published), copy the dbt
    artifacts and docs page, and list the extraction manifests the build read."""
    hashes = mart_hashes(warehouse)
    atomic_write(audit / "marts.json", json.dumps(hashes, indent=1, sort_keys=True).encode(), mode=0o644)
    dbt_source = copy_dbt_artifacts(home, audit)
    manifests = [{"path": str(p.relative_to(home)), "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
                 for p in manifests_read(home, nights)]
    atomic_write(audit / "extraction_manifests.json",
                 json.dumps(manifests, indent=1).encode(), mode=0o644)
    return {"marts": len(hashes), "manifests": len(manifests), "audit": str(audit), "dbt": dbt_source,
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
