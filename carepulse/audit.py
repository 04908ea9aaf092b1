"""Evidence bundles that form a chain, and `carepulse audit verify`, which re-checks all of it.

A published run's folder `audit/<run_id>/` is sealed with `bundle.json`: the sha256 of every
file in the folder and the sha256 of the previous sealed bundle. `audit/chain.jsonl` lists the
sealed bundles in order. Changing any evidence file, a bundle, or the order of the chain
breaks a hash that `verify` re-computes; so does changing a raw file (against its extraction
manifest) or a manifest (against the hash a bundle recorded when the run read it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from carepulse import paths
from extract.landing import atomic_write, sha256_bytes, sha256_file

BUNDLE = "bundle.json"
CHAIN = "chain.jsonl"


@dataclass
class Finding:
    """One thing that does not match: `where` names the file, `what` says how."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class VerifyReport:
    problems: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, what: str, n: int = 1) -> None:
        self.checked[what] = self.checked.get(what, 0) + n

    def to_json(self) -> dict:
        return {"ok": self.ok, "checked": self.checked, "notes": self.notes,
                "problems": [{"where": p.where, "what": p.what} for p in self.problems]}


# -- sealing ----------------------------------------------------------------------------------


def _chain(home: Path) -> list[dict]:
    path = paths.audit_dir(home) / CHAIN
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _folder_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): sha256_file(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != BUNDLE}


def seal(home: Path, audit: Path) -> dict:
    """Write `bundle.json` for a published run's folder and append it to the chain."""
    chain = _chain(home)
    if chain and chain[-1]["run_id"] == audit.name:  # a retried evidence task seals again
        chain = chain[:-1]
    previous = chain[-1] if chain else None
    bundle = {
        "bundle_version": 1,
        "run_id": audit.name,
        "sealed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "previous": previous and {"run_id": previous["run_id"], "sha256": previous["sha256"]},
        "files": _folder_hashes(audit),
    }
    data = json.dumps(bundle, indent=1, sort_keys=True).encode()
    atomic_write(audit / BUNDLE, data, mode=0o444)
    entry = {"run_id": audit.name, "sha256": sha256_bytes(data), "sealed_at": bundle["sealed_at"]}
    lines = [json.dumps(e, sort_keys=True) for e in [*chain, entry]]
    atomic_write(paths.audit_dir(home) / CHAIN, ("\n".join(lines) + "\n").encode(), mode=0o644)
    return entry


def sealed_run_ids(home: Path) -> set[str]:
    return {entry["run_id"] for entry in _chain(home)}


def recorded_manifests(home: Path) -> dict[str, str]:
    """Manifest path -> sha256 as the sealed bundles recorded them."""
    recorded: dict[str, str] = {}
    for entry in _chain(home):
        recorded.update(_recorded_manifests(paths.audit_dir(home) / entry["run_id"]))
    return recorded


def latest_published_run(home: Path) -> Path | None:
    """The sealed run folder whose publish produced the current published warehouse."""
    published = paths.warehouse_dir(home) / "carepulse.duckdb"
    if not published.exists():
        return None
    sha = sha256_file(published)
    for entry in reversed(_chain(home)):
        folder = paths.audit_dir(home) / entry["run_id"]
        record = folder / "publish.json"
        if record.exists() and json.loads(record.read_text()).get("sha256") == sha:
            return folder
    return None


# -- verifying --------------------------------------------------------------------------------


def verify(home: Path) -> VerifyReport:
    """Re-hash raw files against their manifests, manifests against the bundles, and walk the chain."""
    report = VerifyReport()
    recorded = _verify_chain(home, report)
    _verify_manifests(home, recorded, report)
    _verify_published(home, report)
    return report


def _verify_chain(home: Path, report: VerifyReport) -> dict[str, str]:
    """Each bundle's files and its link to the one before; returns manifest path -> recorded sha256."""
    audit_root = paths.audit_dir(home)
    chain = _chain(home)
    previous = None
    recorded: dict[str, str] = {}
    for i, entry in enumerate(chain, start=1):
        folder = audit_root / entry["run_id"]
        where = f"audit/{entry['run_id']}/{BUNDLE}"
        if not (folder / BUNDLE).exists():
            report.problems.append(Finding(where, f"missing (chain line {i} lists it)"))
            previous = entry
            continue
        data = (folder / BUNDLE).read_bytes()
        if sha256_bytes(data) != entry["sha256"]:
            report.problems.append(Finding(where, f"sha256 {sha256_bytes(data)[:12]} differs from "
                                                  f"chain line {i} ({entry['sha256'][:12]}): bundle edited"))
        bundle = json.loads(data)
        link = bundle.get("previous")
        expected = previous and {"run_id": previous["run_id"], "sha256": previous["sha256"]}
        if link != expected:
            report.problems.append(Finding(where, f"links to {link} but the chain before it is "
                                                  f"{expected}: chain reordered or a bundle removed"))
        _verify_bundle_files(folder, bundle, report)
        recorded.update(_recorded_manifests(folder))
        report.count("bundles")
        previous = entry
    sealed = {e["run_id"] for e in chain}
    for stray in sorted(audit_root.glob(f"*/{BUNDLE}")):
        if stray.parent.name not in sealed:
            report.problems.append(Finding(f"audit/{stray.parent.name}/{BUNDLE}",
                                           f"not in audit/{CHAIN}: bundle inserted outside the chain"))
    return recorded


