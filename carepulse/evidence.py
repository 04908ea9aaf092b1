"""The run's evidence folder, `audit/<run_id>/`: what an auditor needs beside the gate results.

After a publish: the content hash of every published mart (order-independent, so two builds
of the same raw zone compare equal), the dbt manifest and run results of the build, and the
extraction manifests the run read (paths and sha256). `gate.json`, `publish.json` and the GX
results are written by their own steps into the same folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb

from carepulse import paths
from extract.landing import atomic_write
from transform.build import DBT_DIR, published_path


def mart_hashes(db: Path) -> dict[str, dict]:
    """{mart: {"rows": n, "sha256": hash of its rows in a canonical order}} for schema marts."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                           "where table_schema = 'marts' order by 1").fetchall()]
        out = {}
        for name in names:
            rows = con.execute(f'select * from marts."{name}" order by all').fetchall()
            out[name] = {"rows": len(rows), "sha256": hashlib.sha256(repr(rows).encode()).hexdigest()}
        return out
    finally:
        con.close()


def collect(home: Path, audit: Path, nights: list[str]) -> dict:
    """Write marts.json, copy the dbt artifacts and list the nights' extraction manifests."""
    hashes = mart_hashes(published_path(home))
    atomic_write(audit / "marts.json", json.dumps(hashes, indent=1, sort_keys=True).encode(), mode=0o644)
    for artifact in ("manifest.json", "run_results.json"):
        source = DBT_DIR / "target" / artifact
        if source.exists():
            shutil.copyfile(source, audit / f"dbt_{artifact}")
    manifests = []
    for night in nights:
        for path in sorted(paths.manifests_dir(home).glob(f"date={night}/run=*/manifest.json")):
            manifests.append({"path": str(path.relative_to(home)),
                              "sha256": hashlib.sha256(path.read_bytes()).hexdigest()})
    atomic_write(audit / "extraction_manifests.json",
                 json.dumps(manifests, indent=1).encode(), mode=0o644)
    return {"marts": len(hashes), "manifests": len(manifests), "audit": str(audit)}