def _verify_bundle_files(folder: Path, bundle: dict, report: VerifyReport) -> None:
    actual = _folder_hashes(folder)
    for name, sha in sorted(bundle["files"].items()):
        where = f"audit/{folder.name}/{name}"
        if name not in actual:
            report.problems.append(Finding(where, "missing from the sealed bundle"))
        elif actual[name] != sha:
            report.problems.append(Finding(where, f"sha256 {actual[name][:12]} != sealed {sha[:12]}"))
        report.count("evidence files")
    for name in sorted(set(actual) - set(bundle["files"])):
        report.problems.append(Finding(f"audit/{folder.name}/{name}", "added after the bundle was sealed"))


def _recorded_manifests(folder: Path) -> dict[str, str]:
    listing = folder / "extraction_manifests.json"
    if not listing.exists():
        return {}
    return {m["path"]: m["sha256"] for m in json.loads(listing.read_text())}


def _verify_manifests(home: Path, recorded: dict[str, str], report: VerifyReport) -> None:
    """Every finished extraction manifest: its own hash (where a bundle recorded it), then its files."""
    raw = paths.raw_dir(home)
    for manifest_path in sorted(paths.manifests_dir(home).glob("date=*/run=*/manifest.json")):
        rel = str(manifest_path.relative_to(home))
        if rel in recorded and sha256_file(manifest_path) != recorded[rel]:
            report.problems.append(Finding(rel, f"sha256 {sha256_file(manifest_path)[:12]} != "
                                                f"{recorded[rel][:12]} recorded by the evidence bundle: "
                                                "manifest edited"))
        elif rel not in recorded:
            report.notes.append(f"{rel}: not yet read by a sealed run (files checked, manifest not)")
        report.count("manifests")
        manifest = json.loads(manifest_path.read_text())
        purged = _tombstoned(manifest_path.parent)
        for entry in manifest["files"]:
            _verify_raw_file(raw, entry, rel, purged, report)


def _tombstoned(run_dir: Path) -> set[str]:
    stones = run_dir / "tombstones.jsonl"
    if not stones.exists():
        return set()
    return {json.loads(line)["path"] for line in stones.read_text().splitlines() if line.strip()}


def _verify_raw_file(raw: Path, entry: dict, manifest: str, purged: set[str], report: VerifyReport) -> None:
    path = raw / entry["path"]
    where = f"raw/{entry['path']}"
    if not path.exists():
        if entry["path"] in purged:
            report.count("raw files purged by retention (tombstoned)")
        else:
            report.problems.append(Finding(where, f"missing (listed in {manifest}, no tombstone)"))
        return
    actual = sha256_file(path)
    if actual != entry["sha256"]:
        report.problems.append(Finding(where, f"sha256 {actual[:12]} != {entry['sha256'][:12]} "
                                              f"in {manifest}"))
    report.count("raw files")


def _verify_published(home: Path, report: VerifyReport) -> None:
    """The published file is the one the last sealed bundle published, and no publish is half done."""
    from carepulse.publish import interrupted

    published = paths.warehouse_dir(home) / "carepulse.duckdb"
    chain = _chain(home)
    intent = interrupted(home)
    if intent:
        report.problems.append(Finding("warehouse/publishing.json", f"the publish of run {intent['run_id']} "
                                       "was interrupted; the next carepulse command or DAG run completes "
                                       "or reverts it"))
    if not published.exists():
        return
    if not chain:
        report.problems.append(Finding("warehouse/carepulse.duckdb", "not covered by any sealed evidence "
                                       f"bundle (audit/{CHAIN} is empty): published without evidence"))
        return
    last = paths.audit_dir(home) / chain[-1]["run_id"] / "publish.json"
    if not last.exists():
        return  # reported as a missing bundle file already
    expected = json.loads(last.read_text())["sha256"]
    if sha256_file(published) != expected:
        report.problems.append(Finding("warehouse/carepulse.duckdb", "sha256 differs from the last "
                                       f"sealed publish ({chain[-1]['run_id']})"))
    report.count("published warehouse")


def render_text(report: VerifyReport) -> str:
    lines = [("OK" if report.ok else f"FAILED: {len(report.problems)} problem(s)")]
    lines += [f"  checked {n:,} {what}" for what, n in sorted(report.checked.items())]
    lines += [f"  PROBLEM {p}" for p in report.problems]
    lines += [f"  note {n}" for n in report.notes[:20]]
    if len(report.notes) > 20:
        lines.append(f"  ... {len(report.notes) - 20} more notes")
    return "\n".join(lines)
